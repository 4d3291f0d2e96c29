"""The order steps run in: preconditions, then checks along `needs`, then release steps."""

from __future__ import annotations

from relcheck import registry
from relcheck.models import Checklist, Step


def kind_of(step: Step) -> str:
    """``precondition``, ``release`` or ``check``."""
    cls = registry.load(step.uses)
    if registry.runner_attr(cls, "release"):
        return "release"
    if registry.runner_attr(cls, "precondition"):
        return "precondition"
    return "check"


def levels(checklist: Checklist) -> list[list[Step]]:
    """Steps grouped in waves: each wave needs only steps of earlier waves."""
    kinds = {s.id: kind_of(s) for s in checklist.steps}
    pres = [s for s in checklist.steps if kinds[s.id] == "precondition"]
    checks = [s for s in checklist.steps if kinds[s.id] == "check"]
    releases = [s for s in checklist.steps if kinds[s.id] == "release"]
    waves: list[list[Step]] = [pres] if pres else []
    placed: set[str] = {s.id for s in pres}
    remaining = list(checks)
    while remaining:
        wave = [s for s in remaining if all(n in placed or n not in kinds for n in s.needs)]
        if not wave:  # a cycle; validation refuses those, so this is only a safeguard
            wave = remaining
        waves.append(wave)
        placed.update(s.id for s in wave)
        remaining = [s for s in remaining if s.id not in placed]
    waves.extend([r] for r in releases)
    return waves


def run_order(checklist: Checklist) -> list[tuple[Step, str]]:
    """Every step, in the order it would start, with its kind."""
    return [(s, kind_of(s)) for wave in levels(checklist) for s in wave]
