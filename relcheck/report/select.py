"""Choose the reporters for a run from the command line and the environment."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TextIO

from relcheck.report import Reporter


def make_reporter(
    *,
    fmt: str = "text",
    quiet: bool = False,
    verbose: bool = False,
    ci: bool = False,
    junit_path: str | None = None,
    environ: Mapping[str, str],
    stdout: TextIO | None = None,
    progress: bool = False,
    color: str = "auto",
) -> Reporter:
    """The terminal reporter (JSON; the live view at a terminal when ``progress``; else
    lines, timestamped in CI, with a heartbeat for long steps), plus a JUnit file and
    GitHub Actions output or GitLab CI sections when asked for; one reporter, fanning out
    when there are more."""
    from relcheck.system import terminal
    from relcheck.system.cienv import on_github, on_gitlab

    out = stdout or sys.stdout
    reporters: list[Reporter] = []
    if fmt == "json":
        from relcheck.report.json_report import JsonReporter

        reporters.append(JsonReporter(out))
    elif not (quiet or ci) and terminal.want_live(out, environ, no_progress=not progress):
        from relcheck.report.console import make_console
        from relcheck.report.live import LiveReporter

        reporters.append(LiveReporter(make_console(color, out, environ), verbose=verbose))
    else:
        from relcheck.report.heartbeat import interval_from
        from relcheck.report.text import TextReporter

        try:
            heartbeat = interval_from(environ)
        except ValueError as exc:
            from relcheck.errors import UsageError

            raise UsageError(str(exc)) from None

        stream: TextIO = out
        if ci:
            from relcheck.report.stamps import TimestampedStream

            stream = TimestampedStream(out)  # type: ignore[assignment]
        # Plain lines are for logs and pipes: coloured only when asked for, by --color
        # always or by FORCE_COLOR.
        colored = color == "always" or (color == "auto" and terminal.color_forced(environ))
        reporters.append(
            TextReporter(stream, quiet=quiet, verbose=verbose, color=colored, heartbeat=heartbeat)
        )
    if junit_path:
        from relcheck.report.junit import JunitReporter, check_writable

        check_writable(junit_path)
        reporters.append(JunitReporter(junit_path))
    if on_github(environ):
        from relcheck.report.github import GithubReporter

        # JSON owns stdout; GitHub reads workflow commands from stderr too.
        reporters.append(GithubReporter(sys.stderr if fmt == "json" else out, environ))
    if on_gitlab(environ):
        from relcheck.report.gitlab import GitlabReporter

        # GitLab's job log holds stderr too; JSON owns stdout.
        reporters.append(GitlabReporter(sys.stderr if fmt == "json" else out))
    if len(reporters) == 1:
        return reporters[0]
    from relcheck.report.multi import MultiReporter

    return MultiReporter(reporters)
