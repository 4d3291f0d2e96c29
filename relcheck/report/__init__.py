"""Reporters render a run: as it happens (events) and at the end (the RunResult)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from relcheck.models import RunResult, Step, StepResult


class Reporter(Protocol):
    """Receives a run's events from the engine (under a lock) and its final result.

    Two methods are optional, looked up with getattr: ``begin(checklist, info)``, called
    once before the first event with every step of the run (the live view draws them
    all up front), and ``close()``, called even when the run crashed (the live view
    gives the terminal back).
    """

    def on_event(self, kind: str, step: Step, result: StepResult | None) -> None: ...

    def on_output(self, step_id: str, text: str) -> None: ...

    def finish(self, run: RunResult, record_path: str | None) -> None: ...
