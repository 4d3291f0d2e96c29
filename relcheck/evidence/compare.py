"""What changed between two runs: each step's status, duration and metrics, as data,
as the lines a person reads at the end of a run, and as Markdown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from relcheck.evidence import facts
from relcheck.evidence.baseline import Baseline
from relcheck.models import RunResult, StepResult

# A duration is noisy: it is notable only when it moved by this much, both ways.
_DURATION_NOTABLE = (0.25, 0.5)  # 25% and half a second
_LATENCY_NOTABLE = 0.10  # 10%


@dataclass(frozen=True)
class Delta:
    """One number of one step, before and after (None: not measured then)."""

    step: str
    metric: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def percent(self) -> float | None:
        change = self.change
        if change is None or not self.before:
            return None
        return 100.0 * change / self.before

    @property
    def verdict(self) -> str:
        """``improved``, ``regressed``, ``same``, ``changed``, ``new`` or ``gone``."""
        if self.before is None:
            return "new"
        if self.after is None:
            return "gone"
        change = self.change or 0.0
        if change == 0:
            return "same"
        way = facts.direction(self.metric)
        if way == 0:
            return "changed"
        return "improved" if change * way > 0 else "regressed"

    @property
    def notable(self) -> bool:
        change, percent = self.change, self.percent
        if change is None or change == 0:
            return False
        if self.metric == facts.DURATION:
            return abs(change) >= _DURATION_NOTABLE[1] and (
                percent is None or abs(percent) >= 100 * _DURATION_NOTABLE[0]
            )
        if facts.unit(self.metric) == "ms":
            return percent is None or abs(percent) >= 100 * _LATENCY_NOTABLE
        return True

    def line(self) -> str:
        """``unit: 412 -> 398 tests (-14)``, ``health p95: 180 -> 240 ms (+33%)``."""
        label = self.metric.removeprefix(facts.LINT_PREFIX)  # `lint E501`, not `lint lint.E501`
        name = self.step if self.metric == "tests" else f"{self.step} {label}"
        if self.before is None or self.after is None:
            value = self.after if self.before is None else self.before
            what = "new" if self.before is None else "no longer measured"
            return f"{name}: {what} ({facts.show(self.metric, value or 0.0)})"
        before, after = facts.show(self.metric, self.before), facts.show(self.metric, self.after)
        u = facts.unit(self.metric)
        if u in ("ms", "s"):
            by = f"{self.percent:+.0f}%" if self.percent is not None else f"{self.change:+g}"
            before = before.removesuffix(" ms")
        elif u == "%":
            by = f"{self.change:+.2f}".rstrip("0").rstrip(".")
        else:
            by = f"{self.change:+g}"
            after = f"{after} tests" if self.metric == "tests" else after
        return f"{name}: {before} -> {after} ({by})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "before": self.before,
            "after": self.after,
            "change": self.change,
            "percent": None if self.percent is None else round(self.percent, 1),
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class StepChange:
    """One step, before and after."""

    step: str
    status_before: str | None  # None: the step is new
    status_after: str | None  # None: the step is gone
    deltas: tuple[Delta, ...]

    @property
    def status_changed(self) -> bool:
        return self.status_before != self.status_after


@dataclass(frozen=True)
class Comparison:
    """Two runs side by side."""

    before: str  # a label: the tag, or "run <id>"
    after: str
    before_run: str
    after_run: str
    source: str  # where the "before" facts came from: record | tag
    note: str | None
    steps: tuple[StepChange, ...]

    def notable(self) -> list[str]:
        """The changes worth a line at the end of a run, most telling first."""
        lines = [
            f"{s.step}: {s.status_before or 'new'} -> {s.status_after or 'gone'}"
            for s in self.steps
            if s.status_changed
        ]
        for s in self.steps:
            has_tests = any(d.metric == "tests" and d.notable for d in s.deltas)
            lines.extend(
                d.line() for d in s.deltas if d.notable and not (has_tests and d.metric == "passed")
            )
        return lines

    def deltas(self) -> Iterable[Delta]:
        for s in self.steps:
            yield from s.deltas

    def as_dict(self) -> dict[str, Any]:
        """Plain data: what the record keeps and ``compare --format json`` prints."""
        cleaned: dict[str, Any] = _clean(
            {
                "before": self.before,
                "after": self.after,
                "before_run": self.before_run,
                "after_run": self.after_run,
                "source": self.source,
                "note": self.note,
                "notable": self.notable(),
                "steps": [
                    {
                        "id": s.step,
                        "status_before": s.status_before,
                        "status_after": s.status_after,
                        "metrics": [d.as_dict() for d in s.deltas],
                    }
                    for s in self.steps
                ],
            }
        )
        return cleaned


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _step_change(step: str, old: StepResult | None, new: StepResult | None) -> StepChange:
    a = facts.measured(old) if old else {}
    b = facts.measured(new) if new else {}
    names = [n for n in (facts.DURATION, *facts.KNOWN) if n in a or n in b]
    names += sorted(n for n in {*a, *b} if n not in names)  # per rule, per request
    return StepChange(
        step,
        str(old.status) if old else None,
        str(new.status) if new else None,
        tuple(Delta(step, n, a.get(n), b.get(n)) for n in names),
    )


def compare(before: Baseline, after: RunResult, after_label: str | None = None) -> Comparison:
    """Every step of both runs (``after``'s order, then steps only ``before`` had). A
    partial run (``--only``, a CI job of a fan-out) is compared on its own steps: the
    others are another job's, not gone."""
    ids = [r.step_id for r in after.steps]
    if not after.info.only:
        ids += [r.step_id for r in before.run.steps if r.step_id not in ids]
    return Comparison(
        before=before.label,
        after=after_label or after.info.tag or f"run {after.info.run_id}",
        before_run=before.run.info.run_id,
        after_run=after.info.run_id,
        source=before.source,
        note=before.note,
        steps=tuple(_step_change(i, before.run.result(i), after.result(i)) for i in ids),
    )
