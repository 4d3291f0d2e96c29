"""``relcheck history`` and ``relcheck show``: read the run records."""

from __future__ import annotations

import os

import click

from relcheck.cli.errorhandler import boundary
from relcheck.cli.lookup import find_root, known_step
from relcheck.cli.options import CONTEXT, color_option


@click.command(context_settings=CONTEXT)
@click.option("-n", "--limit", default=20, show_default=True, help="How many runs to list.")
@click.option(
    "--step", "step_id", metavar="ID", help="One step across runs: durations, metrics, outcomes."
)
@click.option("--releases", is_flag=True, help="Only the runs that made a release.")
@click.option("--record-dir", metavar="DIR", help="Where records are [default: .relcheck/runs].")
@color_option
@boundary
def history(
    limit: int, step_id: str | None, releases: bool, record_dir: str | None, color: str
) -> None:
    """List recent runs, newest first; with --step, how one step fared across them."""
    from itertools import islice

    from relcheck import record
    from relcheck.report import history as tables
    from relcheck.report.console import make_console
    from relcheck.report.summary import unicode_ok

    directory = record_dir or record.runs_dir(find_root())
    console = make_console(color)
    # Run ids sort by the second they started in; order within a second by start time.
    unreadable: list[str] = []
    found = record.iter_runs(directory, unreadable)
    if releases:
        from relcheck.models import is_release_run

        found = (r for r in found if is_release_run(r))
    runs = sorted(
        islice(found, limit),
        key=lambda r: r.started_at,
        reverse=True,
    )
    if unreadable:  # said once, on stderr: the table stays what scripts read
        more = f" (and {len(unreadable) - 1} more)" if len(unreadable) > 1 else ""
        from relcheck.system.redact import printable

        click.echo(f"relcheck: skipped {printable(unreadable[0])}{more}", err=True)
    if step_id:
        known_step(step_id, {r.step_id for run in runs for r in run.steps}, "the runs listed")
    if not runs:
        console.print(tables.no_runs(directory, releases=releases))
    elif step_id:
        console.print(tables.step_history(step_id, runs, unicode=unicode_ok(console)))
    else:
        console.print(tables.runs_table(runs, unicode=unicode_ok(console)))


@click.command(context_settings=CONTEXT)
@click.argument("ref", default="latest", metavar="[RUN_ID|latest|TAG]")
@click.option("--record-dir", metavar="DIR", help="Where records are [default: .relcheck/runs].")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@color_option
@boundary
def show(ref: str, record_dir: str | None, fmt: str, color: str) -> None:
    """Show one recorded run (default: the latest) as its summary looked, or the run a
    release tag carries."""
    from relcheck import record

    if ref != "latest":
        from relcheck.git.verify import names_tag, read

        if names_tag(find_root(), ref):
            from relcheck.report.tag import show_tag

            show_tag(read(find_root(), ref), fmt)
            return
    directory = record_dir or record.runs_dir(find_root())
    path = record.find(directory, ref)
    run_result = record.read(path)
    if fmt == "json":
        from relcheck.report.json_report import JsonReporter

        JsonReporter().finish(run_result, path)
        return
    from relcheck.report.console import make_console
    from relcheck.report.summary import local_time, render_run, run_header, unicode_ok
    from relcheck.system.redact import printable

    console = make_console(color)
    info = run_result.info
    console.print(run_header(info))
    line = (
        f"run {info.run_id}  {info.mode}  started {local_time(run_result.started_at)}  "
        f"checklist sha256 {info.checklist_sha256[:12]}"
    )
    console.print(printable(line), style="dim")
    for skipped_id, why in info.skipped.items():
        console.print(printable(f"skipped on request: {skipped_id}: {why}"), style="yellow")
    console.print(render_run(run_result, os.path.relpath(path), unicode=unicode_ok(console)))
