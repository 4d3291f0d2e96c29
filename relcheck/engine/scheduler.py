"""Run the checks: start each step once what it waits on has settled, up to ``jobs`` at once."""

from __future__ import annotations

import heapq
import queue
import threading
from collections.abc import Callable

from relcheck.engine import gate, runstep
from relcheck.engine.options import fd_budget
from relcheck.engine.state import RunState, verb
from relcheck.models import Step, StepKind, StepResult


def readiness(state: RunState, step: Step, preconditions: list[Step]) -> str | None:
    """None when ``step`` may start; 'wait'; or a reason to skip it."""
    options = state.options
    if step.id in options.skip:
        return f"skipped on request: {options.skip[step.id]}"
    if state.stop_reason is not None:
        return state.stop_reason
    if step.kind is not StepKind.PRECONDITION:
        for pre in preconditions:
            if pre.id not in state.results:
                return "wait"
    if step.when == "release" and (state.info.mode == "hook" or state.refused is not None):
        state.unneeded.add(step.id)
        no = "a push is not a release" if state.info.mode == "hook" else "no release follows"
        return f"skipped: runs only for a release (when: release); {no}"
    for need in step.needs:
        if options.only and need not in options.only:
            continue  # a partial run records what it ran; the rest is another job's
        if need in state.unneeded:
            state.unneeded.add(step.id)
            return f"skipped: needs {need!r}, which runs only for a release"
        done = state.results.get(need)
        if done is None:
            return "wait"
        if not done.status.ok:
            return f"needs {need!r}, which {verb(done.status)}"
    return None


def run_checks(state: RunState, steps: list[Step]) -> None:
    """Start each step once it is ready, in checklist order, up to ``jobs`` at once.

    A step is looked at again only when something it waits on changes: a step it
    needs or a precondition finishes, or the run stops. Scanning every pending step
    after each finish made a 3000-step ``needs`` chain cost 9 million readiness
    checks (25 s of relcheck's own time); this costs one per edge."""
    jobs = max(1, min(state.options.jobs, fd_budget()))
    pres = {s.id for s in steps if s.kind is StepKind.PRECONDITION}
    preconditions = [s for s in steps if s.id in pres]
    index = {s.id: i for i, s in enumerate(steps)}
    dependents: dict[str, list[int]] = {}
    for i, step in enumerate(steps):
        for need in step.needs:
            dependents.setdefault(need, []).append(i)
    pending = set(index)
    ready = list(range(len(steps)))  # a heap of indexes to look at (again)
    queued = set(ready)
    left = len(preconditions)  # preconditions without a result

    def settled(step: Step, stop_before: str | None) -> None:
        """``step`` has a result: look again at what waited on it."""
        nonlocal left
        again = list(dependents.get(step.id, ()))
        if step.id in pres:
            left -= 1
            if left == 0:  # every check waited for the preconditions
                again = [index[i] for i in pending]
        if state.stop_reason != stop_before:  # every pending step is now skipped
            again = [index[i] for i in pending]
        for i in again:
            if i not in queued and steps[i].id in pending:
                queued.add(i)
                heapq.heappush(ready, i)

    running: dict[str, Step] = {}
    workers = _Workers(jobs, lambda step: runstep.execute(state, step))
    try:
        while pending or running:
            if state.cancel.cancelled:
                break
            while ready and len(running) < jobs:
                i = heapq.heappop(ready)
                queued.discard(i)
                step = steps[i]
                if step.id not in pending:
                    continue
                stop_before = state.stop_reason
                why = readiness(state, step, preconditions)
                if why == "wait":
                    continue  # queued again when what it waits on settles
                pending.discard(step.id)
                if why is not None:
                    state.skip(step, why)
                    settled(step, stop_before)
                    continue
                cached = state.options.cache.lookup(step) if state.options.cache else None
                if cached is not None:
                    state.emit("start", step, None)
                    state.finish(step, state.judged(step, cached))
                    settled(step, stop_before)
                    continue
                workers.submit(step)
                running[step.id] = step
            if not running:
                if pending:  # nothing can start: should not happen with a valid graph
                    for step in steps:
                        if step.id in pending:
                            state.skip(step, "could not be scheduled")
                    pending.clear()
                break
            finished = workers.next_result(timeout=0.25)
            if finished is None:
                continue
            step, outcome = finished
            del running[step.id]
            stop_before = state.stop_reason
            result = gate.refusal(state, step, outcome)
            state.finish(step, result)
            gate.after(state, step, result)
            settled(step, stop_before)
        while running:  # cancelled: steps stop their own processes
            finished = workers.next_result(timeout=None)
            assert finished is not None
            step, outcome = finished
            del running[step.id]
            state.finish(step, outcome)
    finally:
        workers.close()
    for step in steps:
        if step.id in pending:
            state.skip(step, "not started: the run was interrupted")


class _Workers:
    """Up to ``jobs`` threads that run steps, started as they are needed; each result
    comes back on one queue. A step's own process waits happen in its thread, so the
    thread the scheduler runs in only hands out steps and takes results."""

    def __init__(self, jobs: int, work: Callable[[Step], StepResult]) -> None:
        self._jobs = jobs
        self._work = work
        self._tasks: queue.SimpleQueue[Step | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[tuple[Step, StepResult | BaseException]] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._busy = 0

    def submit(self, step: Step) -> None:
        if self._busy == len(self._threads) and len(self._threads) < self._jobs:
            thread = threading.Thread(target=self._serve, name="relcheck-worker", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._busy += 1
        self._tasks.put(step)

    def next_result(self, timeout: float | None) -> tuple[Step, StepResult] | None:
        """The next step to finish and its result; None when none did within ``timeout``."""
        try:
            step, outcome = self._results.get(timeout=timeout)
        except queue.Empty:
            return None
        self._busy -= 1
        if isinstance(outcome, BaseException):  # runstep.execute does not raise: a bug
            raise outcome
        return step, outcome

    def close(self) -> None:
        """Let every thread end once its step has; wait for them."""
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()

    def _serve(self) -> None:
        while (step := self._tasks.get()) is not None:
            try:
                outcome: StepResult | BaseException = self._work(step)
            except BaseException as exc:  # handed to the scheduler's thread
                outcome = exc
            self._results.put((step, outcome))
