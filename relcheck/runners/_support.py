"""Helpers shared by runners that wrap a command."""

from __future__ import annotations

from collections.abc import Collection

from relcheck.api import Status, StepResult
from relcheck.system.process_result import CommandResult


def interrupted_or_timed_out(result: CommandResult, timeout: float) -> StepResult | None:
    """The result for a command that did not finish on its own, else None."""
    if result.cancelled:
        return StepResult(Status.INTERRUPTED, "interrupted", exit_code=result.returncode)
    if result.timed_out:
        return StepResult(
            Status.TIMED_OUT,
            f"timed out after {timeout:g}s (process group stopped)",
            exit_code=result.returncode,
        )
    return None


def from_exit(result: CommandResult, ok_codes: Collection[int], timeout: float) -> StepResult:
    """PASSED or FAILED from an exit code; killed/timed-out/interrupted said as such."""
    unfinished = interrupted_or_timed_out(result, timeout)
    if unfinished is not None:
        return unfinished
    if result.signal is not None:
        return StepResult(Status.FAILED, result.describe(), exit_code=result.returncode)
    if result.returncode in ok_codes:
        return StepResult(Status.PASSED, f"exit {result.returncode}", exit_code=result.returncode)
    expected = ", ".join(str(c) for c in sorted(ok_codes))
    return StepResult(
        Status.FAILED,
        f"exit {result.returncode} (expected {expected})",
        exit_code=result.returncode,
    )
