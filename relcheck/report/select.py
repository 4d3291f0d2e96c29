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
) -> Reporter:
    """The terminal reporter (JSON or lines, timestamped in CI), plus a JUnit file and
    GitHub Actions output when asked for; one reporter, fanning out when there are more."""
    from relcheck.cienv import on_github

    out = stdout or sys.stdout
    reporters: list[Reporter] = []
    if fmt == "json":
        from relcheck.report.json_report import JsonReporter

        reporters.append(JsonReporter(out))
    else:
        from relcheck.report.text import TextReporter

        stream: TextIO = out
        if ci:
            from relcheck.report.stamps import TimestampedStream

            stream = TimestampedStream(out)  # type: ignore[assignment]
        reporters.append(TextReporter(stream, quiet=quiet, verbose=verbose))
    if junit_path:
        from relcheck.report.junit import JunitReporter, check_writable

        check_writable(junit_path)
        reporters.append(JunitReporter(junit_path))
    if on_github(environ):
        from relcheck.report.github import GithubReporter

        # JSON owns stdout; GitHub reads workflow commands from stderr too.
        reporters.append(GithubReporter(sys.stderr if fmt == "json" else out, environ))
    if len(reporters) == 1:
        return reporters[0]
    from relcheck.report.multi import MultiReporter

    return MultiReporter(reporters)
