"""One workspace, several processes: two ingests at once, reads during an ingest, a run killed anywhere.

Every newsweave process here is a real subprocess of the CLI, as a user would start them.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from newsweave.workspace import DB_NAME, Workspace, WorkspaceBusy

CLI = [sys.executable, "-c", "from newsweave.cli import main; main()"]
TOWNS = ["Portmere", "Lunford", "Eskdale", "Harrowgate", "Velmont", "Caddon", "Brisk", "Oldwater"]
EVENTS = ["the ferry strike", "the council budget", "the flood barrier", "the rail closure", "the school merger"]


def _articles(folder: Path, n: int, offset: int) -> list[Path]:
    """n made-up reports, distinct in wording, a few of them on each made-up event."""
    folder.mkdir(parents=True)
    paths = []
    for i in range(offset, offset + n):
        town, event = TOWNS[i % len(TOWNS)], EVENTS[i % len(EVENTS)]
        text = (f"{town} residents met on day {i % 27 + 1} to discuss {event}, the organisers said.\n\n"
                f'"We counted {i * 13 + 7} people in the hall," said Mara Quill, who chairs the {town} group.\n\n'
                f"The mayor of {town} said {event} would cost {i * 3 + 11} thousand pounds in report {i}.")
        paths.append(folder / f"report-{i:04d}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    return paths


def _db(ws: Path) -> sqlite3.Connection:
    return sqlite3.connect(ws / DB_NAME, timeout=30)


def _check_workspace(ws: Path, expected: int) -> None:
    """Every article stored once, and in exactly one story that exists."""
    with _db(ws) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert c.execute("SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT text_hash) FROM articles"
                         ).fetchone() == (expected, expected, expected)
        ids = {r[0] for r in c.execute("SELECT id FROM articles")}
        members = [r[0] for r in c.execute("SELECT article_id FROM story_member")]
        assert sorted(members) == sorted(ids)
        assert not c.execute("SELECT 1 FROM story_member WHERE story_id NOT IN (SELECT id FROM story)").fetchall()


def test_two_ingests_into_one_workspace_at_once(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    first = _articles(tmp_path / "a", 30, 0)
    second = _articles(tmp_path / "b", 30, 30)
    both = _articles(tmp_path / "shared", 5, 60)  # given to both: stored once
    procs = [subprocess.Popen([*CLI, "ingest", *map(str, files), str(tmp_path / "shared"), "-w", str(ws), "-q"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for files in ([tmp_path / "a"], [tmp_path / "b"])]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, results, strict=True):
        assert p.returncode == 0 and "Traceback" not in err, err[-2000:]
    _check_workspace(ws, len(first) + len(second) + len(both))


def test_reads_during_an_ingest_do_not_fail(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _articles(tmp_path / "pile", 120, 0)
    Workspace(ws).close()
    proc = subprocess.Popen([*CLI, "ingest", str(tmp_path / "pile"), "-w", str(ws), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    reads, seen = 0, 0
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        with Workspace(ws) as w:  # what each request of the web app does
            seen = max(seen, len(w.articles()))
            w.search("residents")
        reads += 1
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert reads > 1 and 0 <= seen <= 120
    _check_workspace(ws, 120)


def test_a_write_waits_for_another_process_then_goes_on(tmp_path: Path) -> None:
    Workspace(tmp_path).close()
    holder = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    timer.start()
    with Workspace(tmp_path, lock_wait=20) as ws:
        start = time.monotonic()
        ws.set_meta("k", 1)
        assert ws.get_meta("k") == 1 and time.monotonic() - start >= 0.4
    timer.join()
    holder.close()


def test_a_write_gives_up_after_its_bound_with_one_clear_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    Workspace(ws).close()
    _articles(tmp_path / "pile", 3, 0)
    holder = sqlite3.connect(ws / DB_NAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Workspace(ws, lock_wait=0.3) as w, pytest.raises(WorkspaceBusy, match="busy"):
            w.set_meta("k", 1)
        done = subprocess.run([*CLI, "ingest", str(tmp_path / "pile"), "-w", str(ws), "-q"], capture_output=True,
                              text=True, timeout=300, env={**os.environ, "NEWSWEAVE_LOCK_WAIT": "1"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 3 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is busy" in lines[0], done.stderr


def _kill_when(proc: subprocess.Popen, ws: Path, query: str, deadline: float) -> bool:
    """SIGKILL `proc` as soon as `query` finds a row in its workspace; False when it ended first."""
    while proc.poll() is None and time.monotonic() < deadline:
        if (ws / DB_NAME).exists():
            try:
                with _db(ws) as c:
                    if c.execute(query).fetchone():
                        proc.send_signal(signal.SIGKILL)
                        proc.wait()
                        return True
            except sqlite3.OperationalError:  # the table is not there yet
                pass
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    return False


def test_a_run_killed_at_any_stage_is_completed_by_the_next(tmp_path: Path) -> None:
    pile = tmp_path / "pile"
    _articles(pile, 40, 0)
    ws, out = tmp_path / "ws", tmp_path / "brief"
    run = [*CLI, "run", str(pile), "-w", str(ws), "--out", str(out), "-q"]
    deadline = time.monotonic() + 400
    # Points of the run: reading inputs, during the copies stage, after the stories stage.
    points = ["SELECT 1 FROM meta WHERE 0",  # never true: killed on time below instead
              "SELECT 1 FROM sqlite_master WHERE name='copy_relations'",
              "SELECT 1 FROM story_member LIMIT 1"]
    killed = 0
    for i, query in enumerate(points):
        proc = subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i == 0:
            time.sleep(3)  # interpreter and models loading, inputs being read
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed += 1
        else:
            killed += _kill_when(proc, ws, query, deadline)
    assert killed >= 2, "the run ended before it could be killed"
    assert not (out / "brief.json").exists()
    done = subprocess.run(run, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    brief = json.loads((out / "brief.json").read_text())
    assert len(brief["articles"]) == 40
    in_stories = [a for s in brief["stories"] for a in s["articles"]]
    assert sorted(in_stories) == sorted(a["id"] for a in brief["articles"])
    _check_workspace(ws, 40)
