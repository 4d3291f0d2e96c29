"""Which steps the result cache may reuse (relcheck.engine.cache says how): asked first,
so a run with none loads neither the cache nor this clone's key."""

from __future__ import annotations

from relcheck.errors import PluginError
from relcheck.models import Step, StepKind
from relcheck.runners import registry


def is_cacheable(step: Step) -> bool:
    """Whether a pass of ``step`` may be reused (see relcheck.engine.cache)."""
    if step.cache is False:
        return False
    try:
        cls = registry.load(step.uses)
    except PluginError:
        return False
    if step.kind is not StepKind.CHECK:
        return False
    if registry.runner_attr(cls, "cache_opt_in"):
        return bool(step.inputs) or step.cache is True
    if not registry.runner_attr(cls, "cacheable"):
        return False
    decide = getattr(cls, "cacheable_for", None)
    return bool(decide(step.params)) if callable(decide) else True
