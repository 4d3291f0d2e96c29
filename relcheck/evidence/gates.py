"""Regression gates: a step's ``baseline:`` rules, judged against the previous release.

``baseline: {tests: no_fewer, coverage: no_drop, p95: "+20%", duration: "+50%"}``. A
rule is ``no_drop`` / ``no_fewer`` (may not go down), ``no_more`` / ``no_rise`` (may not
go up), ``+N%`` (may grow at most N percent) or ``-N%`` (may shrink at most N percent).
``first_release: pass | fail`` says what a gate does without a baseline to judge by.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from relcheck.evidence import NO_BASELINE, facts
from relcheck.evidence.baseline import Baseline
from relcheck.models import Status, Step, StepResult

RULE_PATTERN = r"^(no_drop|no_fewer|no_more|no_rise|[+-][0-9]+(\.[0-9]+)?%)$"
GATED = (*facts.KNOWN, facts.DURATION)
FIRST_RELEASE = "first_release"
_PERCENT = re.compile(r"^([+-])([0-9]+(?:\.[0-9]+)?)%$")


def holds(rule: str, before: float, after: float) -> bool:
    """Whether ``after`` keeps ``rule`` against ``before``."""
    if rule in ("no_drop", "no_fewer"):
        return after >= before
    if rule in ("no_more", "no_rise"):
        return after <= before
    match = _PERCENT.match(rule)
    if match is None:
        raise ValueError(f"not a baseline rule: {rule!r}")
    share = float(match.group(2)) / 100
    if match.group(1) == "+":
        return after <= before * (1 + share) + 1e-9
    return after >= before * (1 - share) - 1e-9


def explain(rule: str) -> str:
    """``may not drop``, ``may grow at most 20%``."""
    if rule in ("no_drop", "no_fewer"):
        return "may not drop"
    if rule in ("no_more", "no_rise"):
        return "may not rise"
    sign, amount = rule[0], rule[1:]
    return f"may {'grow' if sign == '+' else 'shrink'} at most {amount}"


def _numbers(metric: str, before: float, after: float) -> str:
    text = f"{facts.show(metric, before)} -> {facts.show(metric, after)}"
    if facts.unit(metric) in ("ms", "s") and before:
        return text + f" ({100 * (after - before) / before:+.0f}%)"
    return text + f" ({after - before:+g})"


def judge(
    step: Step,
    result: StepResult,
    baseline: Baseline | None,
    why_none: str = NO_BASELINE,
    *,
    doubt: bool = False,
) -> StepResult:
    """``result`` with the step's gates applied: FAILED, naming the baseline release and
    both numbers, when a gate does not hold, and FAILED on ``doubt`` (a previous release
    that cannot be read here: ``why_none`` says which and the fix), whatever
    ``first_release:`` says. Failed or skipped results stay as they are."""
    rules = {k: v for k, v in step.baseline.items() if k != FIRST_RELEASE}
    if not rules or result.status not in (Status.PASSED, Status.CACHED):
        return result
    said: list[str] = []
    if result.status is Status.CACHED and facts.DURATION in rules:
        # A pass served from cache took no time now: its counts still hold, its duration
        # is not this run's to judge.
        del rules[facts.DURATION]
        said.append("duration: served from cache, not judged")
    lenient = step.baseline.get(FIRST_RELEASE, "pass") == "pass"
    after = facts.measured(result)
    before_result = baseline.run.result(step.id) if baseline else None
    before = facts.measured(before_result) if before_result else {}
    failed: list[str] = []
    for metric, rule in rules.items():
        if metric not in after:
            failed.append(f"{metric}: the step measured no {metric} to compare ({rule})")
            continue
        if baseline is None and doubt:
            failed.append(f"{metric}: {why_none}")
            continue
        if baseline is None or metric not in before:
            why = (
                why_none
                if baseline is None
                else f"{baseline.label} has no {metric} for this step"
                + (" (its record is not here; its tag carries no metrics)" if baseline.note else "")
            )
            line = f"{metric}: {why}; first_release: {'pass' if lenient else 'fail'}"
            (said if lenient else failed).append(line)
            continue
        numbers = _numbers(metric, before[metric], after[metric])
        line = f"{metric} {numbers} against {baseline.label}: {explain(rule)}"
        (said if holds(rule, before[metric], after[metric]) else failed).append(line)
    metrics = {**result.metrics, "baseline_gates": [*failed, *said]}
    if not failed:
        return dataclasses.replace(result, metrics=metrics)
    summary = f"baseline gate failed: {failed[0]}"
    if len(failed) > 1:
        summary += f" (and {len(failed) - 1} more)"
    return dataclasses.replace(
        result,
        status=Status.FAILED,
        summary=summary,
        metrics=metrics,
        details=(*failed, f"the step itself: {result.summary}", *result.details),
    )


def judge_with(
    baseline: Baseline | None, why_none: str = NO_BASELINE, *, doubt: bool = False
) -> Callable[[Step, StepResult], StepResult]:
    """The engine's hook: every finished step judged against ``baseline``."""
    return lambda step, result: judge(step, result, baseline, why_none, doubt=doubt)
