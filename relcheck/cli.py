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


color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour output (auto: at a terminal, unless NO_COLOR is set).",
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
    "-j", "--jobs", type=click.IntRange(min=1), help="Steps to run at once [default: CPUs]."
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
@click.option(
    "--no-progress", is_flag=True, help="Plain lines instead of the live view at a terminal."
)
@color_option
@click.option(
    "--confirm",
    "confirm",
    multiple=True,
    metavar="ID",
    help="Confirm this manual step without a prompt (repeatable); recorded with your git name.",
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
    release_version: str | None,
    fmt: str,
    record_dir: str | None,
    quiet: bool,
    verbose: bool,
    no_progress: bool,
    color: str,
    confirm: tuple[str, ...],
) -> None:
    """Run the checklist; tag the release when every required step passed."""
    from relcheck import terminal
    from relcheck.errors import UsageError
    from relcheck.interrupts import Cancellation, handle_signals
    from relcheck.report.choose import make_reporter
    from relcheck.runflow import EXIT_CODES, RunRequest, execute

    if skip and not reason:
        raise UsageError("--skip needs --reason TEXT: a skipped step is recorded with why")
    root = _root()
    reporter = make_reporter(
        fmt=fmt,
        quiet=quiet,
        verbose=verbose,
        progress=not no_progress,
        color=color,
        environ=os.environ,
    )
    confirmations: dict[str, str] = {}
    if confirm:
        from relcheck.gitrepo import user_identity

        confirmations = dict.fromkeys(confirm, user_identity(root))
    request = RunRequest(
        root=root,
        checklist=checklist,
        jobs=jobs,
        fail_fast=fail_fast,
        dry_run=dry_run,
        only=only,
        skip=dict.fromkeys(skip, reason or ""),
        cli_version=release_version,
        record_dir=record_dir,
        verbose=verbose,
        interactive=terminal.interactive(os.environ),
        confirmations=confirmations,
    )
    try:
        with handle_signals(Cancellation()) as cancellation:
            result, record_path = execute(request, reporter, cancellation)
    finally:
        close = getattr(reporter, "close", None)  # give the terminal back, even on a crash
        if close is not None:
            close()
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
    from relcheck.checklist import find_checklist, load_checklist
    from relcheck.plan import run_order

    loaded = load_checklist(find_checklist(_root(), checklist))
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
@click.option("--step", "step_id", metavar="ID", help="One step across runs: durations, outcomes.")
@click.option("--record-dir", metavar="DIR", help="Where records are [default: .relcheck/runs].")
@color_option
@boundary
def history(limit: int, step_id: str | None, record_dir: str | None, color: str) -> None:
    """List recent runs, newest first; with --step, how one step fared across them."""
    from itertools import islice

    from relcheck import record
    from relcheck.report import history as tables
    from relcheck.report.choose import make_console
    from relcheck.report.summary import unicode_ok

    directory = record_dir or record.runs_dir(_root())
    console = make_console(color)
    # Run ids sort by the second they started in; order within a second by start time.
    runs = sorted(
        islice(record.iter_runs(directory), limit), key=lambda r: r.started_at, reverse=True
    )
    if not runs:
        console.print(tables.no_runs(directory))
    elif step_id:
        console.print(tables.step_history(step_id, runs, unicode=unicode_ok(console)))
    else:
        console.print(tables.runs_table(runs, unicode=unicode_ok(console)))


@main.command(context_settings=CONTEXT)
@click.argument("ref", default="latest", metavar="[RUN_ID|latest]")
@click.option("--record-dir", metavar="DIR", help="Where records are [default: .relcheck/runs].")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@color_option
@boundary
def show(ref: str, record_dir: str | None, fmt: str, color: str) -> None:
    """Show one recorded run (default: the latest), as the run's own summary did."""
    from relcheck import record

    directory = record_dir or record.runs_dir(_root())
    path = record.find(directory, ref)
    run_result = record.read(path)
    if fmt == "json":
        from relcheck.report.json_report import JsonReporter

        JsonReporter().finish(run_result, path)
        return
    from relcheck.report.choose import make_console
    from relcheck.report.summary import local_time, render_run, run_header, unicode_ok

    console = make_console(color)
    info = run_result.info
    console.print(run_header(info))
    console.print(
        f"run {info.run_id}  {info.mode}  started {local_time(run_result.started_at)}  "
        f"checklist sha256 {info.checklist_sha256[:12]}",
        style="dim",
    )
    for skipped_id, why in info.skipped.items():
        console.print(f"skipped on request: {skipped_id}: {why}", style="yellow")
    console.print(render_run(run_result, os.path.relpath(path), unicode=unicode_ok(console)))


@main.command(context_settings=CONTEXT)
@click.option("--markdown", is_flag=True, help="The reference page (Markdown) instead.")
@click.option(
    "--builtin-only", is_flag=True, help="Only relcheck's own runners, not installed plugins."
)
@click.option("-o", "--output", metavar="PATH", help="Write to PATH instead of standard output.")
@boundary
def schema(markdown: bool, builtin_only: bool, output: str | None) -> None:
    """Print the JSON Schema of the checklist format, with every installed runner's
    `with:` parameters (for editors: see the README)."""
    from relcheck.schema_export import runner_classes, schema_text

    runners = runner_classes(builtin_only=builtin_only)
    if markdown:
        from relcheck.reference import reference_markdown

        text = reference_markdown(runners)
    else:
        text = schema_text(runners)
    if output is None:
        click.echo(text, nl=False)
        return
    from relcheck.fileio import write_text

    write_text(output, text)
    click.echo(f"wrote {output}", err=True)


@main.command(context_settings=CONTEXT)
@click.option(
    "-t",
    "--template",
    metavar="NAME",
    help="Template to start from (see --list), or a template file's path [default: library].",
)
@click.option("--list", "list_templates", is_flag=True, help="List the templates and exit.")
@click.option("--force", is_flag=True, help="Overwrite an existing checklist.")
@checklist_option
@boundary
def init(template: str | None, list_templates: bool, force: bool, checklist: str | None) -> None:
    """Write a relcheck.yaml for this project from a template, adapted to what the
    project has (version source, ruff configuration, tests folder, changelog, default
    branch and remote), and the JSON Schema editors use beside it."""
    from relcheck import scaffold

    if list_templates:
        available = scaffold.templates()
        width = max(len(name) for name in available)
        for name, text in available.items():
            click.echo(f"{name:<{width}}  {scaffold.describe(text)}")
        return
    root = _root()
    result = scaffold.write_checklist(
        root, template or scaffold.DEFAULT_TEMPLATE, checklist=checklist, force=force
    )
    for line in result:
        click.echo(line)
