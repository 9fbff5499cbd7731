"""End to end: `newsweave run --sample` (what `make demo` runs) and `newsweave run` on ../shared/seeds.

Each run is the command line, run once per module; every test reads its output files. The expected stories,
copies, people, quotes, claims and dates are the sample corpus's ground truth (tests/test_sample_corpus.py,
src/newsweave/sample/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_sample_corpus import COPIES, INDEPENDENT, LABEL, STORY_OF, TRUTH, article_key
from typer.testing import CliRunner

from newsweave.brief import validate
from newsweave.cli import app

SHARED = Path(__file__).parents[1].parent / "shared"
SEEDS = SHARED / "seeds"
CHECK_BRIEF = SHARED / "tools" / "check-brief"

@dataclass
class Run:
    out: Path
    exit_code: int
    output: str

    @property
    def doc(self) -> dict[str, Any]:
        return json.loads((self.out / "brief.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    # In process (the CLI itself, through typer's runner), so that the two runs and the other tests of the
    # session load the models once; test_installed_command covers the installed entry point.
    base = tmp_path_factory.mktemp("e2e")
    jobs = {"sample": ["run", "--sample", "--out", str(base / "sample"), "-q"]}
    if SEEDS.is_dir():
        jobs["seeds"] = ["run", str(SEEDS), "--out", str(base / "seeds"), "-q"]
    done = {}
    for name, args in jobs.items():
        result = CliRunner().invoke(app, args)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        done[name] = Run(base / name, result.exit_code, result.output)
    return done


def test_installed_command() -> None:
    exe = Path(sys.executable).with_name("newsweave")
    if not exe.exists():
        pytest.skip("newsweave is not installed as a command next to this Python")
    result = subprocess.run([str(exe), "run", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--sample" in result.stdout


@pytest.fixture(scope="module")
def sample(runs: dict[str, Run]) -> Run:
    run = runs["sample"]
    assert run.exit_code == 0, run.output[-3000:]
    return run


@pytest.fixture(scope="module")
def doc(sample: Run) -> dict[str, Any]:
    return sample.doc


@pytest.fixture(scope="module")
def labels(doc: dict[str, Any]) -> dict[str, str]:
    """Article id -> ground-truth label (A1 ... C4); articles outside the ground truth are left out."""
    return {a["id"]: TRUTH[article_key(a["source"])][0] for a in doc["articles"]
            if article_key(a["source"]) in TRUTH}


@pytest.fixture(scope="module")
def ids(labels: dict[str, str]) -> dict[str, str]:
    return {label: aid for aid, label in labels.items()}


def story_of(doc: dict[str, Any], article_id: str) -> dict[str, Any]:
    return next(s for s in doc["stories"] if article_id in s["articles"])


def entity_of(story: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The entity of `story` that has `name` among its aliases (or as its name)."""
    return next((e for e in story["entities"] if name in e["aliases"] or e["name"] == name), None)


def speaker_of(story: dict[str, Any], quote: dict[str, Any]) -> str:
    """The canonical name of a quote's speaker when resolved to an entity, else the name as written."""
    by_id = {e["id"]: e["name"] for e in story["entities"]}
    return by_id.get(quote["speaker"]) or quote["speaker_name"]


# -- the run and its files ---------------------------------------------------------------------


def test_sample_run_writes_the_three_files(sample: Run) -> None:
    for name in ("brief.json", "brief.md", "brief.html"):
        assert (sample.out / name).stat().st_size > 1000, name
    assert str(sample.out / "brief.html") in sample.output.replace("\n", "")
    html = (sample.out / "brief.html").read_text("utf-8")
    assert "Villa Serena" in html and "<link rel=\"stylesheet\"" not in html
    assert "Marisport" in (sample.out / "brief.md").read_text("utf-8")


def test_brief_json_follows_the_schema(doc: dict[str, Any]) -> None:
    assert doc["schema"] == "newsweave.brief/1"
    assert validate(doc) == []


def test_brief_json_passes_check_brief(sample: Run) -> None:
    if not CHECK_BRIEF.is_file():
        pytest.skip("../shared/tools/check-brief not present")
    result = subprocess.run([sys.executable, str(CHECK_BRIEF), str(sample.out / "brief.json")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


def test_sample_run_ingests_exactly_the_corpus(doc: dict[str, Any]) -> None:
    assert sorted(article_key(a["source"]) for a in doc["articles"]) == sorted(TRUTH)


def test_every_sample_article_is_in_one_story(doc: dict[str, Any], labels: dict[str, str]) -> None:
    assert sorted(labels.values()) == sorted(LABEL)
    placed = [aid for s in doc["stories"] for aid in s["articles"]]
    assert sorted(placed) == sorted(a["id"] for a in doc["articles"])


def test_metadata_reaches_the_brief(doc: dict[str, Any], ids: dict[str, str]) -> None:
    by_id = {a["id"]: a for a in doc["articles"]}
    assert by_id[ids["A1"]]["outlet"] == "The Valdoria Herald"
    assert by_id[ids["A1"]]["published"] == "2025-12-07"
    assert by_id[ids["A8"]]["outlet"] == "Radio Meridian" and by_id[ids["A8"]]["published"] == "2025-12-09"
    assert "boilerplate-removed" in by_id[ids["A2"]]["flags"]
    assert by_id[ids["A4"]]["title"].startswith("Lenz says Tirsa talks")


# -- stories -----------------------------------------------------------------------------------


def test_story_a_is_grouped(doc: dict[str, Any], ids: dict[str, str]) -> None:
    story = story_of(doc, ids["A1"])
    assert {label for label, s in STORY_OF.items() if s == "A"} <= {
        label for label, aid in ids.items() if aid in story["articles"]}


def test_three_stories_as_in_the_ground_truth(doc: dict[str, Any], labels: dict[str, str]) -> None:
    found = {frozenset(labels[a] for a in s["articles"] if a in labels) for s in doc["stories"]}
    expected = {frozenset(lb for lb, st in STORY_OF.items() if st == story) for story in "ABC"}
    assert found - {frozenset()} == expected


def test_story_time_spans(doc: dict[str, Any], ids: dict[str, str]) -> None:
    spans = {key: (story_of(doc, ids[first])["start"], story_of(doc, ids[first])["end"])
             for key, first in (("A", "A1"), ("B", "B1"), ("C", "C2"))}
    assert spans["A"] == ("2025-12-07", "2025-12-09")
    assert spans["B"] == ("2025-01-14", "2025-01-15")
    assert spans["C"][0] <= "2025-11-06" and spans["C"][1] == "2025-11-14"


# -- copies and independent sources ------------------------------------------------------------


def test_copies_found_with_their_originals(doc: dict[str, Any], labels: dict[str, str]) -> None:
    found = {(labels[a["id"]], labels.get(c["of"]), c["kind"]) for a in doc["articles"] for c in a["copies"]
             if a["id"] in labels}
    assert found == set(COPIES)


def test_independent_sources_per_story(doc: dict[str, Any], ids: dict[str, str]) -> None:
    for story, first in (("A", "A1"), ("B", "B1"), ("C", "C1")):
        assert story_of(doc, ids[first])["independent_sources"] == INDEPENDENT[story], story


# -- entities ----------------------------------------------------------------------------------


def test_name_variants_are_one_person(doc: dict[str, Any], ids: dict[str, str]) -> None:
    story = story_of(doc, ids["A1"])
    lenz = entity_of(story, "Dario Lenz")
    assert lenz is not None and lenz["type"] == "PERSON" and lenz["name"] in ("Dario Lenz", "Dario Lentz")
    assert {"Dario Lentz", "Lenz"} <= set(lenz["aliases"])
    assert any("security adviser" in r.lower() for r in lenz["roles"])
    emberg = entity_of(story, "Halvard Emberg")
    assert emberg is not None and emberg is not lenz


def test_garbled_name_in_spun_copy_is_resolved(doc: dict[str, Any], ids: dict[str, str]) -> None:
    story = story_of(doc, ids["A1"])
    emberg = entity_of(story, "Halvard Emberg")
    assert emberg is not None and "Halvard Amberg" in emberg["aliases"]


def test_people_sharing_a_surname_or_role_stay_apart(doc: dict[str, Any], ids: dict[str, str]) -> None:
    story = story_of(doc, ids["A4"])
    pairs = (("Mira Kovac", "Petar Kovac"), ("Ana Petrov", "Ilan Marek"), ("Dario Lenz", "Halvard Emberg"))
    for a, b in pairs:
        ea, eb = entity_of(story, a), entity_of(story, b)
        assert ea is not None and eb is not None and ea["id"] != eb["id"], (a, b)
    assert any("trade minister" in r.lower() for r in entity_of(story, "Petar Kovac")["roles"])


# -- who said what -----------------------------------------------------------------------------


def _quotes(doc: dict[str, Any], ids: dict[str, str], label: str, words: str) -> list[tuple[str, dict]]:
    story = story_of(doc, ids[label])
    return [(speaker_of(story, q), q) for q in story["quotes"]
            if q["article"] == ids[label] and words.lower() in q["text"].lower()]


def test_direct_quotes_resolved_to_their_speakers(doc: dict[str, Any], ids: dict[str, str]) -> None:
    cases = [
        ("A1", "watching very closely", "Lenz"),                    # speaker after, straight quotes
        ("A3", "Norvessa is not a party to the conflict", "Petrov"),  # spans two paragraphs, curly quotes
        ("A3", "The economics have not changed", "Wieland"),        # "he added"
        ("A8", "Norvessa understands our position", "Lenz"),         # speaker before: Lenz said: "..."
        ("A4", "If the answer were a simple no", "Ferreira"),
        ("C4", "not everything we asked for", "Holm"),
    ]
    for label, words, speaker in cases:
        found = _quotes(doc, ids, label, words)
        assert found and all(speaker in name for name, _ in found), (label, words, found)
        assert any(q["kind"] == "direct" for _, q in found)


def test_reported_speech_and_pronouns_resolved(doc: dict[str, Any], ids: dict[str, str]) -> None:
    cases = [
        ("A1", "would not allow any government", "Lenz"),  # "He said Valdoria would not allow ..."
        ("A4", "directly and in detail", "Lenz"),          # "Lenz told Radio Meridian that ..."
        ("A1", "never heard of such a request", "Marek"),
        ("A6", "Our companions see it", "Lenz"),           # a quote inside the spun copy stays Lenz's
    ]
    for label, words, speaker in cases:
        found = _quotes(doc, ids, label, words)
        assert found and all(speaker in name for name, _ in found), (label, words, found)


# -- the claim and its disputes ----------------------------------------------------------------


def test_drone_claim_with_its_three_denials(
    doc: dict[str, Any], ids: dict[str, str], labels: dict[str, str]
) -> None:
    story = story_of(doc, ids["A1"])
    claims = [c for c in story["claims"] if "drone" in c["text"].lower() and "Drevania" in c["text"]]
    assert claims, [c["text"] for c in story["claims"]]
    claim = max(claims, key=lambda c: len(c["articles"]))
    assert len({labels[a] for a in claim["articles"]}) >= 6
    assert claim["independent_sources"] >= 4
    assert claim["attributed_to"]
    named = claim["attributed_to"]  # each source once: not "Lena Moravec" and "Moravec"
    assert not [(a, b) for a in named for b in named if a != b and a.endswith(" " + b)], named
    deniers = " ".join(d["by_name"] for d in claim["disputes"])
    for who in ("Marek", "Petrov", "Brandt"):
        assert who in deniers, (who, deniers)
    # Halmaria's foreign minister backs the claim and Lenz warns about it: neither disputes it.
    for who in ("Moravec", "Lenz"):
        assert who not in deniers, (who, deniers)
    assert all(d["relation"] in ("denies", "contradicts", "questions") for d in claim["disputes"])


# -- summary and timeline ----------------------------------------------------------------------


def test_summaries_cite_their_story_and_prefer_originals(doc: dict[str, Any], ids: dict[str, str]) -> None:
    sentences = {a["id"]: a["sentences"] for a in doc["articles"]}
    for first in ("A1", "B1", "C1"):
        story = story_of(doc, ids[first])
        assert 1 <= len(story["summary"]) <= 5
        for item in story["summary"]:
            cite = item["citations"][0]
            assert cite["article"] in story["articles"]
            assert item["text"] in sentences[cite["article"]][cite["sentence"]]
    cited = {c["article"] for item in story_of(doc, ids["A1"])["summary"] for c in item["citations"]}
    assert ids["A6"] not in cited, "a garbled spun copy is never the cited source"


def test_disputed_claim_never_summarised_without_its_denial(doc: dict[str, Any], ids: dict[str, str]) -> None:
    text = " ".join(item["text"] for item in story_of(doc, ids["A1"])["summary"]).lower()
    assert "drone" in text
    assert any(w in text for w in ("denied", "never heard", "misinformation", "rejected"))


def test_timeline_resolves_relative_dates(doc: dict[str, Any], ids: dict[str, str]) -> None:
    a = story_of(doc, ids["A1"])["timeline"]
    dates = {t["date"] for t in a if t["date"]}
    assert "2025-12-08" in dates and "2025-12-07" in dates
    assert any(d.startswith("2025-02") for d in dates), "'last February' / 'ten months ago' in December 2025"
    assert dates <= {d for d in dates if "2025-01" <= d <= "2025-12-31"}
    c = {t["date"] for t in story_of(doc, ids["C1"])["timeline"] if t["date"]}
    assert {"2025-11-03", "2025-11-05", "2025-11-10"} <= c
    assert [t["date"] for t in a if t["date"]] == sorted(t["date"] for t in a if t["date"])
    # "said on Sunday" in articles of Monday 8 and Tuesday 9 December is the Sunday before.
    sundays = [t for t in a if "said on Sunday" in t["text"] and t["date"]]
    assert sundays and all(t["date"] == "2025-12-07" for t in sundays), sundays


def test_timeline_lists_a_copied_sentence_once(doc: dict[str, Any], ids: dict[str, str]) -> None:
    entries = {(t["article"], t["sentence"]) for t in story_of(doc, ids["A1"])["timeline"]}
    pairs = [((a["id"], here), (cp["of"], there)) for a in doc["articles"] for cp in a["copies"]
             for here, there, _ in cp["evidence"]]
    twice = [(x, y) for x, y in pairs if x in entries and y in entries]
    assert not twice, twice  # e.g. Norvessa's readout and its spun rewrite ("cease spreading false data")

# -- the shared seeds --------------------------------------------------------------------------


def test_seeds_run_passes_check_brief(runs: dict[str, Run]) -> None:
    if "seeds" not in runs or not CHECK_BRIEF.is_file():
        pytest.skip("../shared/seeds or ../shared/tools/check-brief not present")
    run = runs["seeds"]
    assert run.exit_code == 0, run.output[-3000:]
    assert len(run.doc["articles"]) == 5 and validate(run.doc) == []
    result = subprocess.run([sys.executable, str(CHECK_BRIEF), str(run.out / "brief.json")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_dispute_names_the_resolved_person_once(sample: Run) -> None:
    # Ana Petrov is "Ana Petrov" in one sentence and "Petrov" in the next: one person, one name shown.
    md = (sample.out / "brief.md").read_text("utf-8")
    html = (sample.out / "brief.html").read_text("utf-8")
    assert "**Ana Petrov** contradicts" in md and "**Petrov**" not in md
    assert "<strong>Ana Petrov</strong>" in html and "<strong>Petrov</strong>" not in html


def test_seeds_summary_spells_the_names_right(runs: dict[str, Run]) -> None:
    if "seeds" not in runs:
        pytest.skip("../shared/seeds not present")
    (story,) = runs["seeds"].doc["stories"]
    # The brief's lead (summary, key facts, claims) names the two officials; no line shows a garbled name.
    text = " ".join(item["text"] for item in story["summary"] + story["key_facts"] + story["claims"])
    assert "Sullivan" in text and "Yang Jiechi" in text
    for garble in ("Jack Sullivan", "Yang Kiyoshi", "Li Pengyu", "Chao Lijian"):
        assert garble not in text, garble


def test_a_denial_and_its_copies_answer_the_same_claim(doc: dict[str, Any], ids: dict[str, str]) -> None:
    story = story_of(doc, ids["A1"])
    answers: dict[tuple[str, int], set[str]] = {}
    for claim in story["claims"]:
        for d in claim["disputes"]:
            answers.setdefault((d["article"], d["sentence"]), set()).add(claim["id"])
    pairs = [((a["id"], here), (cp["of"], there)) for a in doc["articles"] for cp in a["copies"]
             for here, there, _ in cp["evidence"]]
    both = [(x, y) for x, y in pairs if x in answers and y in answers]
    assert both and all(answers[x] == answers[y] for x, y in both), [(x, y, answers[x], answers[y]) for x, y in both]
    # Norvessa's readout ("urged Valdoria to stop spreading false information") answers the drone claim.
    readout = [c["text"] for c in story["claims"] for d in c["disputes"] if "false information" in d["text"]]
    assert readout and all("drone" in t for t in readout), readout


def test_a_second_run_with_nothing_new_says_so_and_keeps_the_files(sample: Run) -> None:
    assert "brief written to" in sample.output
    html = sample.out / "brief.html"
    before = (html.stat().st_mtime_ns, html.read_bytes())
    again = CliRunner().invoke(app, ["run", "--sample", "--out", str(sample.out), "-q"])
    assert again.exit_code == 0, again.output[-3000:]
    assert "brief unchanged (nothing new)" in again.output
    assert (html.stat().st_mtime_ns, html.read_bytes()) == before


def test_a_run_with_nothing_new_reads_nothing_but_a_changed_input_option_or_file_runs_again(
        sample: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from newsweave import api

    out = tmp_path / "out"
    shutil.copytree(sample.out, out)  # mtimes kept: the brief's files are as the sample run wrote them
    calls: list[int] = []
    real_run = api.run
    monkeypatch.setattr(api, "run", lambda *a, **k: calls.append(1) or real_run(*a, **k))

    def again(*extra: str) -> str:
        result = CliRunner().invoke(app, ["run", "--out", str(out), *extra])
        assert result.exit_code == 0, result.output[-3000:]
        return result.output

    said = again()
    assert calls == [] and "brief unchanged (nothing new)" in said
    assert f"{len(sample.doc['articles'])} articles, {len(sample.doc['stories'])} stories" in said

    assert "brief written to" in again("--sentences", "3") and calls == [1]  # another option: another brief
    assert "brief unchanged" in again("--sentences", "3") and calls == [1]

    md = out / "brief.md"
    md.write_text("edited", "utf-8")
    again("--sentences", "3")
    assert calls == [1, 1] and md.read_text("utf-8").startswith("# newsweave brief")  # an edited file: written again

    extra = tmp_path / "new.txt"
    extra.write_text("Harbour workers in Veltmoor walked out on Monday over pay, their union said. The port "
                     "authority said talks would resume on Thursday.", "utf-8")
    said = again(str(extra), "--sentences", "3")
    assert calls == [1, 1, 1] and "brief written to" in said  # a new article: the pipeline runs
    assert any(a["source"].endswith("new.txt") for a in json.loads((out / "brief.json").read_text())["articles"])


def test_a_brief_cut_short_by_a_deadline_is_never_taken_as_current(tmp_path: Path) -> None:
    from newsweave import api
    from newsweave.model import Brief

    whole = Brief(articles=[], copies=[], stories=[], generated_at="2026-01-01T00:00:00+00:00")
    api.write_brief(whole, tmp_path, source="k1")
    assert api.current_brief(tmp_path, "k1") == {"articles": 0, "stories": 0, "notes": []}
    assert api.current_brief(tmp_path, "k2") is None
    cut = Brief(articles=[], copies=[], stories=[], generated_at="2026-01-01T00:00:00+00:00", complete=False)
    api.write_brief(cut, tmp_path, source="k1")
    assert api.current_brief(tmp_path, "k1") is None
