"""After the checks: the run's verdict, then the release steps, one by one, if the gate opens."""

from __future__ import annotations

import dataclasses
import time

from relcheck.engine import gate, runstep, treeverdict
from relcheck.engine.state import RunState, stopped_outcome, verb
from relcheck.errors import RelcheckError
from relcheck.models import Checklist, Outcome, RunInfo, RunResult, Step, StepKind, StepResult
from relcheck.runners import registry


def conclude(
    state: RunState, checks: list[Step], releases: list[Step], started: float
) -> tuple[Outcome, str | None]:
    """The run's outcome and result line, once the checks are done; runs the release
    steps when every required step passed (and skips them, saying why, when not)."""
    cancel = state.cancel
    if cancel.cancelled:
        for step in releases:
            state.skip(step, "not run: the run was interrupted")
        return stopped_outcome(cancel), "interrupted: no release step was run"
    if state.settled is not None and not state.blocked:
        for step in releases:
            state.skip(step, state.stop_reason or "not run: already released")
        return Outcome.PASSED, state.settled
    hook = state.info.mode == "hook"
    # Preconditions decide only whether release steps may run, never the checks'
    # verdict, when they were not run for a release (a push) or refused only it.
    gated = [s for s in checks if not (s.kind is StepKind.PRECONDITION and (state.refused or hook))]
    # A check that changed the tree names itself, rather than "required step failed".
    blocker = treeverdict.blocker(state.watch) or gate.unmet(state, gated)
    if state.resuming is not None and not state.blocked:
        blocker = None  # the checks passed in the run that made the tag
    if state.blocked:
        outcome = Outcome.BLOCKED
    else:
        outcome = Outcome.PASSED if blocker is None else Outcome.FAILED
    message = blocker or state.resuming
    if state.refused is not None and not state.blocked:
        message = _also(blocker, state.refused)
        blocker = blocker or state.refused
    options = state.options
    if blocker is None and releases and options.release and not options.dry_run:
        blocker = _checkpoint(state, started)
        if blocker is not None:
            outcome, message = Outcome.FAILED, blocker
    outcome, message = _release_steps(state, releases, blocker, outcome, message)
    for step in releases:
        if step.id not in state.results:
            state.skip(step, state.stop_reason or "not run")
    # A Ctrl-C that lands after every release step passed cannot undo the release:
    # the tag exists, so the run passed (and exits 0), however late the signal came.
    # Otherwise an interrupted run (a release step included) ends as interrupted.
    released = bool(releases) and all(
        s.id in options.completed or (s.id in state.results and state.results[s.id].status.ok)
        for s in releases
    )
    if cancel.cancelled and outcome is not Outcome.BLOCKED and not released:
        outcome = stopped_outcome(cancel)
    return outcome, message


def _release_steps(
    state: RunState,
    releases: list[Step],
    blocker: str | None,
    outcome: Outcome,
    message: str | None,
) -> tuple[Outcome, str | None]:
    """Run (or, blocked, skip) each release step in order; stop at the first failure."""
    options, checklist, info = state.options, state.checklist, state.info
    for step in releases:
        if blocker is not None:
            state.skip(step, f"not run: {blocker}")
        elif step.id in options.skip:  # the command line refuses this; a library may not
            state.skip(step, f"skipped on request: {options.skip[step.id]}; nothing released")
            message = _also(message, state.results[step.id].summary)
        elif not options.release:
            state.skip(step, "not run: release steps do not run in this mode")
        elif options.dry_run and state.refused is not None:
            why = state.refused.partition("the release would be refused: ")[2]
            state.skip(step, f"not run: the release would be refused: {why}")
        elif options.dry_run:
            planned = _dry_run_text(step, checklist, info)
            if isinstance(planned, StepResult):  # the release step would fail
                state.finish(step, planned)
                would = planned.summary.removeprefix("dry run: ")
                state.stop_reason = f"not run: release step {step.id!r} would fail"
                return Outcome.FAILED, f"dry run: release step {step.id!r} {would}"
            state.skip(step, planned)
            message = _also(message, state.results[step.id].summary)
        elif state.cancel.cancelled:
            state.skip(step, "not run: the run was interrupted")
        elif step.id in options.completed:
            state.skip(step, f"completed in run {options.completed[step.id]}: not run again")
        else:
            result = runstep.execute(state, step)
            state.finish(step, result)
            if not result.status.ok:
                state.stop_reason = f"not run: release step {step.id!r} failed"
                why = f"release step {step.id!r} {verb(result.status)}: {result.summary}"
                return Outcome.FAILED, why
            message = _also(message, result.summary)
    return outcome, message


def _also(message: str | None, text: str) -> str:
    """``message; text``: the result line says what each release step did."""
    return "; ".join(filter(None, [message, text]))


def _checkpoint(state: RunState, started: float) -> str | None:
    """Let the caller record the checks before any release step; why not, if it failed."""
    if state.options.before_release is None or state.cancel.cancelled:
        return None
    steps = state.checklist.steps
    done = tuple(state.results[s.id] for s in steps if s.id in state.results)
    try:
        state.options.before_release(
            RunResult(state.info, Outcome.RUNNING, started, time.time(), done)
        )
    except (RelcheckError, OSError) as exc:
        return f"the run could not be recorded before releasing: {exc}"
    return None


def _dry_run_text(step: Step, checklist: Checklist, info: RunInfo) -> str | StepResult:
    """What the release step would do; a runner's ``describe`` may instead return a
    non-passing StepResult to say the step would fail."""
    runner = registry.load(step.uses)
    describe = getattr(runner, "describe", None)
    if describe is None:
        return "dry run: release step not run"
    planned = describe(step.params, checklist, info)
    if isinstance(planned, StepResult) and not planned.status.ok:
        summary = f"dry run: {planned.summary}"
        return dataclasses.replace(
            planned, summary=summary, step_id=step.id, runner=step.uses, started_at=time.time()
        )
    text = planned.summary if isinstance(planned, StepResult) else planned
    return f"dry run: {text}"
