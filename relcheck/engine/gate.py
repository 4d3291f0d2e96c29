"""The release gate: which precondition results refuse only the release, which stop the
run, when a release is already made, and whether release steps may run."""

from __future__ import annotations

import dataclasses

from relcheck.engine.state import RunState, verb
from relcheck.models import Status, Step, StepKind, StepResult


def refusal(state: RunState, step: Step, result: StepResult) -> StepResult:
    """A failed precondition that refuses only the release, as a skipped step that
    says so (the checks go on, and decide the run); else ``result`` unchanged.

    Checks run on every branch and in every dry run: a precondition stops them only
    when a person on a release branch asks for a release."""
    if step.kind is not StepKind.PRECONDITION or result.status.ok or step.optional:
        return result
    if state.info.mode == "release":
        return result  # `relcheck release` is asked to release: a refusal is a failure
    if result.status is not Status.FAILED:
        return result  # a precondition that could not run says nothing about branches
    options = state.options
    failed = result.metrics.get("failed") or ()
    before = result.metrics.get("released_before")
    development = result.metrics.get("development_version")
    if "branch" in failed or (options.dry_run and not before):
        # What would refuse it, with the fixes but those the precondition says do not
        # help off the release branch: on a feature branch, "git switch main" is not
        # what anyone should do.
        dropped = set(result.metrics.get("fix_dropped_on_refusal") or ())
        why = "; ".join(
            d.split("; fix: ", 1)[0] if d.partition(":")[0] in dropped else d
            for d in result.details
        )
        text = f"the release would be refused: {why or result.summary}"
    elif before and (options.release_if_new or options.dry_run):
        text = (
            f"nothing to release: {before}; the checks ran, no tag is made "
            "(bump the version to release)"
        )
    elif development and options.release_if_new:
        # The release branch between releases: every push checks, none releases.
        text = (
            f"nothing to release: {development}; the checks ran, no tag is made "
            "(commit the version without its .dev part to release)"
        )
    else:
        return result
    state.refused = state.refused or text
    return dataclasses.replace(result, status=Status.SKIPPED, summary=text, reason=text)


def after(state: RunState, step: Step, result: StepResult) -> None:
    """Take in a finished check: cache a pass, note a release already made, and stop
    the run where a precondition or ``--fail-fast`` says so."""
    options = state.options
    if result.status is Status.PASSED and options.cache is not None:
        options.cache.store(step, result)
    released = (
        result.metrics.get("already_released") if step.kind is StepKind.PRECONDITION else None
    )
    if result.status.ok and released and options.release and state.settled is None:
        if state.info.resume and state.resuming is None:
            # The tag proves the checks passed on this commit; release steps after
            # it did not all complete: the release resumes with those.
            state.resuming = result.summary
            state.stop_reason = (
                f"not run: {released} is made at this commit; the release resumes "
                f"with {', '.join(state.info.resume)}"
            )
        elif not state.info.resume:
            # The release tag already points at this commit: nothing would change, so
            # the checks need not run again and the run passes (an idempotent release).
            state.settled = result.summary
            state.stop_reason = f"not run: {released} is already released at this commit"
    if result.status.ok or step.optional:
        return
    if step.kind is StepKind.PRECONDITION and result.status is Status.SKIPPED:
        return  # refused only the release (see refusal): the checks go on
    if step.kind is StepKind.PRECONDITION:
        state.blocked = True
        state.stop_reason = f"not started: precondition {step.id!r} {verb(result.status)}"
    elif options.fail_fast and state.stop_reason is None:
        state.stop_reason = f"not started: --fail-fast after {step.id!r} {verb(result.status)}"


def unmet(state: RunState, checks: list[Step]) -> str | None:
    """None when release steps may run, else why not."""
    for step in checks:
        result = state.results.get(step.id)
        if step.optional or step.id in state.unneeded:
            continue
        if result is None or not result.status.ok:
            status = result.status if result else "did not run"
            return f"required step {step.id!r} {verb(status)}"
    return None
