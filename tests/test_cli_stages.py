"""`newsweave stories`, `copies` and `serve` as a user runs them on the sample corpus."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from newsweave import api
from newsweave.cli import app


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_ingest_in_two_batches_then_list_stories_and_copies(tmp_path: Path) -> None:
    corpus = api.sample_corpus()
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for f in sorted(corpus.iterdir()):
        shutil.copy(f, (first if f.name.startswith("valdoria-herald") else second) / f.name)
    ws = str(tmp_path / "ws")
    _invoke("ingest", str(first), "-w", ws, "-q")
    before = set(re.findall(r"s-[0-9a-f]{12}", _invoke("stories", "-w", ws, "-q")))
    assert len(before) == 2  # the two Valdoria Herald pages: stories A and B

    _invoke("ingest", str(second), "-w", ws, "-q")
    listing = _invoke("stories", "-w", ws, "-q")
    rows = {m.group(1): (int(m.group(2)), int(m.group(3)))
            for m in re.finditer(r"(s-[0-9a-f]{12})\s+(\d+)\s+(\d+)", listing)}
    assert before <= set(rows), "the stories of the first batch keep their ids"
    assert sorted(rows.values()) == [(4, 4), (4, 4), (9, 6)]  # articles, independent sources

    graph = _invoke("copies", "-w", ws, "-q")
    assert {"exact", "partial", "rewrite"} <= set(re.findall(r"\b(exact|partial|rewrite)\b", graph))
    assert "17 articles, 3 copy relations, 14 independent sources" in graph


def test_serve_without_a_workspace_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "-w", str(tmp_path / "none")])
    assert result.exit_code == 2 and "no workspace" in result.output and "Traceback" not in result.output


def test_counts_read_as_english() -> None:
    from newsweave.render import count

    assert count(1, "story", "stories") == "1 story"
    assert count(3, "story", "stories") == "3 stories"
    assert count(1, "copy relation") == "1 copy relation" and count(0, "article") == "0 articles"


def test_the_progress_display_in_a_terminal_runs_no_thread_so_parsing_may_use_a_second_process(
        monkeypatch) -> None:
    import io
    import threading

    from rich.console import Console

    from newsweave import cli, nlp

    screen = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=screen, force_terminal=True, width=100))
    with cli._progress(quiet=False) as progress:
        task = progress.add_task("analysis", total=4)
        progress.update(task, completed=1, total=4)
        assert threading.active_count() == 1
        assert nlp._processes(10 * nlp._TWO_PROCESSES_FROM) == 2
    assert "analysis" in screen.getvalue() and "1/4" in screen.getvalue()  # it was drawn all the same
