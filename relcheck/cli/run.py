"""``relcheck run``: its options, their checks, and the run they start."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from relcheck.cli.errorhandler import boundary
from relcheck.cli.lookup import find_root
from relcheck.cli.options import (
    CONTEXT,
    HOOK_NAMES,
    check_version_option,
    checklist_option,
    color_option,
)
from relcheck.cli.outcome import execute_request, finish, guard_output

if TYPE_CHECKING:
    from relcheck.report import Reporter


@click.command(context_settings=CONTEXT)
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
    check_version_option(release_version)
    if html_path:
        from relcheck.cli.evidence import check_html_path

        check_html_path(html_path)
    if failed and no_cache:
        raise UsageError("--failed reuses earlier passes from the cache; drop --no-cache")
    if hook_name and (only or skip or dry_run):
        raise UsageError(
            "--hook runs the checklist's hook: steps; it takes no --only, --skip, --dry-run"
        )
    root = find_root()
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
    streams = guard_output()
    reporter = reporter_factory()
    with handle_signals(Cancellation()) as cancellation:
        try:
            outcome = execute_request(execute, request, reporter, cancellation)
        finally:
            close = getattr(reporter, "close", None)  # give the terminal back, even on a crash
            if close is not None:
                close()
        # Still inside: a late Ctrl-C must not turn a finished run into exit 130.
        code = finish(reporter, *outcome, streams, cancellation)
    if html_path:
        from relcheck.cli.evidence import write_run_report

        write_run_report(root, outcome[0], html_path, record_dir)  # keeps the run's exit code
    sys.exit(code)


def _command_line() -> str:
    """The command as typed, for the record and the release notes."""
    import shlex

    return shlex.join(["relcheck", *sys.argv[1:]])
