"""The ``manual`` runner: a step a person confirms (``prompt: "On-call has been notified"``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

from relcheck.api import Runner, Status, StepContext, StepResult
from relcheck.errors import NoAnswer
from relcheck.git import identity
from relcheck.system import terminal


@dataclass(frozen=True)
class ManualParams:
    """``prompt`` is the statement the person confirms, shown as a y/N question."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    prompt: str = field(
        metadata={"description": "What the person confirms, e.g. On-call has been notified."}
    )

    def __post_init__(self) -> None:
        if not self.prompt.strip():
            raise ValueError("`prompt` must say what the person confirms")


class ManualRunner(Runner):
    """Asks a person to confirm ``prompt`` at the terminal, or takes ``--confirm STEP_ID``.

    Records who confirmed (git user.name and email) and when. Never cached: a
    confirmation is about this release, not about the files.
    """

    name = "manual"
    Params = ManualParams
    cacheable = False
    description = "A person confirms a statement: y/N at a terminal, or --confirm STEP_ID."

    def run(self, params: ManualParams, ctx: StepContext) -> StepResult:
        step_id = ctx.step.id
        flagged = ctx.confirmations.get(step_id)
        if flagged is not None:
            return _confirmed(params, flagged, "--confirm")
        if not ctx.interactive and ctx.info.mode == "hook":
            # `relcheck run --confirm` would run a whole release, not let this push go.
            return StepResult(
                Status.FAILED,
                f"needs a person to confirm: {params.prompt!r}; "
                f"push with `RELCHECK_CONFIRM={step_id} git push` to confirm it "
                "(or mark the step `when: release` to ask only when releasing)",
                details=(
                    f"confirm: {params.prompt}",
                    f"to confirm it for this push: RELCHECK_CONFIRM={step_id} git push",
                ),
                metrics={"prompt": params.prompt, "confirm_env": step_id},
            )
        if not ctx.interactive:
            return StepResult(
                Status.FAILED,
                f"needs a person to confirm: {params.prompt!r}; "
                f"run `relcheck run --confirm {step_id}` to confirm it without a prompt",
                details=(
                    f"confirm: {params.prompt}",
                    "relcheck asks at a terminal; here no one can answer",
                    f"to confirm non-interactively: relcheck run --confirm {step_id}",
                ),
                metrics={"prompt": params.prompt},
            )
        ctx.sink.note(f"asking: {params.prompt}")
        try:
            yes = terminal.ask_yes_no(
                f"[{step_id}] {params.prompt.rstrip(' ?.')}?",
                cancel=ctx.cancel,
                deadline=ctx.deadline,
            )
        except NoAnswer as exc:
            if ctx.cancel.is_set():
                return StepResult(Status.INTERRUPTED, "interrupted while waiting for an answer")
            if "timeout" in str(exc):
                return StepResult(
                    Status.TIMED_OUT, f"no answer within {ctx.step.timeout:g}s: {params.prompt!r}"
                )
            return StepResult(Status.FAILED, f"could not ask: {exc}")
        if not yes:
            ctx.sink.note("answered no")
            return StepResult(
                Status.FAILED,
                f"not confirmed: {params.prompt!r}",
                metrics={"prompt": params.prompt, "answered": "no"},
            )
        who = identity.user_identity(ctx.info.root)
        ctx.sink.note(f"confirmed by {who}")
        return _confirmed(params, who, "terminal")


def _confirmed(params: ManualParams, who: str, via: str) -> StepResult:
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    how = " with --confirm" if via == "--confirm" else ""
    return StepResult(
        Status.PASSED,
        f"confirmed by {who}{how}",
        metrics={
            "prompt": params.prompt,
            "confirmed_by": who,
            "confirmed_at": when,
            "confirmed_via": via,
        },
    )
