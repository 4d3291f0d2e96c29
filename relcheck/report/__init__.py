"""Reporters render a run: as it happens (events) and at the end (the RunResult)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from relcheck.models import Checklist, RunInfo, RunResult, Step, StepResult


class Reporter(Protocol):
    """Receives a run's events from the engine (under a lock) and its final result.

    ``begin`` is called once, before the first event, with every step of the run; a
    reporter written before it existed may leave it out.
    """

    def begin(self, checklist: Checklist, info: RunInfo) -> None: ...

    def on_event(self, kind: str, step: Step, result: StepResult | None) -> None: ...

    def on_output(self, step_id: str, text: str) -> None: ...

    def finish(self, run: RunResult, record_path: str | None) -> None: ...
