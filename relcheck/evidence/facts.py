"""The numbers a step result measured, under short names a checklist and a person read.

Runners record metrics under their own names (``latency_p95_ms``, ``by_rule``); the
comparison and the gates speak of ``p95``, ``tests``, ``lint.E501``. This is the one
place that maps one to the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from relcheck.models import Status, StepResult

# Short name -> (metric key in the record, unit, direction: +1 more is better, -1 less
# is better, 0 neither). Order is the order people read them in.
KNOWN: dict[str, tuple[str, str, int]] = {
    "tests": ("tests", "tests", +1),
    "passed": ("passed", "passed", +1),
    "failed": ("failed", "failed", -1),
    "skipped": ("skipped", "skipped", -1),
    "coverage": ("coverage", "%", +1),
    "findings": ("findings", "findings", -1),
    "p50": ("latency_p50_ms", "ms", -1),
    "p95": ("latency_p95_ms", "ms", -1),
    "keys_compared": ("keys_compared", "keys", +1),
    "drifted": ("drifted", "drifted", -1),
}
DURATION = "duration"
LINT_PREFIX = "lint."
# Steps served from cache or skipped measured nothing in this run.
_NOT_MEASURED = (Status.SKIPPED, Status.CACHED, Status.INTERRUPTED)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def measured(result: StepResult) -> dict[str, float]:
    """Every number ``result`` measured, by short name (``duration`` included)."""
    out: dict[str, float] = {}
    if result.status not in _NOT_MEASURED:
        out[DURATION] = round(result.duration, 3)
    metrics: Mapping[str, Any] = result.metrics
    for name, (key, _unit, _direction) in KNOWN.items():
        value = _number(metrics.get(key))
        if value is not None:
            out[name] = value
    by_request = metrics.get("by_request")  # http: each request of a step with several
    if isinstance(by_request, Mapping):
        for label, latencies in by_request.items():
            if not isinstance(latencies, Mapping):
                continue
            for short in ("p50", "p95"):
                value = _number(latencies.get(KNOWN[short][0]))
                if value is not None:
                    out[f"{short} {label}"] = value
    by_rule = metrics.get("by_rule")
    if isinstance(by_rule, Mapping):
        for rule, count in by_rule.items():
            value = _number(count)
            if value is not None:
                out[f"{LINT_PREFIX}{rule}"] = value
    return out


def _per_request(name: str) -> bool:
    return name.startswith(("p50 ", "p95 "))


def unit(name: str) -> str:
    if name == DURATION:
        return "s"
    if _per_request(name):
        return "ms"
    if name.startswith(LINT_PREFIX):
        return "findings"
    return KNOWN[name][1] if name in KNOWN else ""


def direction(name: str) -> int:
    """+1 when more is better, -1 when less is better, 0 when neither."""
    if name == DURATION or name.startswith(LINT_PREFIX) or _per_request(name):
        return -1
    return KNOWN[name][2] if name in KNOWN else 0


def show(name: str, value: float) -> str:
    """``412``, ``91.5%``, ``180 ms``, ``3.20s``."""
    text = f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")
    u = unit(name)
    if u == "%":
        return f"{text}%"
    if u in ("ms",):
        return f"{text} ms"
    if u == "s":
        return f"{value:.2f}s"
    return text


def brief(result: StepResult) -> str:
    """The step's main numbers in one line: ``tests 412, coverage 91.5%``."""
    numbers = measured(result)
    parts = [
        f"{name} {show(name, numbers[name])}"
        for name in KNOWN
        if name in numbers and name not in ("passed",)
    ]
    return ", ".join(parts)
