"""``relcheck run``: its options, their checks, and the run they start.

The options are data (relcheck.cli.optiontable): relcheck.cli.run builds the click
command from them, and ``relcheck run`` with plainly spelt options is read here without
loading click (about 10 ms of every run's start).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from relcheck.cli.errorhandler import boundary
from relcheck.cli.lookup import find_root
from relcheck.cli.options import CHECKLIST, COLOR, HOOK_NAMES, check_version_option
from relcheck.cli.optiontable import Option, read
from relcheck.cli.outcome import execute_request, finish, guard_output

if TYPE_CHECKING:
    from relcheck.report import Reporter

# Set by click's shell completion: click must answer it.
COMPLETION_VARIABLE = "_RELCHECK_COMPLETE"

RUN_OPTIONS = (
    CHECKLIST,
    Option(
        "dry_run",
        "--dry-run",
        kind="flag",
        help="Run every check but no release step (no tag).",
    ),
    Option(
        "release_if_new",
        "--release-if-new",
        kind="flag",
        help="Release only a new version: when the version was released at an older commit "
        "or is a development version, the checks run and decide the exit code, and nothing "
        "is released (one CI job for every push).",
    ),
    Option(
        "jobs",
        "-j",
        "--jobs",
        minimum=1,
        help="Steps to run at once [default: 2 x CPUs, at least 8].",
    ),
    Option(
        "fail_fast",
        "--fail-fast",
        kind="flag",
        help="Start no new step after a required step fails.",
    ),
    Option(
        "only",
        "--only",
        kind="multiple",
        metavar="ID",
        help="Run only this step (repeatable).",
    ),
    Option(
        "skip",
        "--skip",
        kind="multiple",
        metavar="ID",
        help="Skip this step (repeatable); needs --reason.",
    ),
    Option(
        "reason",
        "--reason",
        metavar="TEXT",
        help="Why steps are skipped; kept in the record.",
    ),
    Option(
        "failed",
        "--failed",
        kind="flag",
        help="Rerun the steps that did not pass in the last run (and what needs them); "
        "reuse the other passes from the cache.",
    ),
    Option(
        "no_cache",
        "--no-cache",
        kind="flag",
        help="Run every step; reuse no earlier pass.",
    ),
    Option(
        "release_version",
        "--version",
        metavar="VERSION",
        help="Release version (overrides the checklist's source; v1.3.0 is 1.3.0).",
    ),
    Option(
        "fmt",
        "--format",
        choices=("text", "json"),
        default="text",
        show_default=True,
        help="Output: lines for people, or the run result as JSON on stdout.",
    ),
    Option(
        "record_dir",
        "--record-dir",
        metavar="DIR",
        help="Write the run record here [default: .relcheck/runs].",
    ),
    Option(
        "quiet",
        "-q",
        "--quiet",
        kind="flag",
        help="Print only failures and the result line.",
    ),
    Option(
        "verbose",
        "-v",
        "--verbose",
        kind="flag",
        help="Stream each step's output, prefixed with its id.",
    ),
    Option(
        "ci_flag",
        "--ci",
        kind="flag",
        help="CI mode (also when CI=true): never prompt, plain timestamped lines.",
    ),
    Option(
        "junit_path",
        "--junit",
        metavar="PATH",
        help="Also write a JUnit XML report.",
    ),
    Option(
        "html_path",
        "--html",
        metavar="PATH",
        help="Also write the run's HTML report (one file).",
    ),
    Option(
        "hook_name",
        "--hook",
        choices=HOOK_NAMES,
        help="Hook mode, as the installed git hook calls it: check what is pushed (git's "
        "pre-push lines on stdin), never run release steps.",
    ),
    Option(
        "no_progress",
        "--no-progress",
        kind="flag",
        help="Plain lines instead of the live view at a terminal.",
    ),
    COLOR,
    Option(
        "confirm",
        "--confirm",
        kind="multiple",
        metavar="ID",
        help="Confirm this manual step without a prompt (repeatable); recorded with your git name.",
    ),
)


def run_from_argv(args: Sequence[str]) -> None:
    """Run ``relcheck run ARGS`` when its options are plainly spelt (it then exits);
    return when click must read them (help, a mistake, an unusual spelling)."""
    if COMPLETION_VARIABLE in os.environ:
        return
    values = read(args, RUN_OPTIONS)
    if values is None:
        return
    run_checklist(**values)
    sys.exit(0)


@boundary
def run_checklist(
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
    from relcheck.cli import gcpause
    from relcheck.engine.session import RunRequest, execute
    from relcheck.errors import UsageError
    from relcheck.report.select import make_reporter
    from relcheck.system import terminal
    from relcheck.system.cienv import is_ci
    from relcheck.system.interrupts import Cancellation, handle_signals

    gcpause.resume()  # the run's modules are loaded
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
