"""Which kind of step a runner makes: a check, a release precondition or a release step."""

from __future__ import annotations

from relcheck.models import Step
from relcheck.runners import registry


def is_release(step: Step) -> bool:
    return bool(registry.runner_attr(registry.load(step.uses), "release"))


def is_precondition(step: Step) -> bool:
    return bool(registry.runner_attr(registry.load(step.uses), "precondition"))
