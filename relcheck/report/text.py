"""Plain text output: a line per finished step, then failure details and the result."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from relcheck.durations import format_duration
from relcheck.models import Checklist, Outcome, RunInfo, RunResult, Status, Step, StepResult
from relcheck.report.heartbeat import Heartbeat
from relcheck.system.redact import printable

LABELS = {
    Status.PASSED: "PASS",
    Status.FAILED: "FAIL",
    Status.ERROR: "ERROR",
    Status.TIMED_OUT: "TIMEOUT",
    Status.SKIPPED: "SKIP",
    Status.CACHED: "CACHED",
    Status.INTERRUPTED: "STOPPED",
}
_TAIL_LINES = 15
# ANSI colours for the status label, used only when colour was asked for or detected.
_COLORS = {
    Status.PASSED: "32",
    Status.FAILED: "31;1",
    Status.ERROR: "31;1",
    Status.TIMED_OUT: "31;1",
    Status.SKIPPED: "33",
    Status.CACHED: "36",
    Status.INTERRUPTED: "33",
}


def step_line(result: StepResult, width: int = 12, *, color: bool = False) -> str:
    """``PASS  lint          0.21s  3 files clean``."""
    label = LABELS[result.status]
    if result.optional and result.status.fails_run:
        label += "?"  # an optional step's failure does not block
    duration = format_duration(result.duration) if result.status is not Status.SKIPPED else "-"
    padded = f"{label:<8}"
    if color:
        padded = f"\x1b[{_COLORS[result.status]}m{label}\x1b[0m{' ' * (8 - len(label))}"
    summary = result.summary
    if result.cached_from:
        summary += f" (passed in run {result.cached_from})"
    # A result may come from a record or a tag message: printable, whatever it holds.
    step_id, summary = printable(result.step_id), printable(summary)
    return f"{padded}{step_id:<{width}}  {duration:>7}  {summary}"


def failure_lines(result: StepResult) -> list[str]:
    """What someone needs to act on a failure: owner, expectation, rollback, output
    (each line printable)."""
    return [printable(line) for line in _failure_lines(result)]


def _failure_lines(result: StepResult) -> list[str]:
    title = f"{result.step_id} ({result.runner}) {result.status.words}"
    if result.optional:
        title += " [optional: does not block the release]"
    lines = [f"--- {title}: {result.summary}"]
    for label, value in (
        ("owner", result.owner),
        ("expected", result.expect),
        ("rollback", result.rollback),
        ("log", result.log_path),
    ):
        if value:
            lines.append(f"    {label}: {value}")
    for detail in result.details[:20]:
        lines.append(f"    {detail}")
    tail = result.output_tail.strip("\n")
    if tail and not result.details:
        lines.append("    output (last lines):")
        lines.extend(f"    | {line}" for line in tail.split("\n")[-_TAIL_LINES:])
    return lines


def count_line(results: tuple[StepResult, ...] | list[StepResult]) -> str:
    """``3 passed, 1 timed out``: how many steps ended each way. An optional step that did
    not pass is counted apart, as it does not block the release."""
    counts: dict[Status, int] = {}
    optional = 0
    for r in results:
        if r.optional and r.status.fails_run:
            optional += 1
            continue
        counts[r.status] = counts.get(r.status, 0) + 1
    parts = [f"{n} {s.words}" for s, n in counts.items()]
    if optional:
        parts.append(f"{optional} optional {plural(optional, 'step')} did not pass")
    return ", ".join(parts)


def plural(n: int, word: str) -> str:
    """``step`` or ``steps`` for ``n``."""
    return word if n == 1 else word + "s"


def result_line(run: RunResult) -> str:
    parts = [count_line(run.steps)] if run.steps else []
    head = {
        Outcome.PASSED: "passed",
        Outcome.FAILED: "FAILED",
        Outcome.BLOCKED: "BLOCKED",
        Outcome.INTERRUPTED: "INTERRUPTED",
        Outcome.TERMINATED: "TERMINATED",
        Outcome.ERROR: "ERROR",
        Outcome.RUNNING: "RUNNING",
    }[run.outcome]
    text = f"relcheck: {head}: {', '.join(parts) or 'no steps'} in {format_duration(run.duration)}"
    if run.message:
        text += f" ({run.message})"
    return printable(text)


class TextReporter:
    """Line-by-line output, safe for logs and pipes (no escape codes)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        quiet: bool = False,
        verbose: bool = False,
        color: bool = False,
        heartbeat: float | None = None,
    ):
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.verbose = verbose
        self.color = color
        self.width = 12
        self._partial: dict[str, str] = {}
        # Lines come from the engine's threads and from the heartbeat's: one at a time.
        self._lock = threading.Lock()
        self._heartbeat: Heartbeat | None = None
        if heartbeat:
            self._heartbeat = Heartbeat(heartbeat, self._write, self._lock)

    def _write(self, text: str) -> None:
        # One write per line: a line from another thread cannot land inside it.
        self.stream.write(text + "\n")
        self.stream.flush()

    def _print(self, text: str) -> None:
        with self._lock:
            self._write(text)

    def begin(self, checklist: Checklist, info: RunInfo) -> None:
        self.width = max([self.width, *(len(s.id) for s in checklist.steps)])

    def on_event(self, kind: str, step: Step, result: StepResult | None) -> None:
        self.width = max(self.width, len(step.id))
        if self._heartbeat is not None:
            with self._lock:
                if kind == "start":
                    self._heartbeat.started(step.id)
                elif kind == "finish":
                    self._heartbeat.finished(step.id)
        if kind == "start" and self.verbose:
            self._print(f"START   {step.id}")
        if kind != "finish" or result is None:
            return
        if self.quiet and (result.status.ok or result.status is Status.SKIPPED):
            return
        self._print(step_line(result, self.width, color=self.color))

    def on_output(self, step_id: str, text: str) -> None:
        if not self.verbose:
            return
        buffered = self._partial.pop(step_id, "") + text
        *lines, rest = buffered.split("\n")
        for line in lines:
            self._print(f"[{step_id}] {printable(line)}")
        if rest:
            self._partial[step_id] = rest

    def close(self) -> None:
        """Stop the heartbeat: the run is over (or crashed, or was interrupted)."""
        if self._heartbeat is not None:
            self._heartbeat.stop()

    def finish(self, run: RunResult, record_path: str | None) -> None:
        self.close()  # no heartbeat line after the result line
        failed = [r for r in run.steps if r.status.failed_itself]
        if failed:
            self._print("")
            for r in failed:
                for line in failure_lines(r):
                    self._print(line)
        from relcheck.evidence.stage import end_lines

        changes = [] if self.quiet else end_lines(run.baseline)
        if changes:
            self._print("")
            for line in changes:
                self._print(line)
        self._print("")
        self._print(result_line(run))
        if record_path and not self.quiet:
            self._print(f"record: {record_path}")
