"""`newsweave ingest / ls / export` as a user runs them: one line per bad input, exit status, no traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from test_ingest import BODY, FIX, _bad_inputs
from typer.testing import CliRunner

from newsweave.cli import app

NEWSWEAVE = [sys.executable, "-c", "from newsweave.cli import app; app()"]


def test_bad_inputs_one_line_each_nonzero_exit_no_traceback(tmp_path: Path) -> None:
    files = _bad_inputs(tmp_path)
    files["big.txt"].unlink()  # the size cap is tested through the API (the CLI has no option for it)
    good = tmp_path / "good.txt"
    good.write_text(BODY.replace("ferry", "night bus"))  # its own text: identical text is one article by design
    ws = tmp_path / "ws"
    env = {**os.environ, "COLUMNS": "80"}
    cmd = [
        *NEWSWEAVE,
        "ingest",
        str(files["empty.txt"].parent),
        str(tmp_path / "missing.txt"),
        str(good),
        "--workspace",
        str(ws),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Traceback" not in out
    lines = proc.stderr.splitlines()
    expected = {
        "empty.txt": "empty file",
        "binary.txt": "binary",
        "undecodable.txt": "undecodable",
        "lines.jsonl:2": "malformed JSON",
        "broken.html": "no article text",
        "cut.warc#record 2": "truncated",
        "missing.txt": "no such file or folder",
    }
    for where, reason in expected.items():
        hits = [ln for ln in lines if where in ln]
        assert len(hits) == 1 and reason in hits[0], (where, lines)
    # Good inputs went in; running again keeps them and fails again on the same inputs.
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 1 and "Traceback" not in again.stdout + again.stderr
    export = subprocess.run(
        [*NEWSWEAVE, "export", "--workspace", str(ws)], capture_output=True, text=True, timeout=300
    )
    records = [json.loads(ln) for ln in export.stdout.splitlines()]
    assert len(records) == 4 and {"Good One", "Good Two", "First Page Here"} <= {r["title"] for r in records}


def test_custom_json_fields_ls_and_export(tmp_path: Path) -> None:
    data = tmp_path / "dump.jsonl"
    data.write_text(
        json.dumps(
            {
                "link": "https://portmere-post.example/f",
                "headline": "Ferry Starts In May",
                "body": BODY,
                "when": "2024-03-04",
                "site": "Portmere Post",
            }
        )
        + "\n"
    )
    ws = tmp_path / "ws"
    runner = CliRunner()
    args = [
        "ingest",
        str(data),
        "--workspace",
        str(ws),
        "--text-field",
        "body",
        "--title-field",
        "headline",
        "--url-field",
        "link",
        "--date-field",
        "when",
        "--source-field",
        "site",
        "--quiet",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, args).exit_code == 0  # again: nothing new, still fine
    listing = runner.invoke(app, ["ls", "--workspace", str(ws)])
    assert listing.exit_code == 0 and "Portmere Post" in listing.output and "2024-03-04" in listing.output
    export = runner.invoke(app, ["export", "--workspace", str(ws)])
    [record] = [json.loads(ln) for ln in export.output.splitlines() if ln.startswith("{")]
    assert {"id", "source", "outlet", "title", "published", "language", "sentences", "flags"} <= set(record)
    assert record["title"] == "Ferry Starts In May" and record["source"] == "https://portmere-post.example/f"
    assert record["published"] == "2024-03-04" and record["language"] == "en"


def test_folder_ingest_skips_assets_and_hidden_workspace(tmp_path: Path) -> None:
    pile = tmp_path / "pile"
    shutil.copytree(FIX, pile)
    (pile / "page_files").mkdir()
    (pile / "page_files" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    ws = pile / ".newsweave"
    result = CliRunner().invoke(app, ["ingest", str(pile), "--workspace", str(ws), "--quiet"])
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(app, ["ingest", str(pile), "--workspace", str(ws), "--quiet"])
    assert again.exit_code == 0, again.output
