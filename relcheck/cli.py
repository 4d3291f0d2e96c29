"""The ``relcheck`` command line: parse arguments, call the library, return an exit code.

Commands import what they need when they run, so ``relcheck --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

import click

from relcheck import __version__
from relcheck.errorhandler import boundary

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

checklist_option = click.option(
    "-c",
    "--checklist",
    metavar="PATH",
    help="Checklist file (default: [tool.relcheck] checklist in pyproject.toml, "
    "else relcheck.yaml at the repository root).",
)


def _root() -> str:
    from relcheck.gitrepo import find_root

    return find_root()


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="relcheck")
def main() -> None:
    """Run a release checklist, record every result, and tag the release only when
    every required step passed.

    \b
    Quick start:
      relcheck validate          check relcheck.yaml, with file:line:col errors
      relcheck run --dry-run     run every check, stop before tagging
      relcheck run               run the checklist and tag the release

    Exit codes: 0 passed, 1 a step failed, 2 checklist or usage error, 3 repository not
    releasable, 70 internal error, 130 interrupted (SIGINT), 143 stopped (SIGTERM).
    """


@main.command(context_settings=CONTEXT)
@checklist_option
@click.option("--dry-run", is_flag=True, help="Run every check but no release step (no tag).")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Steps to run at once [default: 2 x CPUs, at least 8].",
)
@click.option("--fail-fast", is_flag=True, help="Start no new step after a required step fails.")
@click.option(
    "--only", "only", multiple=True, metavar="ID", help="Run only this step (repeatable)."
)
@click.option(
    "--skip",
    "skip",
    multiple=True,
    metavar="ID",
    help="Skip this step (repeatable); needs --reason.",
)
@click.option("--reason", metavar="TEXT", help="Why steps are skipped; kept in the record.")
@click.option(
    "--failed",
    is_flag=True,
    help="Rerun the steps that did not pass in the last run (and what needs them); "
    "reuse the other passes from the cache.",
)
@click.option("--no-cache", is_flag=True, help="Run every step; reuse no earlier pass.")
@click.option(
    "--version",
    "release_version",
    metavar="VERSION",
    help="Release version (overrides the checklist's source).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output: lines for people, or the run result as JSON on stdout.",
)
@click.option(
    "--record-dir", metavar="DIR", help="Write the run record here [default: .relcheck/runs]."
)
@click.option("-q", "--quiet", is_flag=True, help="Print only failures and the result line.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Stream each step's output, prefixed with its id."
)
@boundary
def run(
    checklist: str | None,
    dry_run: bool,
    jobs: int | None,
    fail_fast: bool,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    reason: str | None,
    failed: bool,
    no_cache: bool,
    release_version: str | None,
    fmt: str,
    record_dir: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Run the checklist; tag the release when every required step passed."""
    from relcheck.errors import UsageError
    from relcheck.interrupts import Cancellation, handle_signals
    from relcheck.runflow import EXIT_CODES, RunRequest, execute

    if skip and not reason:
        raise UsageError("--skip needs --reason TEXT: a skipped step is recorded with why")
    if failed and no_cache:
        raise UsageError("--failed reuses earlier passes from the cache; drop --no-cache")
    if fmt == "json":
        from relcheck.report.json_report import JsonReporter

        reporter = JsonReporter()
        if verbose or not quiet:
            pass
    else:
        from relcheck.report.text import TextReporter

        reporter = TextReporter(quiet=quiet, verbose=verbose)
    request = RunRequest(
        root=_root(),
        checklist=checklist,
        jobs=jobs,
        fail_fast=fail_fast,
        dry_run=dry_run,
        only=only,
        skip=dict.fromkeys(skip, reason or ""),
        cli_version=release_version,
        record_dir=record_dir,
        verbose=verbose,
        use_cache=not no_cache,
        failed=failed,
    )
    with handle_signals(Cancellation()) as cancellation:
        result, record_path = execute(request, reporter, cancellation)
    reporter.finish(result, record_path)
    sys.exit(EXIT_CODES[result.outcome])


@main.command(context_settings=CONTEXT)
@click.argument("path", required=False, metavar="[PATH]")
@boundary
def validate(path: str | None) -> None:
    """Check a checklist file and print every problem as FILE:LINE:COL: message."""
    from relcheck.checklist import find_checklist, load_checklist

    target = path or find_checklist(_root())
    checklist = load_checklist(target)
    click.echo(f"{os.path.relpath(target)}: valid ({len(checklist.steps)} steps)")


@main.command("list", context_settings=CONTEXT)
@checklist_option
@boundary
def list_steps(checklist: str | None) -> None:
    """List the steps in run order, with runner, needs and owner."""
    from relcheck import checklist_cache
    from relcheck.checklist import find_checklist
    from relcheck.plan import run_order
    from relcheck.record import STATE_DIR

    root = _root()
    path = find_checklist(root, checklist)
    loaded = checklist_cache.load(path, root, os.path.join(root, STATE_DIR))
    rows = [("STEP", "RUNNER", "NEEDS", "OWNER", "")]
    for step, kind in run_order(loaded):
        rows.append((step.id, step.uses, ",".join(step.needs) or "-", step.owner or "-", kind))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[4])


@main.command(context_settings=CONTEXT)
@boundary
def runners() -> None:
    """List installed runners, where each comes from, and its parameters."""
    from relcheck import registry
    from relcheck.runner_docs import describe_params

    for name, info in sorted(registry.installed().items()):
        cls = info.load()
        kind = " [release step]" if getattr(cls, "release", False) else ""
        kind += " [precondition]" if getattr(cls, "precondition", False) else ""
        click.echo(f"{name}{kind}  (from {info.distribution}: {info.value})")
        if getattr(cls, "description", ""):
            click.echo(f"    {cls.description}")
        for line in describe_params(cls.Params):
            click.echo(f"    {line}")


@main.command(context_settings=CONTEXT)
@click.option("-n", "--limit", default=20, show_default=True, help="How many runs to list.")
@click.option("--record-dir", metavar="DIR", help="Where records are [default: .relcheck/runs].")
@boundary
def history(limit: int, record_dir: str | None) -> None:
    """List recent runs, newest first."""
    from itertools import islice

    from relcheck import record
    from relcheck.durations import format_duration

    directory = record_dir or record.runs_dir(_root())
    shown = 0
    for run_result in islice(record.iter_runs(directory), limit):
        failed = [r.step_id for r in run_result.steps if not r.status.ok and not r.optional]
        when = record.to_dict(run_result)["started_at"][:19].replace("T", " ")
        click.echo(
            f"{run_result.info.run_id}  {when}  {(run_result.info.commit or '-')[:9]:<9}  "
            f"{run_result.info.version or '-':<10}  {run_result.outcome!s:<11}  "
            f"{format_duration(run_result.duration):>7}  {','.join(failed)}"
        )
        shown += 1
    if not shown:
        click.echo(f"no runs recorded in {directory}")


@main.command(context_settings=CONTEXT)
@click.argument("ref", default="latest", metavar="[RUN_ID|latest]")
@click.option("--record-dir", metavar="DIR", help="Where records are [default: .relcheck/runs].")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@boundary
def show(ref: str, record_dir: str | None, fmt: str) -> None:
    """Show one recorded run (default: the latest)."""
    from relcheck import record

    directory = record_dir or record.runs_dir(_root())
    path = record.find(directory, ref)
    run_result = record.read(path)
    if fmt == "json":
        from relcheck.report.json_report import JsonReporter

        JsonReporter().finish(run_result, path)
        return
    from relcheck.report.text import TextReporter, step_line

    info = run_result.info
    click.echo(f"run {info.run_id}  ({info.mode}{', dry run' if info.dry_run else ''})")
    click.echo(f"  checklist {info.checklist_path}  sha256 {info.checklist_sha256[:12]}")
    click.echo(
        f"  commit {info.commit or '-'}  branch {info.branch or '-'}  "
        f"version {info.version or '-'}  tag {info.tag or '-'}"
    )
    for reason_id, why in info.skipped.items():
        click.echo(f"  skipped on request: {reason_id}: {why}")
    click.echo("")
    width = max([12, *(len(r.step_id) for r in run_result.steps)])
    for step_result in run_result.steps:
        click.echo(step_line(step_result, width))
    TextReporter().finish(run_result, path)


@main.group(context_settings=CONTEXT)
def cache() -> None:
    """Manage the result cache (.relcheck/cache)."""


@cache.command("clear", context_settings=CONTEXT)
@click.argument("step", required=False, metavar="[STEP]")
@boundary
def cache_clear(step: str | None) -> None:
    """Forget cached passes: of STEP only, or all of them."""
    from relcheck import record
    from relcheck.cache import clear

    removed = clear(os.path.join(_root(), record.STATE_DIR), step)
    what = f"of {step!r}" if step else "of every step"
    click.echo(f"cleared {removed} cached result{'s' * (removed != 1)} {what}")
