"""`newsweave ...`: a thin command line over the Python API."""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from . import api
from . import copies as copies_stage
from . import stories as stories_stage
from .ingest import MAX_BYTES, IngestReport, InputError, JsonFields, read_stdin
from .pipeline import Options
from .render import count
from .workspace import DEFAULT_DIR, WorkspaceBusy

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Turn a pile of news reports into one "
                  "trustworthy, sourced account per story.")
out = Console()
err = Console(stderr=True, highlight=False)

WorkspaceOpt = Annotated[Path, typer.Option("--workspace", "-w", help="Workspace folder.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]


class _Progress(Progress):
    """Rich's progress display, redrawn on the pipeline's own updates (at most ten times a second) instead
    of by a thread of its own: the parsing stage uses a second process only when this one runs no other
    thread (a forked child could inherit a lock that thread holds), and it parses 1.7x as fast with it."""

    _drawn = 0.0

    def add_task(self, *args: Any, **kwargs: Any) -> Any:
        task = super().add_task(*args, **kwargs)
        self.refresh()
        return task

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        if time.monotonic() - self._drawn >= 0.1:
            self._drawn = time.monotonic()
            self.refresh()


def _progress(quiet: bool) -> Progress:
    return _Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), console=err, transient=True, auto_refresh=False,
                     disable=quiet or not err.is_terminal)


def _do_ingest(ws: api.Workspace, inputs: list[str], fields: JsonFields, quiet: bool,
               max_mb: float = MAX_BYTES / 1e6) -> IngestReport:
    paths = [p for p in inputs if p != "-"]
    records = [read_stdin()] if "-" in inputs else []
    with _progress(quiet) as progress:
        task = progress.add_task("ingest", total=None)

        def on_progress(source: str) -> None:
            progress.update(task, advance=1, description=f"ingest {Path(source).name[:40]}")

        def on_error(e: InputError) -> None:
            err.print(f"[yellow]skipped[/] {escape(e.source)}: {escape(e.reason)}", markup=True,
                      highlight=False, soft_wrap=True)

        report = api.ingest(ws, paths, records, fields=fields, on_progress=on_progress, on_error=on_error,
                            max_bytes=int(max_mb * 1e6))
    if not quiet:
        err.print(f"{len(report.added)} added, {len(report.existing)} already there, "
                  f"{report.skipped_inputs} inputs already done, {len(report.errors)} failed"
                  + (f", {len(report.not_fetched)} feed links not fetched" if report.not_fetched else ""))
    return report


@app.command()
def ingest(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, or - for standard input.")],
    workspace: WorkspaceOpt = Path(DEFAULT_DIR),
    text_field: Annotated[str, typer.Option(help="JSON field with the article text.")] = "text",
    html_field: Annotated[str, typer.Option(help="JSON field with the article HTML.")] = "html",
    title_field: Annotated[str, typer.Option(help="JSON field with the title.")] = "title",
    url_field: Annotated[str, typer.Option(help="JSON field with the URL.")] = "url",
    date_field: Annotated[str, typer.Option(help="JSON field with the publication date.")] = "published",
    source_field: Annotated[str, typer.Option(help="JSON field with the outlet name.")] = "source",
    max_mb: Annotated[float, typer.Option(help="Skip files larger than this many MB.")] = MAX_BYTES / 1e6,
    stories: Annotated[bool, typer.Option(help="Assign the new articles to stories.")] = True,
    quiet: QuietOpt = False,
) -> None:
    """Read articles into the workspace (resumable; re-ingesting adds nothing) and assign them to stories."""
    fields = JsonFields(url=url_field, title=title_field, text=text_field, html=html_field,
                        published=date_field, source=source_field)
    with api.open_workspace(workspace) as ws:
        report = _do_ingest(ws, inputs, fields, quiet, max_mb)
        if stories and ws.count():
            with _progress(quiet) as progress:
                progress.add_task("stories", total=None)
                found = api.assign_stories(ws)
            if not quiet:
                err.print(f"{count(len(found), 'story', 'stories')} in the workspace")
    raise typer.Exit(1 if report.errors else 0)


@app.command("ls")
def list_articles(workspace: WorkspaceOpt = Path(DEFAULT_DIR)) -> None:
    """List the articles in the workspace."""
    with api.open_workspace(workspace) as ws:
        table = Table("id", "outlet", "published", "lang", "sentences", "title", "flags", box=None)
        for a in ws.articles():
            table.add_row(a.id, a.outlet or "—", a.published or "—", a.language, str(len(a.sentences)),
                          (a.title or a.sentences[0])[:70], ", ".join(a.flags))
    out.print(table)


@app.command()
def export(workspace: WorkspaceOpt = Path(DEFAULT_DIR)) -> None:
    """Write every article as one JSON object per line to standard output."""
    with api.open_workspace(workspace) as ws:
        for a in ws.articles():
            record = {"id": a.id, "source": a.source, "url": a.url, "outlet": a.outlet, "title": a.title,
                      "published": a.published, "language": a.language, "author": a.author,
                      "sentences": a.sentences, "flags": a.flags,
                      "removed": [r.__dict__ for r in a.removed]}
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


@app.command()
def run(
    inputs: Annotated[list[str] | None, typer.Argument(help="Files or folders to ingest first.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Where to write brief.json/.md/.html.")] = Path("brief"),
    workspace: Annotated[Path | None, typer.Option("--workspace", "-w",
                                                   help="Workspace folder (default: OUT/workspace).")] = None,
    sample: Annotated[bool, typer.Option(help="Use the bundled sample corpus as input.")] = False,
    sentences: Annotated[int, typer.Option(help="Summary length in sentences.")] = 5,
    words: Annotated[int | None, typer.Option(help="Summary length in words (instead of sentences).")] = None,
    writer: Annotated[str, typer.Option(help="extractive (default) or llm.")] = "extractive",
    llm_url: Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint for --writer llm.")] = None,
    workers: Annotated[int | None, typer.Option(help="Analyse stories on a local Dask cluster of N processes.")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Analyse stories on an existing Dask cluster "
                                                       "(tcp://HOST:PORT).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Ingest INPUTs (if any), run every stage, and write the brief."""
    paths = list(inputs or [])
    if sample:
        paths.append(str(api.sample_corpus()))
    ws_path = workspace or out_dir / "workspace"
    options = Options(sentences=sentences, words=words, writer=writer, llm_url=llm_url, workers=workers,
                      scheduler=scheduler)
    failed = False
    with api.open_workspace(ws_path) as ws:
        if paths:
            failed = not _do_ingest(ws, paths, JsonFields(), quiet).ok
        if ws.count() == 0:
            err.print("no articles in the workspace: give INPUT files or folders, or --sample")
            raise typer.Exit(2)
        source = api.brief_source(ws, options)
        # Nothing added since the brief in OUT was written by this code with these options: it stands.
        summary = api.current_brief(out_dir, source)
        unchanged = summary is not None
        written = api.brief_paths(out_dir)
        if summary is None:
            with _progress(quiet) as progress:
                tasks: dict[str, int] = {}

                def on_step(name: str, done: int, total: int) -> None:
                    if name not in tasks:
                        tasks[name] = progress.add_task(name, total=total)
                    progress.update(tasks[name], completed=done, total=total)

                brief = api.run(ws, options, on_step=on_step)
            before = _written_at(out_dir / "brief.html")
            written = api.write_brief(brief, out_dir, source=source)
            unchanged = before is not None and _written_at(written["html"]) == before
            summary = {"articles": len(brief.articles), "stories": len(brief.stories), "notes": brief.notes}
            del brief
    for note in summary["notes"]:
        err.print(f"[yellow]note[/] {escape(note)}", soft_wrap=True)
    if not quiet:
        err.print(f"{count(summary['articles'], 'article')}, {count(summary['stories'], 'story', 'stories')}")
    said = "brief unchanged (nothing new), still at" if unchanged else "brief written to"
    out.print(f"{said} {written['html']}\n  also {written['md']} and {written['json']}")
    raise typer.Exit(1 if failed else 0)


def _written_at(path: Path) -> int | None:
    """When a file was last written (nanoseconds), None when there is none."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


@app.command()
def copies(workspace: WorkspaceOpt = Path(DEFAULT_DIR), quiet: QuietOpt = False) -> None:
    """Show the copy graph: which article copies or rewrites which, how much, and why that one is the original."""
    with api.open_workspace(workspace) as ws:
        with _progress(quiet) as progress:
            progress.add_task("copies", total=None)
            relations = api.find_copies(ws)
        articles = ws.articles()
    if not relations:
        out.print(f"no copies among {len(articles)} articles: {len(articles)} independent sources")
        return
    table = Table("copy", "kind", "share", "pairs", "original", "why this is the original", box=None)
    for r in copies_stage.copy_table(articles, relations):
        table.add_row(escape(f"{r['copy_source']}\n{r['copy_title']}"), r["kind"], r["share"],
                      str(r["sentences"]), escape(r["original_source"]), escape(r["reason"]))
    out.print(table)
    n = copies_stage.independent_sources([a.id for a in articles], relations)
    out.print(f"{count(len(articles), 'article')}, {count(len(relations), 'copy relation')}, "
              f"{count(n, 'independent source')}")


@app.command("stories")
def list_stories(workspace: WorkspaceOpt = Path(DEFAULT_DIR), quiet: QuietOpt = False) -> None:
    """List the stories (assigning any article not yet in one) with articles and independent sources."""
    with api.open_workspace(workspace) as ws:
        with _progress(quiet) as progress:
            progress.add_task("stories", total=None)
            api.assign_stories(ws)
            rows = stories_stage.story_rows(ws)
    table = Table(box=None)
    for name, kw in (("story", {"no_wrap": True}), ("articles", {"justify": "right"}),
                     ("independent", {"justify": "right"}), ("span", {"no_wrap": True}),
                     ("headline", {"ratio": 1})):
        table.add_column(name, **kw)
    for r in rows:
        table.add_row(r["id"], str(r["articles"]), str(r["independent_sources"]), _span(r["start"], r["end"]),
                      escape(r["headline"] or ""))
    out.print(table)


def _span(start: str | None, end: str | None) -> str:
    """"2025-12-07 – 12-09": the end without what it shares with the start."""
    if not start:
        return "—"
    if not end or end == start:
        return start
    return f"{start} – {end[5:] if end[:4] == start[:4] else end}"


@app.command()
def serve(
    workspace: WorkspaceOpt = Path(DEFAULT_DIR),
    brief: Annotated[Path | None, typer.Option(help="A brief.json to show first (default: computed from the "
                                                      "workspace in the background).")] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
) -> None:
    """Open the local web app over a workspace (127.0.0.1 only); it keeps up with articles added meanwhile."""
    from . import web

    try:
        application = web.create_app(workspace, brief, live=True)
    except (FileNotFoundError, ValueError) as e:
        err.print(f"cannot serve: {escape(str(e))}")
        raise typer.Exit(2) from None
    out.print(f"newsweave at http://{web.HOST}:{port}/  (Ctrl+C stops it)")
    web.serve(application, port)


@app.command("search")
def search(query: str, workspace: WorkspaceOpt = Path(DEFAULT_DIR), limit: int = 20) -> None:
    """Search the articles: words as written, "an exact phrase", a OR b, -word to leave out."""
    from .search import QueryError

    with api.open_workspace(workspace) as ws:
        try:
            results = ws.search(query, limit)
        except QueryError as e:
            err.print(f"cannot search: {escape(str(e))}")
            raise typer.Exit(2) from None
    if results is None:
        err.print("nothing to search for: give one or more words")
        raise typer.Exit(2)
    for h in results.hits:
        where = f"#s{h.sentence}" if h.sentence is not None else ""
        text = "".join(t for t, _ in h.snippet)
        out.print(f"{h.id}{where}  {h.outlet or '—'}  {(h.title or '')[:70]}\n    {text}", markup=False,
                  highlight=False, soft_wrap=True)
    if results.suggestion:
        err.print(f"did you mean: {escape(results.suggestion)}")
    if not results.hits:
        err.print("no articles match")


def main() -> None:  # pragma: no cover - entry point
    try:
        app()
    except WorkspaceBusy as e:  # another process holds the workspace: one line, not a traceback
        err.print(escape(str(e)), soft_wrap=True)
        sys.exit(3)
    finally:
        # The process ends: what it holds is left to the operating system instead of being walked by the
        # collections Python runs at exit (0.5-0.7 s after a run over 10,000 articles).
        gc.freeze()


if __name__ == "__main__":  # `python -m newsweave.cli ...`
    main()
