"""Compare two flattened configurations path by path, under the drift policy.

- a path in production but not in staging: drift (``missing in staging``);
- a path only in staging: drift (``only in staging``) unless ``allow_extra`` matches;
- a value that differs: drift unless ``may_differ`` matches, but ``must_equal`` wins
  over ``may_differ``, and a different *type* (``"5432"`` against ``5432``, ``1`` against
  ``1.0``) is drift even where ``may_differ`` matches.

Lists compare by index, so a reordered list differs. A list is one value: where
``may_differ`` covers a list (``allowed_hosts``), items it has on one side only are part
of that allowed difference, while a mapping key missing on one side is still drift.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from relcheck.configdrift.paths import Globs, Subtree, type_name

MISSING = "(missing)"


@dataclass(frozen=True)
class Row:
    """One line of the report: a path, both sides as shown, the verdict and its rule."""

    path: str
    staging: str
    production: str
    verdict: str
    rule: str = "-"
    failing: bool = True


@dataclass(frozen=True)
class Policy:
    """Which differences are intended."""

    allow_extra: Globs
    may_differ: Globs
    must_equal: Globs


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two configurations."""

    compared: int
    rows: tuple[Row, ...]

    @property
    def drifted(self) -> int:
        return sum(1 for r in self.rows if r.failing)

    @property
    def allowed(self) -> int:
        return sum(1 for r in self.rows if not r.failing)


Show = Callable[[str, Any], str]


def compare(
    staging: Mapping[str, Any], production: Mapping[str, Any], policy: Policy, show: Show
) -> Comparison:
    """Judge every path of either side; ``show(path, value)`` renders (and masks) values."""
    staging, production = _reconcile(staging, production), _reconcile(production, staging)
    rows: list[Row] = []
    paths = sorted(staging.keys() | production.keys())
    for path in paths:
        if path not in staging or path not in production:
            rows.append(_one_sided(path, staging, production, policy, show))
            continue
        row = _judge(path, staging[path], production[path], policy, show)
        if row is not None:
            rows.append(row)
    return Comparison(len(paths), tuple(rows))


def _one_sided(
    path: str,
    staging: Mapping[str, Any],
    production: Mapping[str, Any],
    policy: Policy,
    show: Show,
) -> Row:
    extra = path not in production
    cells = (
        path,
        show(path, staging[path]) if extra else MISSING,
        MISSING if extra else show(path, production[path]),
    )
    verdict = "only in staging" if extra else "missing in staging"
    item_of = _list_of(path)
    if item_of is not None and not policy.must_equal.match(path):
        may = policy.may_differ.match(item_of)
        if may:
            return Row(*cells, verdict, f"may_differ {may!r}", failing=False)
    if extra:
        allowed = policy.allow_extra.match(path)
        if allowed:
            return Row(*cells, verdict, f"allow_extra {allowed!r}", failing=False)
    return Row(*cells, verdict)


def _list_of(path: str) -> str | None:
    """The nearest list ``path`` lies in (``hosts[2]``, ``servers[1].name`` -> the list)."""
    return path[: path.rindex("[")] if "[" in path else None


def _judge(path: str, left: Any, right: Any, policy: Policy, show: Show) -> Row | None:
    left_type, right_type = type_name(left), type_name(right)
    if left_type == right_type and not isinstance(left, Subtree) and left == right:
        return None
    shown = (path, show(path, left), show(path, right))
    may = policy.may_differ.match(path)
    if left_type != right_type:
        rule = f"may_differ {may!r} allows values, not types" if may else "-"
        return Row(*shown, f"type differs ({left_type} vs {right_type})", rule)
    must = policy.must_equal.match(path)
    if must:
        return Row(*shown, "differs", f"must_equal {must!r}")
    if may:
        return Row(*shown, "differs", f"may_differ {may!r}", failing=False)
    return Row(*shown, "differs")


def _reconcile(side: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, Any]:
    """``side`` with its leaves folded into one ``Subtree`` wherever ``other`` has a single
    value (an empty list, a scalar) at an ancestor path, so that shows as one row."""
    out = dict(side)
    ordered = sorted(side)
    for path in other:
        if path in side:
            continue
        below = [p for sep in ".[" for p in _prefixed(ordered, path + sep)]
        if not below:
            continue
        rest = below[0][len(path) :]
        kind = "list" if rest.startswith("[") else "mapping"
        size = len({_first_segment(p[len(path) :]) for p in below})
        for p in below:
            del out[p]
        out[path] = Subtree(kind, size)
    return out


def _prefixed(ordered: list[str], prefix: str) -> list[str]:
    start = bisect.bisect_left(ordered, prefix)
    end = start
    while end < len(ordered) and ordered[end].startswith(prefix):
        end += 1
    return ordered[start:end]


def _first_segment(rest: str) -> str:
    end = len(rest)
    for index, char in enumerate(rest[1:], start=1):
        if char in ".[":
            end = index
            break
    return rest[:end]
