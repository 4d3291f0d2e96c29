"""What a run knows while it runs: each step's result, why steps stop, the release's state."""

from __future__ import annotations

import dataclasses
import signal
import threading
import time

from relcheck.engine import treewatch
from relcheck.engine.options import RunOptions
from relcheck.engine.shared import NoServices, Services
from relcheck.models import Checklist, Outcome, RunInfo, Status, Step, StepResult
from relcheck.system.folder import OpenFolder
from relcheck.system.interrupts import Cancellation


class RunState:
    """One run of the engine: its inputs, the results so far, and the gate's state."""

    def __init__(
        self, checklist: Checklist, info: RunInfo, options: RunOptions, cancel: Cancellation
    ) -> None:
        self.checklist = checklist
        self.info = info
        self.options = options
        self.cancel = cancel
        self.results: dict[str, StepResult] = {}
        self.lock = threading.Lock()
        self.stop_reason: str | None = None  # set by --fail-fast or a failed precondition
        self.blocked = False
        self.shared: Services = NoServices()  # run() puts the checklist's services here
        self.settled: str | None = None  # a precondition found the release already made
        self.resuming: str | None = None  # ... its tag made, release steps after it left
        self.watch: treewatch.TreeWatch | None = None  # run() sets it in a git work tree
        # The steps' logs' folder, held open while the run lasts (run() closes it).
        self.logs = OpenFolder(options.log_dir) if options.log_dir else None
        # Why no release step will run while the checks go on: a failed precondition on
        # a branch that is not a release branch, in a dry run, or with nothing to release.
        self.refused: str | None = options.refused
        self.unneeded: set[str] = set()  # `when: release` steps not run: no release follows

    def emit(self, kind: str, step: Step, result: StepResult | None) -> None:
        if self.options.on_event is not None:
            with self.lock:
                self.options.on_event(kind, step, result)

    def finish(self, step: Step, result: StepResult) -> None:
        result = dataclasses.replace(
            result,
            step_id=step.id,
            runner=step.uses,
            optional=step.optional,
            owner=step.owner,
            expect=step.expect,
            rollback=fill_release_values(step.rollback, self.info),
        )
        with self.lock:
            self.results[step.id] = result
            self.options.finished.append(result)
        self.shared.finished(step.id)
        self.emit("finish", step, result)

    def skip(self, step: Step, reason: str) -> None:
        self.finish(step, skipped(step, reason))

    def judged(self, step: Step, result: StepResult) -> StepResult:
        return result if self.options.judge is None else self.options.judge(step, result)


def fill_release_values(text: str | None, info: RunInfo) -> str | None:
    """``text`` (a rollback note) with ``{version}`` and ``{tag}`` as this run's values;
    a value the run does not know stays as written."""
    if not text:
        return text
    for name, value in (("version", info.version), ("tag", info.tag)):
        if value:
            text = text.replace("{" + name + "}", value)
    return text


def skipped(step: Step, reason: str) -> StepResult:
    return StepResult(
        Status.SKIPPED,
        reason,
        step_id=step.id,
        runner=step.uses,
        started_at=time.time(),
        reason=reason,
    )


def verb(status: Status | str) -> str:
    """How a result line says ``status`` happened to a step ("failed", "timed out"...)."""
    words: dict[str, str] = {
        Status.FAILED: "failed",
        Status.ERROR: "could not run",
        Status.TIMED_OUT: "timed out",
        Status.SKIPPED: "was skipped",
        Status.INTERRUPTED: "was interrupted",
    }
    return words.get(status, str(status))


def stopped_outcome(cancel: Cancellation) -> Outcome:
    """INTERRUPTED for SIGINT (Ctrl-C), else TERMINATED (SIGTERM: a cancelled CI job;
    SIGHUP: the terminal went away; SIGQUIT)."""
    return Outcome.INTERRUPTED if cancel.signal in (None, signal.SIGINT) else Outcome.TERMINATED
