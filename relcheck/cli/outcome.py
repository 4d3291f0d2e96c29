"""Finish a run for its user: guard the output, report the result, choose the exit code.

Shared by ``relcheck run`` and ``relcheck release``, the two commands that run steps.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from relcheck.system.terminal import echo

if TYPE_CHECKING:
    from collections.abc import Callable

    from relcheck.engine.session import RunRequest
    from relcheck.models import RunResult
    from relcheck.report import Reporter
    from relcheck.system.interrupts import Cancellation


def guard_output() -> tuple[object, object]:
    """Put stdout and stderr behind guards: output that cannot be written (a closed
    pipe, a full disk) is dropped and said at the end, and never changes the run."""
    from relcheck.report.guard import guard

    sys.stdout = guard(sys.stdout)
    sys.stderr = guard(sys.stderr)
    return sys.stdout, sys.stderr


def execute_request(
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


def finish(
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
        truth = f"; {release_truth(result)}" if release_truth(result) else ""
        for warning in warnings:
            echo(f"relcheck: warning: {warning}{truth}", err=True)
        if stdout is not None and getattr(stdout, "lost", None) is not None:
            # The result line did not reach its reader: say it where it can be read.
            echo(f"relcheck: {result.outcome}: {result.message or ''}".rstrip(": "), err=True)
    return code


def release_truth(result: RunResult) -> str:
    """What the run's release steps did, in a clause, or '' when none ran."""
    ran = [r for r in result.steps if r.metrics.get("tag") and r.status.ok]
    if not ran:
        return ""
    tag = ran[-1].metrics["tag"]
    if result.outcome.value == "passed":
        return f"the release {tag} is made (exit 0)"
    return f"{tag} was made, but the release did not finish"
