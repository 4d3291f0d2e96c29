"""The ``relcheck`` command line: parse arguments, call the library, return an exit code.

Commands import what they need when they run, so ``relcheck --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from relcheck import __version__
from relcheck.cli.errorhandler import boundary

if TYPE_CHECKING:
    from collections.abc import Callable

    from relcheck.engine.session import RunRequest
    from relcheck.models import RunResult
    from relcheck.report import Reporter
    from relcheck.system.interrupts import Cancellation

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
HOOK_NAMES = ("pre-push", "pre-commit", "pre-merge-commit")  # as relcheck.git.hooks.HOOK_NAMES

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
    help="Colour output (auto: at a terminal, unless NO_COLOR is set; FORCE_COLOR forces it).",
)


def _root() -> str:
    from relcheck.git.location import find_root

    return find_root()


def _require_repository(root: str, command: str) -> None:
    from relcheck.errors import RepoStateError

    if not os.path.exists(os.path.join(root, ".git")):
        raise RepoStateError(
            f"not in a git repository (run relcheck {command} inside the repository that "
            "has the tag)"
        )


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
    "--release-if-new",
    is_flag=True,
    help="Release only a new version: when the tag exists at an older commit, the checks "
    "run and decide the exit code, and nothing is released (one CI job for every push).",
)
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
@click.option(
    "--ci",
    "ci_flag",
    is_flag=True,
    help="CI mode (also when CI=true): never prompt, plain timestamped lines.",
)
@click.option("--junit", "junit_path", metavar="PATH", help="Also write a JUnit XML report.")
@click.option(
    "--html", "html_path", metavar="PATH", help="Also write the run's HTML report (one file)."
)
@click.option(
    "--hook",
    "hook_name",
    type=click.Choice(HOOK_NAMES),
    help="Hook mode, as the installed git hook calls it: check what is pushed (git's "
    "pre-push lines on stdin), never run release steps.",
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
    release_if_new: bool,
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
    ci_flag: bool,
    junit_path: str | None,
    html_path: str | None,
    hook_name: str | None,
    no_progress: bool,
    color: str,
    confirm: tuple[str, ...],
) -> None:
    """Run the checklist; tag the release when every required step passed."""
    from relcheck.engine.session import RunRequest, execute
    from relcheck.errors import UsageError
    from relcheck.report.select import make_reporter
    from relcheck.system import terminal
    from relcheck.system.cienv import is_ci
    from relcheck.system.interrupts import Cancellation, handle_signals

    if skip and not reason:
        raise UsageError("--skip needs --reason TEXT: a skipped step is recorded with why")
    if junit_path == "-":
        raise UsageError(
            "--junit needs a file path; it cannot write to standard output ('-')",
            hint="use --format json for a machine-readable result on standard output",
        )
    _check_version_option(release_version)
    if html_path:
        from relcheck.cli.evidence import check_html_path

        check_html_path(html_path)
    if failed and no_cache:
        raise UsageError("--failed reuses earlier passes from the cache; drop --no-cache")
    if hook_name and (only or skip or dry_run):
        raise UsageError(
            "--hook runs the checklist's hook: steps; it takes no --only, --skip, --dry-run"
        )
    root = _root()
    if junit_path:
        from relcheck.report.junit import check_not_tracked

        check_not_tracked(root, junit_path)
    ci = is_ci(os.environ, ci_flag)

    def reporter_factory() -> Reporter:
        return make_reporter(
            fmt=fmt,
            quiet=quiet,
            verbose=verbose,
            ci=ci,
            junit_path=junit_path,
            environ=os.environ,
            progress=not (no_progress or hook_name),  # a hook's output mixes with git's
            color=color,
        )

    confirmations: dict[str, str] = {}
    if confirm:
        from relcheck.git.identity import user_identity

        confirmations = dict.fromkeys(confirm, user_identity(root))
    request = RunRequest(
        root=root,
        checklist=checklist,
        jobs=jobs,
        fail_fast=fail_fast,
        dry_run=dry_run,
        release_if_new=release_if_new,
        only=only,
        skip=dict.fromkeys(skip, reason or ""),
        cli_version=release_version,
        record_dir=record_dir,
        verbose=verbose,
        use_cache=not no_cache,
        failed=failed,
        interactive=not (ci or hook_name) and terminal.interactive(os.environ),
        confirmations=confirmations,
        own_paths=tuple(p for p in (junit_path, html_path) if p),
        command=_command_line(),
    )
    if hook_name:
        from relcheck.engine.hook import run_hook

        sys.exit(run_hook(hook_name, request, reporter_factory, sys.stdin, os.environ))
    streams = _guard_output()
    reporter = reporter_factory()
    with handle_signals(Cancellation()) as cancellation:
        try:
            outcome = _execute(execute, request, reporter, cancellation)
        finally:
            close = getattr(reporter, "close", None)  # give the terminal back, even on a crash
            if close is not None:
                close()
        # Still inside: a late Ctrl-C must not turn a finished run into exit 130.
        code = _finish(reporter, *outcome, streams, cancellation)
    if html_path:
        from relcheck.cli.evidence import write_run_report

        write_run_report(root, outcome[0], html_path, record_dir)  # keeps the run's exit code
    sys.exit(code)


def _guard_output() -> tuple[object, object]:
    """Put stdout and stderr behind guards: output that cannot be written (a closed
    pipe, a full disk) is dropped and said at the end, and never changes the run."""
    from relcheck.report.guard import guard

    sys.stdout = guard(sys.stdout)  # type: ignore[assignment]
    sys.stderr = guard(sys.stderr)  # type: ignore[assignment]
    return sys.stdout, sys.stderr


def _execute(
    execute: Callable[[RunRequest, Reporter, Cancellation], tuple[RunResult, str]],
    request: RunRequest,
    reporter: Reporter,
    cancellation: Cancellation,
) -> tuple[RunResult, str | None, list[str]]:
    """Run; a record that could not be written after release steps ran is a warning."""
    from relcheck.errors import RecordNotWritten

    try:
        result, record_path = execute(request, reporter, cancellation)
    except RecordNotWritten as exc:
        return exc.result, None, [f"the run record could not be written: {exc.reason}"]
    return result, record_path, []


def _finish(
    reporter: Reporter,
    result: RunResult,
    record_path: str | None,
    warnings: list[str],
    streams: tuple[object, object],
    cancellation: Cancellation,
) -> int:
    """Report the result and return the exit code, which says what the run did.

    After a release step ran, the release exists or not whatever could not be printed
    or written afterwards (the summary, the JUnit file, the record): those are warnings
    that say what is true, never a different exit code."""
    from relcheck.engine.session import exit_code
    from relcheck.errors import RelcheckError
    from relcheck.report.guard import GuardedStream, why_lost

    try:
        reporter.finish(result, record_path)
    except (OSError, RelcheckError) as exc:
        warnings.append(f"the report could not be written: {exc}")
    stdout = streams[0]
    if isinstance(stdout, GuardedStream):
        stdout.flush()
        if stdout.lost is not None:
            warnings.append(f"standard output was lost ({why_lost(stdout.lost)})")
    code = exit_code(result, cancellation)
    if warnings:
        truth = f"; {_release_truth(result)}" if _release_truth(result) else ""
        for warning in warnings:
            click.echo(f"relcheck: warning: {warning}{truth}", err=True)
        if stdout is not None and getattr(stdout, "lost", None) is not None:
            # The result line did not reach its reader: say it where it can be read.
            click.echo(f"relcheck: {result.outcome}: {result.message or ''}".rstrip(": "), err=True)
    return code


def _release_truth(result: RunResult) -> str:
    """What the run's release steps did, in a clause, or '' when none ran."""
    ran = [r for r in result.steps if r.metrics.get("tag") and r.status.ok]
    if not ran:
        return ""
    tag = ran[-1].metrics["tag"]
    if result.outcome.value == "passed":
        return f"the release {tag} is made (exit 0)"
    return f"{tag} was made, but the release did not finish"


def _command_line() -> str:
    """The command as typed, for the record and the release notes."""
    import shlex

    return shlex.join(["relcheck", *sys.argv[1:]])


def _check_version_option(version: str | None) -> None:
    """An empty --version would silently fall back to the checklist's version source."""
    if version is not None and not version.strip():
        from relcheck.errors import UsageError

        raise UsageError("--version must not be empty")


@main.command(context_settings=CONTEXT)
@click.argument("path", required=False, metavar="[PATH]")
@checklist_option
@boundary
def validate(path: str | None, checklist: str | None) -> None:
    """Check a checklist file and print every problem as FILE:LINE:COL: message.

    PATH and -c/--checklist are the same; other commands take -c.
    """
    from relcheck.checklist.load import find_checklist, load_checklist
    from relcheck.errors import UsageError

    if path and checklist and path != checklist:
        raise UsageError("give the checklist once: as PATH or as --checklist, not both")
    target = path or find_checklist(_root(), checklist)
    loaded = load_checklist(target)
    count = len(loaded.steps)
    click.echo(f"{os.path.relpath(target)}: valid ({count} step{'s' * (count != 1)})")


@main.command("list", context_settings=CONTEXT)
@checklist_option
@boundary
def list_steps(checklist: str | None) -> None:
    """List the steps in run order, with runner, needs and owner."""
    from relcheck.checklist import cache as checklist_cache
    from relcheck.checklist.load import find_checklist
    from relcheck.engine.plan import run_order
    from relcheck.record import STATE_DIR

    root = _root()
    path = find_checklist(root, checklist)
    loaded = checklist_cache.load(path, root, os.path.join(root, STATE_DIR))
    from relcheck.system.redact import printable

    rows = [("STEP", "RUNNER", "NEEDS", "OWNER", "")]
    for step, kind in run_order(loaded):
        owner = printable(step.owner or "-")
        rows.append((step.id, step.uses, ",".join(step.needs) or "-", owner, kind))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[4])


@main.command(context_settings=CONTEXT)
@boundary
def runners() -> None:
    """List installed runners, where each comes from, and its parameters."""
    from relcheck.api import StepKind, step_kind
    from relcheck.checklist.runner_docs import describe_params
    from relcheck.runners import registry

    labels = {StepKind.RELEASE: " [release step]", StepKind.PRECONDITION: " [precondition]"}

    for name, info in sorted(registry.installed().items()):
        cls = info.load()
        kind = labels.get(step_kind(cls), "")
        click.echo(f"{name}{kind}  (from {info.distribution}: {info.value})")
        if getattr(cls, "description", ""):
            click.echo(f"    {cls.description}")
        for line in describe_params(cls.Params):
            click.echo(f"    {line}")


@main.command(context_settings=CONTEXT)
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

    directory = record_dir or record.runs_dir(_root())
    console = make_console(color)
    # Run ids sort by the second they started in; order within a second by start time.
    unreadable: list[str] = []
    found = record.iter_runs(directory, unreadable)
    if releases:
        from relcheck.evidence.baseline import is_release_run

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
        _known_step(step_id, {r.step_id for run in runs for r in run.steps}, "the runs listed")
    if not runs:
        console.print(tables.no_runs(directory))
    elif step_id:
        console.print(tables.step_history(step_id, runs, unicode=unicode_ok(console)))
    else:
        console.print(tables.runs_table(runs, unicode=unicode_ok(console)))


@main.command(context_settings=CONTEXT)
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

        if names_tag(_root(), ref):
            from relcheck.report.tag import show_tag

            show_tag(read(_root(), ref), fmt)
            return
    directory = record_dir or record.runs_dir(_root())
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


@main.command(context_settings=CONTEXT)
@click.option("--markdown", is_flag=True, help="The reference page (Markdown) instead.")
@click.option(
    "--builtin-only", is_flag=True, help="Only relcheck's own runners, not installed plugins."
)
@click.option("-o", "--output", metavar="PATH", help="Write to PATH instead of standard output.")
@boundary
def schema(markdown: bool, builtin_only: bool, output: str | None) -> None:
    """Print the JSON Schema of the checklist format, with every installed runner's
    `with:` parameters (for editors: see docs/how-to/editor.md)."""
    from relcheck.checklist.schema_export import runner_classes, schema_text

    runners = runner_classes(builtin_only=builtin_only)
    if markdown:
        from relcheck.checklist.reference import reference_markdown

        text = reference_markdown(runners)
    else:
        text = schema_text(runners)
    from relcheck.system.fileio import write_or_echo

    write_or_echo(text, output)


@main.command(context_settings=CONTEXT)
@click.option(
    "-t",
    "--template",
    metavar="NAME",
    help="Template to start from (see --list), or a template file's path [default: library].",
    shell_complete=lambda _ctx, _param, incomplete: _template_names(incomplete),
)
@click.option("--list", "list_templates", is_flag=True, help="List the templates and exit.")
@click.option("--force", is_flag=True, help="Overwrite an existing checklist.")
@checklist_option
@boundary
def init(template: str | None, list_templates: bool, force: bool, checklist: str | None) -> None:
    """Write a relcheck.yaml for this project from a template, adapted to what the
    project has (version source, ruff configuration, tests folder, changelog, default
    branch and remote), and the JSON Schema editors use beside it."""
    from relcheck.checklist import scaffold

    if list_templates:
        available = scaffold.templates()
        width = max(len(name) for name in available)
        for name, text in available.items():
            click.echo(f"{name:<{width}}  {scaffold.describe(text)}")
        return
    root = _root()
    result = scaffold.write_checklist(root, template, checklist=checklist, force=force)
    for line in result:
        click.echo(line)


@main.command(context_settings=CONTEXT)
@checklist_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github-matrix"]),
    default="text",
    show_default=True,
    help="text for people; json or github-matrix to fan the checks out over CI jobs.",
)
@click.option(
    "--group-by",
    type=click.Choice(["component", "wave", "step"]),
    default="component",
    show_default=True,
    help="component: steps linked by needs share a job; wave: one group per parallel "
    "wave; step: a job per step. Steps linked by needs always share a job.",
)
@click.option(
    "--version",
    "release_version",
    metavar="VERSION",
    help="The release version, for the printed release command (needed when "
    "release.version_from is cli or git-describe).",
)
@click.option(
    "--jobs-per-group",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Split a group of independent steps over up to N jobs.",
)
@boundary
def plan(
    checklist: str | None,
    fmt: str,
    group_by: str,
    jobs_per_group: int,
    release_version: str | None,
) -> None:
    """Show the step graph: order, parallel waves, and CI jobs for a fan-out."""
    import json

    from relcheck.checklist.load import find_checklist, load_checklist
    from relcheck.engine.plan import levels, matrix, release_command

    _check_version_option(release_version)
    loaded = load_checklist(find_checklist(_root(), checklist))
    release = release_command(loaded, release_version)
    jobs = matrix(loaded, group_by=group_by, jobs_per_group=jobs_per_group)
    if fmt == "github-matrix":
        click.echo(json.dumps({"include": jobs}))
        return
    waves = levels(loaded)
    from relcheck.engine.cache import cached_passes
    from relcheck.engine.session import tool_env

    cached = cached_passes(loaded.steps, _root(), tool_env(os.environ))
    if fmt == "json":
        steps = [
            {
                "id": s.id,
                "runner": s.uses,
                "kind": str(s.kind),
                "needs": list(s.needs),
                "optional": s.optional,
                "wave": number,
                "cached_from": cached.get(s.id),
            }
            for number, wave in enumerate(waves, start=1)
            for s in wave
        ]
        click.echo(
            json.dumps(
                {
                    "checklist_sha256": loaded.sha256,
                    "steps": steps,
                    "jobs": jobs,
                    "release": release,
                },
                indent=2,
            )
        )
        return
    for number, wave in enumerate(waves, start=1):
        kind = wave[0].kind
        label = {"precondition": "preconditions", "release": "release"}.get(kind, "parallel")
        click.echo(f"wave {number} ({label}):")
        for s in wave:
            needs = f"  needs {', '.join(s.needs)}" if s.needs else ""
            optional = "  (optional)" if s.optional else ""
            reuse = f"  (cached: passed in run {cached[s.id]})" if s.id in cached else ""
            click.echo(f"  {s.id:<20} {s.uses:<14}{needs}{optional}{reuse}")
    click.echo("")
    click.echo(f"CI jobs (--group-by {group_by}):")
    for job in jobs:
        click.echo(f"  {job['name']}: relcheck run {job['only']} --record-dir records")
    click.echo(f"  release: {release}")


@main.command(context_settings=CONTEXT)
@checklist_option
@click.option(
    "--from-records",
    "record_dirs",
    multiple=True,
    required=True,
    metavar="DIR",
    help="Folder of the jobs' run records (repeatable; searched recursively).",
)
@click.option("--dry-run", is_flag=True, help="Verify the records; do not tag.")
@click.option("--version", "release_version", metavar="VERSION", help="Release version.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@boundary
def release(
    checklist: str | None,
    record_dirs: tuple[str, ...],
    dry_run: bool,
    release_version: str | None,
    fmt: str,
) -> None:
    """Release from the records of fanned-out CI jobs: every check must have passed
    exactly once, on this commit and checklist; then the release steps run."""
    from relcheck.checklist.load import find_checklist, load_checklist
    from relcheck.engine import fanout
    from relcheck.engine.session import RunRequest, execute
    from relcheck.git import refs as gitrefs
    from relcheck.models import StepKind
    from relcheck.system.interrupts import Cancellation, handle_signals

    _check_version_option(release_version)
    root = _root()
    loaded = load_checklist(find_checklist(root, checklist))
    head = gitrefs.head(root)
    tree = gitrefs.tree_of(root, head.commit) if head.commit else None
    prior = fanout.gather(
        loaded,
        fanout.find_records(record_dirs),
        head=head.commit,
        tree=tree,
        check_ids=[s.id for s in loaded.steps if s.kind is StepKind.CHECK],
    )
    from relcheck.report.select import make_reporter
    from relcheck.system.cienv import is_ci

    streams = _guard_output()
    reporter = make_reporter(fmt=fmt, ci=is_ci(os.environ), environ=os.environ)
    request = RunRequest(
        root=root,
        checklist=checklist,
        dry_run=dry_run,
        cli_version=release_version,
        mode="release",
        prior=prior,
        own_paths=record_dirs,  # downloaded into the checkout, they are not changes
    )
    with handle_signals(Cancellation()) as cancellation:
        outcome = _execute(execute, request, reporter, cancellation)
        # Still inside: a late Ctrl-C must not turn a finished run into exit 130.
        code = _finish(reporter, *outcome, streams, cancellation)
    sys.exit(code)


@main.group(context_settings=CONTEXT)
def hook() -> None:
    """Install, remove or describe the git hook that runs the checklist's checks.

    \b
    The pre-push hook runs `relcheck run --hook pre-push`: the checks (never release
    steps) on exactly the commit being pushed, when it goes to a branch or tag chosen
    under `hook:` in the checklist (default: the release branch and release tags).
    Skip it once with `git push --no-verify` or RELCHECK_SKIP=1.
    """


hook_name_option = click.option(
    "--hook",
    "name",
    default="pre-push",
    show_default=True,
    type=click.Choice(HOOK_NAMES),
    help="Which git hook.",
)


@hook.command(context_settings=CONTEXT)
@hook_name_option
@click.option(
    "-f", "--force", is_flag=True, help="Keep a hook relcheck did not write, and run it first."
)
@boundary
def install(name: str, force: bool) -> None:
    """Write the hook into the repository's hooks folder (core.hooksPath honoured)."""
    from relcheck.git import hooks

    state = hooks.install(_root(), name, force=force)
    click.echo(
        f"installed the {name} hook: {os.path.relpath(state.path)} -> {state.python} -m relcheck"
    )
    if state.backup:
        click.echo(f"the previous hook runs first: {os.path.relpath(state.backup)}")


@hook.command(context_settings=CONTEXT)
@hook_name_option
@boundary
def uninstall(name: str) -> None:
    """Remove relcheck's hook, and put back the hook it replaced."""
    from relcheck.git import hooks

    state, restored = hooks.uninstall(_root(), name)
    if not state.exists:
        click.echo(f"no {name} hook installed at {os.path.relpath(state.path)}")
        return
    click.echo(f"removed the {name} hook {os.path.relpath(state.path)}")
    if restored:
        click.echo(f"restored the previous {name} hook")


@hook.command("status", context_settings=CONTEXT)
@hook_name_option
@boundary
def hook_status(name: str) -> None:
    """Say what is installed as the hook; exit 1 when it is not relcheck's."""
    from relcheck.git import hooks

    state = hooks.status(_root(), name)
    where = os.path.relpath(state.path)
    if not state.exists:
        click.echo(f"{name}: not installed ({where} does not exist); run `relcheck hook install`")
        sys.exit(1)
    if not state.ours:
        click.echo(f"{name}: {where} is a hook relcheck did not write")
        sys.exit(1)
    works = state.python is not None and os.access(state.python, os.X_OK)
    click.echo(f"{name}: installed at {where}")
    click.echo(
        f"  runs: {state.python} -m relcheck run --hook {name}"
        + ("" if works else "  (missing: falls back to relcheck on PATH)")
    )
    if state.backup:
        click.echo(f"  runs first: {os.path.relpath(state.backup)} (the hook it replaced)")


@main.command(context_settings=CONTEXT)
@click.argument("tag")
@boundary
def verify(tag: str) -> None:
    """Check that release TAG was made by a run in which every required step passed, on
    the commit it points at, with the checklist whose hash it carries (exit 0, else 1)."""
    from relcheck.git.verify import verify as verify_tag
    from relcheck.report.tag import print_verdict

    root = _root()
    _require_repository(root, "verify")
    verdict = verify_tag(root, tag)
    print_verdict(verdict)
    sys.exit(0 if verdict.ok else 1)


@main.group(context_settings=CONTEXT)
def cache() -> None:
    """Manage the result cache (.relcheck/cache)."""


@cache.command("clear", context_settings=CONTEXT)
@click.argument("step", required=False, metavar="[STEP]")
@boundary
def cache_clear(step: str | None) -> None:
    """Forget cached passes: of STEP only, or all of them."""
    import re

    from relcheck import record
    from relcheck.checklist.schema import STEP_ID_PATTERN
    from relcheck.engine.cache import clear, results_dir

    state_dir = os.path.join(_root(), record.STATE_DIR)
    if step is not None and re.fullmatch(STEP_ID_PATTERN, step):  # else clear() says why
        base = results_dir(state_dir)
        cached = set(os.listdir(base)) if os.path.isdir(base) else set()
        _known_step(step, cached, "the cache")
    removed = clear(state_dir, step)
    what = f"of {step!r}" if step else "of every step"
    click.echo(f"cleared {removed} cached result{'s' * (removed != 1)} {what}")


def _template_names(incomplete: str) -> list[str]:
    """Shell completion of ``init --template``: the shipped templates' names."""
    from relcheck.checklist import scaffold

    return [name for name in scaffold.templates() if name.startswith(incomplete)]


def _known_step(step_id: str, seen: set[str], where: str) -> None:
    """Refuse (exit 2) a step id neither the checklist nor ``where`` has."""
    from relcheck.checklist.load import find_checklist, load_checklist
    from relcheck.errors import RelcheckError, UsageError

    try:
        listed = {s.id for s in load_checklist(find_checklist(_root(), None)).steps}
    except RelcheckError:
        listed = set()  # no checklist, or one that does not load: what was recorded
    known = listed | seen
    if step_id in known:
        return
    raise UsageError(
        f"no step {step_id!r} in the checklist or {where}",
        hint=f"steps: {', '.join(sorted(known))}" if known else None,
    )


def _register_evidence_commands() -> None:
    """compare, notes and report live in their own module (it imports only click)."""
    from relcheck.cli import evidence as evidence_cli

    for command in (evidence_cli.compare, evidence_cli.notes, evidence_cli.report):
        main.add_command(command)


_register_evidence_commands()
