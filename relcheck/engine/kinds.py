"""Which kind of step a runner makes: a check, a release precondition or a release step."""

from __future__ import annotations

from relcheck.models import Step, StepKind


def is_release(step: Step) -> bool:
    return step.kind is StepKind.RELEASE


def is_precondition(step: Step) -> bool:
    return step.kind is StepKind.PRECONDITION
