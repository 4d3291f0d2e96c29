"""The commands that read evidence across releases: ``compare``, ``notes``, ``report``.

Listed in the ``relcheck`` group by relcheck.cli.main; each imports what it needs when it runs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from relcheck.cli.errorhandler import boundary
from relcheck.cli.options import CONTEXT
from relcheck.system.fileio import write_or_echo

if TYPE_CHECKING:
    from relcheck.evidence.baseline import Baseline
    from relcheck.models import RunResult

record_dir_option = click.option(
    "--record-dir", metavar="DIR", help="Where records are [default: .relcheck/runs]."
)
output_option = click.option(
    "-o", "--output", metavar="PATH", help="Write to PATH instead of standard output."
)


def _root() -> str:
    from relcheck.git.location import find_root

    return find_root()


def _template(root: str) -> tuple[str, str | None]:
    """The checklist's tag template and changelog (defaults when there is no checklist)."""
    from relcheck.checklist.load import find_checklist, load_checklist
    from relcheck.errors import RelcheckError

    try:
        loaded = load_checklist(find_checklist(root, None))
    except RelcheckError:
        return "v{version}", "CHANGELOG.md"
    return loaded.release.tag, loaded.release.changelog


def resolve(root: str, directory: str, ref: str) -> Baseline:
    """A tag (its record, else its trailers), a run id (or prefix), or ``latest``."""
    from relcheck import record
    from relcheck.errors import UsageError
    from relcheck.evidence.baseline import RECORD, Baseline, for_tag
    from relcheck.git.verify import names_tag
    from relcheck.models import is_release_run

    if ref != "latest" and names_tag(root, ref):
        found = for_tag(root, directory, ref)
        if found is None:
            raise UsageError(
                f"tag {ref!r} carries no relcheck run summary, and no record here released it"
            )
        return found
    run = record.read(record.find(directory, ref))
    return Baseline(run, RECORD, run.info.tag if is_release_run(run) else None)


def with_comparison(root: str, directory: str, run: RunResult, template: str) -> RunResult:
    """``run`` carrying a comparison with the release before it (computed when the
    record has none: an older record, or a tag's trailers)."""
    from relcheck.evidence.baseline import for_tag
    from relcheck.evidence.notes import previous_tag
    from relcheck.evidence.stage import attach

    if run.baseline.get("before") or not run.info.tag:
        return run
    from relcheck.git.verify import names_tag

    prev = previous_tag(root, run.info.tag, template) if names_tag(root, run.info.tag) else None
    if prev is None:
        from relcheck.evidence.baseline import find

        found = find(root, directory, template, run.info.tag)
    else:
        found = for_tag(root, directory, prev)
    return attach(run, found)


@click.command(context_settings=CONTEXT)
@click.argument("before", metavar="A")
@click.argument("after", metavar="B")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@record_dir_option
@output_option
@boundary
def compare(before: str, after: str, fmt: str, record_dir: str | None, output: str | None) -> None:
    """Two releases or runs side by side: every step and metric, what changed and by
    how much. A and B are tags or run ids (or `latest`)."""
    from relcheck import record
    from relcheck.evidence import tables
    from relcheck.evidence.compare import compare as compare_runs

    root = _root()
    directory = record_dir or record.runs_dir(root)
    a, b = resolve(root, directory, before), resolve(root, directory, after)
    result = compare_runs(a, b.run, after_label=b.label)
    if b.note:
        import dataclasses

        joined = "; ".join(n for n in (result.note, b.note) if n)
        result = dataclasses.replace(result, note=joined)
    if fmt == "json":
        import json

        write_or_echo(json.dumps(result.as_dict(), indent=2) + "\n", output)
    elif fmt == "markdown":
        write_or_echo(tables.markdown(result), output)
    else:
        write_or_echo(tables.text(result), output)


@click.command(context_settings=CONTEXT)
@click.argument("tag", required=False, metavar="[TAG]")
@record_dir_option
@output_option
@boundary
def notes(tag: str | None, record_dir: str | None, output: str | None) -> None:
    """Release notes in Markdown for TAG (default: the latest release): its changelog
    section, the commits and files since the previous release, the command that made
    it, each check's result, and what improved or regressed."""
    from relcheck import record
    from relcheck.errors import UsageError
    from relcheck.evidence import notes as notes_mod
    from relcheck.git.describe import previous_release_tag

    root = _root()
    directory = record_dir or record.runs_dir(root)
    template, changelog = _template(root)
    tag = tag or previous_release_tag(root, template, None)
    if tag is None:
        raise UsageError("no release tag to write notes for", hint="name one: relcheck notes TAG")
    found = resolve(root, directory, tag)
    run = with_comparison(root, directory, found.run, template)
    write_or_echo(notes_mod.compose(root, run, template, changelog, note=found.note), output)


def write_html_report(
    root: str, run: RunResult, path: str, record_dir: str | None, note: str | None = None
) -> None:
    """Write ``run``'s HTML report to ``path`` (with the trend of the releases before it)."""
    from relcheck import record
    from relcheck.evidence.trend import releases
    from relcheck.report.html import render
    from relcheck.system.fileio import write_text

    directory = record_dir or record.runs_dir(root)
    template, _changelog = _template(root)
    run = with_comparison(root, directory, run, template)
    write_text(path, render(run, run.baseline, releases(directory, before=run), note))
    click.echo(f"report: {path}", err=True)


def check_html_path(path: str) -> None:
    """Fail before any step runs when ``run --html PATH`` could not be written."""
    from relcheck.errors import UsageError
    from relcheck.record import probe_writable

    if path == "-" or os.path.isdir(path):
        raise UsageError(f"--html needs a file path, like report.html; got {path!r}")
    try:
        probe_writable(os.path.dirname(os.path.abspath(path)), mode=0o777)
    except OSError as exc:
        raise UsageError(f"cannot write the HTML report {path}: {exc.strerror or exc}") from exc


def write_run_report(root: str, run: RunResult, path: str, record_dir: str | None) -> None:
    """After ``run --html``: the report, or one line on stderr; the run's exit code stands."""
    from relcheck.errors import RelcheckError

    try:
        write_html_report(root, run, path, record_dir)
    except RelcheckError as exc:
        click.echo(f"relcheck: {exc}", err=True)


@click.command(context_settings=CONTEXT)
@click.argument("ref", default="latest", metavar="[RUN|TAG]")
@click.option("-o", "--output", metavar="PATH", default="report.html", show_default=True)
@record_dir_option
@boundary
def report(ref: str, output: str, record_dir: str | None) -> None:
    """Write one self-contained HTML file for a run or release: its timeline, each
    step's details, the comparison with the previous release, and trends."""
    from relcheck import record

    root = _root()
    directory = record_dir or record.runs_dir(root)
    found = resolve(root, directory, ref)
    write_html_report(root, found.run, os.path.abspath(output), directory, found.note)
