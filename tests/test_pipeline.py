"""The pipeline's bounds and its stored analyses: a stage may fail or run out of time alone, other languages
are never parsed by English models, a long text is analysed in part, and a run recomputes only what changed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from brief_fixtures import TEXTS

from newsweave import pipeline
from newsweave import timeline as timeline_stage
from newsweave.brief import to_dict, validate
from newsweave.ingest import ingest
from newsweave.model import RawDoc
from newsweave.pipeline import Options
from newsweave.workspace import Workspace

GERMAN = ("Der Hafen von Veldmar wurde am Montag geschlossen, nachdem ein Tanker 300 Tonnen Lösungsmittel "
          "in das Hafenbecken verloren hatte. Hafenmeisterin Ilse Brandt sagte, das Leck sei innerhalb von sechs "
          "Stunden eingedämmt worden. Umweltminister Oskar Lind sagte, Tausende Fische seien gestorben.")


def _workspace(tmp_path: Path, *extra: RawDoc) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    raws = [RawDoc(source=f"{k}.txt", text=text, title=title, outlet=outlet, published=date)
            for k, (outlet, date, title, text) in TEXTS.items()]
    ingest(ws, [], [*raws, *extra])
    return ws


def test_a_failing_stage_is_skipped_and_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a, **_k):
        raise ValueError("no such thing")

    monkeypatch.setattr(timeline_stage, "build_timeline", broken)
    with _workspace(tmp_path) as ws:
        brief = pipeline.run(ws)
    story = max(brief.stories, key=lambda s: len(s.story.articles))
    assert story.timeline == [] and story.summary  # the other stages still ran
    assert any(line.startswith("timeline skipped (failed: ValueError") for line in story.skipped)
    flagged = [a for a in brief.articles if "timeline-skipped" in a.flags]
    assert {a.id for a in flagged} >= set(story.story.articles)
    assert any("timeline skipped" in n for n in brief.notes)
    doc = to_dict(brief)
    assert validate(doc) == [] and doc["notes"] and doc["stories"][0]["skipped"] is not None


def test_a_stage_past_its_deadline_is_stopped_and_tried_again_next_run(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def endless(*_a, **_k):
        while True:
            time.sleep(0.01)

    real = timeline_stage.build_timeline
    monkeypatch.setattr(timeline_stage, "build_timeline", endless)
    options = Options(stage_seconds=0.5, sentence_seconds=0.0)
    with _workspace(tmp_path) as ws:
        start = time.monotonic()
        brief = pipeline.run(ws, options)
        assert time.monotonic() - start < 120
        assert any("timeline skipped (over its 0.5 s bound)" in n for n in brief.notes)
        assert any("timeline-skipped" in a.flags for a in brief.articles)
        # A timed-out analysis is not stored: with the stage working again, the next run completes it.
        monkeypatch.setattr(timeline_stage, "build_timeline", real)
        again = pipeline.run(ws)
    assert not again.notes and all(s.timeline for s in again.stories if len(s.story.articles) > 1)


def test_other_languages_are_kept_but_not_parsed_by_english_models(tmp_path: Path) -> None:
    german = RawDoc(source="de.txt", text=GERMAN, title="Hafen von Veldmar geschlossen", language="de",
                    published="2023-05-16")
    with _workspace(tmp_path, german) as ws:
        brief = pipeline.run(ws)
    de = next(a for a in brief.articles if a.language == "de")
    assert "not-analysed" in de.flags
    for s in brief.stories:
        cited = {c.article for x in s.summary for c in x.citations} | {q.article for q in s.quotes} | \
            {a for e in s.entities for a in e.articles}
        assert de.id not in cited
        assert not {"wurde", "Montag", "Hafenmeisterin"} & {e.name for e in s.entities}
    assert any("not analysed" in n and "de 1" in n for n in brief.notes)


def test_a_long_text_is_analysed_over_its_first_sentences(tmp_path: Path) -> None:
    long_text = " ".join(f"Crews pumped {n} tonnes of water from the dock on day {n}." for n in range(1, 60))
    with _workspace(tmp_path, RawDoc(source="long.txt", text=long_text, outlet="Dock Log")) as ws:
        brief = pipeline.run(ws, Options(max_sentences=20))
    long = next(a for a in brief.articles if a.source == "long.txt")
    assert "analysis-truncated" in long.flags and len(long.sentences) == 59  # the brief keeps the whole text
    for s in brief.stories:
        assert all(c.sentence < 20 for x in s.summary for c in x.citations if c.article == long.id)
        assert all(t.sentence < 20 for t in s.timeline if t.article == long.id)
    assert any("first sentences only" in n for n in brief.notes)


def test_a_run_recomputes_only_the_stories_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _workspace(tmp_path) as ws:
        first = to_dict(pipeline.run(ws))
        calls: list[str] = []
        real = pipeline.analyse_story

        def counting(story, *a, **k):
            calls.append(story.id)
            return real(story, *a, **k)

        monkeypatch.setattr(pipeline, "analyse_story", counting)
        second = to_dict(pipeline.run(ws))
        assert calls == []  # nothing new: every story's analysis comes from the workspace
        for doc in (first, second):
            doc.pop("generated_at")
        assert json.dumps(first) == json.dumps(second)  # copies read back, stories and analyses alike
        other = RawDoc(source="fire.txt", outlet="Lakeside Post", published="2023-05-20",
                       text="A fire destroyed the old mill in Orsa on Saturday. Firefighter Jonas Ek said nobody was "
                            "hurt. The mill had been empty for ten years.")
        ingest(ws, [], [other])
        third = pipeline.run(ws)
    assert len(calls) == 1  # only the new story
    assert len(third.stories) == len(first["stories"]) + 1


def test_dask_local_cluster_gives_the_same_brief(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with _workspace(tmp_path / "a") as ws:
        alone = to_dict(pipeline.run(ws))
    with _workspace(tmp_path / "b") as ws:
        spread = to_dict(pipeline.run(ws, Options(workers=2)))
        # the vectors the workers computed came back to the workspace: the next run does not embed them again
        stored = ws.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        assert stored >= sum(len(a.sentences) for a in ws.articles()) // 2
    for doc in (alone, spread):
        doc.pop("generated_at")
    assert json.dumps(alone, sort_keys=True) == json.dumps(spread, sort_keys=True)


def test_a_big_story_is_analysed_from_a_sample_that_keeps_every_source() -> None:
    from newsweave.model import Article, CopyRelation, Story

    def art(i: int, day: int) -> Article:
        return Article(id=f"a{i:02d}", source=f"{i}.txt", text="x", sentences=["x"], published=f"2024-03-{day:02d}")

    originals = [art(i, i + 1) for i in range(4)]
    copies_of = [art(10 + i, i + 2) for i in range(8)]
    relations = [CopyRelation(c.id, originals[k % 4].id, "exact", 1.0) for k, c in enumerate(copies_of)]
    picked = pipeline.sample(originals + copies_of, relations, 6)
    assert len(picked) == 6 and {a.id for a in originals} <= {a.id for a in picked}
    assert pipeline.sample(originals + copies_of, relations, 6) == picked  # the same story, the same sample
    assert pipeline.sample(originals, [], 2) == [originals[0], originals[2]]  # spread over the days
    # more independent sources than the sample holds, and copies besides: the originals fill it (this divided
    # by zero on a story of 5,000 articles)
    assert pipeline.sample(originals + copies_of, relations, 3) == [originals[0], originals[1], originals[2]]

    arts = [art(i, i + 1) for i in range(3)]
    analysis = pipeline.analyse_story(Story("s", [a.id for a in arts]), arts, [], Options(max_story_articles=2))
    assert analysis.brief.skipped[0].startswith("analysed from a sample of 2 of its 3 articles")


def test_sentence_vectors_are_kept_in_the_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsweave import embed

    with _workspace(tmp_path) as ws:
        first = to_dict(pipeline.run(ws))
        assert ws.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] > 0
        ws.conn.execute("DELETE FROM story_analysis")  # analyse again, in a process that has never embedded
        model = embed.english()
        monkeypatch.setattr(model, "_cache", {})
        embedded: list[str] = []
        real = model._encode_batch
        monkeypatch.setattr(model, "_encode_batch", lambda texts: embedded.extend(texts) or real(texts))
        second = to_dict(pipeline.run(ws))
    assert embedded == []  # every sentence vector came from the workspace
    for doc in (first, second):
        doc.pop("generated_at")
    assert json.dumps(first) == json.dumps(second)


def test_each_sentence_is_parsed_once_whichever_stage_asks_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsweave import nlp, stories
    from newsweave.model import Article

    lines = [f"Harbour inspector number {k} said the pier at Veltmoor was closed on Monday." for k in range(14)]
    first = Article(id="a1", source="a.txt", text=" ".join(lines), sentences=lines, title="The pier at Veltmoor",
                    language="en")
    # a copy that adds one sentence: only that sentence is new
    copy = Article(id="a2", source="b.txt", text="", sentences=[*lines, "The ferry ran as usual."], language="en")
    parsed: list[str] = []
    model = nlp.english()
    pipe = model.pipe
    monkeypatch.setattr(model, "pipe", lambda texts, **kw: pipe(parsed.extend(texts) or texts, **kw))
    monkeypatch.setattr(nlp, "_CACHE", type(nlp._CACHE)())
    stories._entities_spacy([first])  # the stories stage reads the title and the first ten sentences
    assert parsed == [first.title, *lines[:10]]
    parsed.clear()
    docs = nlp.parse([first, copy])
    assert parsed == [*lines[10:], "The ferry ran as usual."]
    assert [d.text for d in docs["a2"]] == copy.sentences and docs["a1"][3] is docs["a2"][3]


def test_a_brief_stopped_while_written_leaves_the_previous_one_whole(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from newsweave import api, render

    with _workspace(tmp_path / "ws") as ws:
        brief = pipeline.run(ws)
    out = tmp_path / "out"
    api.write_brief(brief, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    changed = api.to_dict(brief)  # the same brief again would not be written at all
    changed["stories"][0]["headline"] = "A new headline"

    def stopped(*_args: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "to_html", stopped)
    with pytest.raises(KeyboardInterrupt):
        api.write_brief(changed, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    monkeypatch.undo()
    real_write = Path.write_bytes

    def write_half(self: Path, data: bytes) -> int:
        if self.name.startswith(".brief.html"):
            real_write(self, data[: len(data) // 2])
            raise KeyboardInterrupt  # killed halfway through the HTML
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_half)
    with pytest.raises(KeyboardInterrupt):
        api.write_brief(changed, out)
    assert (out / "brief.html").read_bytes() == before["brief.html"]  # the old report, whole
    json.loads((out / "brief.json").read_text())


def test_a_big_batch_is_parsed_by_two_processes_with_the_same_parses() -> None:
    import subprocess
    import sys
    import textwrap

    # In a fresh process: this one may run threads other tests left, and then (rightly) does not fork.
    script = textwrap.dedent("""
        import threading
        from newsweave import nlp
        sentences = [f"Inspector {name} said the pier at Veltmoor would close on {day}." for name in
                     ("Aalto", "Brandt", "Carvalho", "Dahl", "Ek") for day in ("Monday", "Friday", "May 3")]
        nlp._TWO_PROCESSES_FROM = 10
        assert nlp._processes(len(sentences)) == 2 and nlp._processes(9) == 1
        two = nlp.parse_sentences(sentences)
        one = list(nlp.english().pipe(sentences))
        def rows(doc):
            return [(t.text, t.tag_, t.dep_, t.head.i, t.ent_type_) for t in doc]
        assert [rows(d) for d in two] == [rows(d) for d in one]
        # What the store keeps of each parse: Doc.to_bytes, made without srsly's per-call lookups.
        assert all(nlp._dumps(d) == d.to_bytes(exclude=["tensor", "user_data"]) for d in one)
        stop = threading.Event()
        beside = threading.Thread(target=stop.wait)  # a thread beside it, as the web app's server runs
        beside.start()
        assert nlp._processes(len(sentences)) == 1
        stop.set()
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_stories_are_analysed_after_their_sentences_are_parsed_in_batches(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from newsweave import nlp

    calls: list[int] = []
    real = nlp.parse_sentences
    monkeypatch.setattr(nlp, "parse_sentences", lambda s, *a, **k: calls.append(len(s)) or real(s, *a, **k))
    monkeypatch.setattr(pipeline, "_PARSE_AHEAD", 1)  # one story per batch
    other = RawDoc(source="fire.txt", outlet="Lakeside Post", published="2023-05-20",
                   text="A fire destroyed the old mill in Orsa on Saturday. Firefighter Jonas Ek said nobody was "
                        "hurt. The mill had been empty for ten years.")
    with _workspace(tmp_path, other) as ws:
        articles = {a.id: a for a in ws.articles()}
        stories = pipeline.stories_stage.assign_stories(ws, list(articles.values()))
        jobs = [(s, [articles[a] for a in s.articles], []) for s in stories]
        calls.clear()
        order = []
        for batch in pipeline._parsed_batches(jobs, Options()):
            order.append((batch, list(calls)))  # what was parsed before the batch's stories are analysed
            calls.clear()
    assert len(jobs) > 1 and [b for b, _ in order] == [[k] for k in range(len(jobs))]
    for (_, parsed), (_, story_articles, _) in zip(order, jobs, strict=True):
        assert parsed == [sum(len(a.sentences) for a in story_articles if pipeline.analysed(a))]


def test_sentence_parses_are_kept_in_the_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsweave import nlp

    with _workspace(tmp_path) as ws:
        first = to_dict(pipeline.run(ws))
        assert ws.conn.execute("SELECT COUNT(*) FROM parses").fetchone()[0] > 0
        ws.conn.execute("DELETE FROM story_analysis")  # analyse again, in a process that has never parsed
        monkeypatch.setattr(nlp, "_CACHE", type(nlp._CACHE)())
        parsed: list[str] = []
        model = nlp.english()
        pipe = model.pipe
        monkeypatch.setattr(model, "pipe", lambda texts, **kw: pipe(parsed.extend(texts) or texts, **kw))
        second = to_dict(pipeline.run(ws))
    assert parsed == []  # every sentence's parse came from the workspace
    for doc in (first, second):
        doc.pop("generated_at")
    assert json.dumps(first) == json.dumps(second)


def test_a_runs_stores_belong_to_its_thread(tmp_path: Path) -> None:
    import threading

    from newsweave import embed, nlp

    inside, finish = threading.Event(), threading.Event()

    def run() -> None:
        with Workspace(tmp_path / "ws") as ws, nlp.stored_in(ws), embed.stored_in(ws):
            inside.set()
            finish.wait(10)

    other = threading.Thread(target=run)
    other.start()
    try:
        assert inside.wait(10)
        # a run in this thread (another web app's) would use its own workspace, never the other thread's
        assert nlp._STORES.stack == [] and embed._RUN_STORES.stack == []
    finally:
        finish.set()
        other.join()


def test_a_damaged_stored_parse_is_parsed_again_and_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsweave import nlp
    from newsweave.embed import text_key

    with _workspace(tmp_path) as ws:
        first = to_dict(pipeline.run(ws))
        sentences = ws.articles()[0].sentences  # read by the analysis, run again below
        key, key2 = text_key(sentences[1]), text_key(sentences[2])
        model, other = ws.conn.execute("SELECT model, doc FROM parses WHERE key = ?", (text_key(sentences[0]),)
                                       ).fetchone()
        ws.conn.execute("UPDATE parses SET doc = ? WHERE key = ?", (b"not a parse", key))
        ws.conn.execute("UPDATE parses SET doc = ? WHERE key = ?", (other, key2))  # another sentence's parse
        ws.conn.execute("DELETE FROM story_analysis")
        monkeypatch.setattr(nlp, "_CACHE", type(nlp._CACHE)())
        second = to_dict(pipeline.run(ws))
        fixed = {k: ws.conn.execute("SELECT doc FROM parses WHERE key = ? AND model = ?", (k, model)).fetchone()[0]
                 for k in (key, key2)}
    assert fixed[key] != b"not a parse" and fixed[key2] != other
    for doc in (first, second):
        doc.pop("generated_at")
    assert json.dumps(first) == json.dumps(second)


def test_stories_analysed_by_two_forked_processes_give_the_same_brief(tmp_path: Path) -> None:
    import subprocess
    import sys
    import textwrap

    # In a fresh process: this one may run threads other tests left, and then (rightly) does not fork.
    script = textwrap.dedent(f"""
        import json
        from newsweave import api, pipeline, scale
        pipeline._FORK_FROM = 10  # the sample corpus is small
        forked = []
        real = scale.analyse_forked
        def spy(jobs, *a, **k):
            forked.append(len(jobs))
            yield from real(jobs, *a, **k)
        scale.analyse_forked = spy
        def brief(where):
            with api.open_workspace(where) as ws:
                api.ingest(ws, [str(api.sample_corpus())])
                doc = api.to_dict(api.run(ws))
                stored = ws.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
            doc.pop("generated_at")
            return json.dumps(doc, sort_keys=True), stored
        two, stored = brief({str(tmp_path / "a")!r})
        assert forked and forked[0] >= 2, forked
        scale.may_fork = lambda: False
        one, stored_here = brief({str(tmp_path / "b")!r})
        assert len(forked) == 1
        assert two == one
        # a helper that dies (killed, out of memory) leaves its stories to the run's own process
        import os
        scale.may_fork = lambda: True
        parent, analyse = os.getpid(), pipeline.analyse_story
        def dies(*a, **k):
            if os.getpid() != parent:
                os._exit(1)
            return analyse(*a, **k)
        pipeline.analyse_story = dies
        died, _ = brief({str(tmp_path / "c")!r})
        assert len(forked) == 2 and died == one
        print(stored, stored_here)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    # the vectors the processes computed came back to the workspace: the next run does not embed them again
    stored, stored_here = map(int, done.stdout.split())
    assert stored == stored_here > 100


def test_a_story_is_analysed_again_once_the_model_of_its_language_is_installed(monkeypatch) -> None:
    from newsweave import nlp
    from newsweave.model import Article, Story

    arts = {"e": Article(id="e", source="e.txt", text="x", sentences=["x"]),
            "f": Article(id="f", source="f.txt", text="x", sentences=["x"], language="fr")}
    stories = [Story("s-en", ["e"]), Story("s-mixed", ["e", "f"])]

    def keys(models: set[str]) -> list[str]:
        monkeypatch.setattr(nlp, "installed", lambda: frozenset(models))
        return pipeline.story_keys(stories, [[], []], arts, Options())

    without, with_french = keys({"en"}), keys({"en", "fr"})
    assert without[0] == with_french[0]  # an English story: the French model changes nothing there
    assert without[1] != with_french[1]
    assert "en" in nlp.installed()
