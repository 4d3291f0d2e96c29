"""Several reporters at once: the terminal lines, a JUnit file, GitHub annotations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relcheck.models import Checklist, RunInfo, RunResult, Step, StepResult
    from relcheck.report import Reporter


class MultiReporter:
    """Passes every event and the final result to each reporter, in order."""

    def __init__(self, reporters: Iterable[Reporter]) -> None:
        self.reporters = tuple(reporters)

    def begin(self, checklist: Checklist, info: RunInfo) -> None:
        for reporter in self.reporters:
            begin = getattr(reporter, "begin", None)
            if begin is not None:
                begin(checklist, info)

    def on_event(self, kind: str, step: Step, result: StepResult | None) -> None:
        for reporter in self.reporters:
            reporter.on_event(kind, step, result)

    def on_output(self, step_id: str, text: str) -> None:
        for reporter in self.reporters:
            reporter.on_output(step_id, text)

    def finish(self, run: RunResult, record_path: str | None) -> None:
        for reporter in self.reporters:
            reporter.finish(run, record_path)

    def close(self) -> None:
        """Give the terminal back (the live view), even when the run crashed."""
        for reporter in self.reporters:
            close = getattr(reporter, "close", None)
            if close is not None:
                close()
