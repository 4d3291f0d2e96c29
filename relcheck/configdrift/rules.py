"""``require`` rules: what must hold on both sides (or one), checked path by path.

A rule names a path (or a glob, see ``relcheck.configdrift.paths``) and any of:
``equals`` (``debug: false`` is short for ``debug: {equals: false}``), ``in`` (one of a
list), ``min`` / ``max`` (numeric bounds), ``present`` (``true``: the key exists;
``false``: it does not; ``absent: true`` says the same), and ``regex`` (searched, so
anchor it with ``^`` and ``$``). ``.env`` and INI files hold only text, so there
``"false"`` equals ``false`` and ``"50"`` is the number 50.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from relcheck.configdrift.paths import Globs, flatten, has_wildcard, subtree

SIDES = ("staging", "production")
UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET"})()


@dataclass(frozen=True)
class Rule:
    """One ``require`` entry."""

    path: str
    on: str = "both"  # both | staging | production
    equals: Any = UNSET
    in_: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    present: bool | None = None
    regex: str | None = None

    @property
    def sides(self) -> tuple[str, ...]:
        return SIDES if self.on == "both" else (self.on,)

    def describe(self) -> str:
        """``require max 50`` -- the rule as the report names it."""
        from relcheck.configdrift.paths import show

        parts = []
        if self.equals is not UNSET:
            parts.append(f"equals {_literal(self.equals)}")
        if self.in_ is not None:
            parts.append("in [" + ", ".join(_literal(v) for v in self.in_) + "]")
        if self.min is not None:
            parts.append(f"min {self.min:g}")
        if self.max is not None:
            parts.append(f"max {self.max:g}")
        if self.present is True:
            parts.append("present")
        if self.present is False:
            parts.append("absent")
        if self.regex is not None:
            parts.append(f"regex {show(self.regex)}")
        where = "" if self.on == "both" else f" on {self.on}"
        return f"require {', '.join(parts) or 'present'}{where}"


@dataclass(frozen=True)
class Failure:
    """A rule that does not hold for one path on one side."""

    path: str
    side: str
    reason: str  # "missing", "present", "not a number", "not in ...", ...


def check(rule: Rule, flat: Mapping[str, Any], side: str, textual: bool) -> list[Failure]:
    """Every way ``rule`` fails on one side's flattened configuration."""
    if has_wildcard(rule.path):
        globs = Globs([rule.path])
        targets = [p for p in flat if globs.match(p)]
    else:
        targets = list(subtree(flat, rule.path))
    if rule.present is False:
        return [Failure(p, side, "present") for p in targets[:1]]
    if not targets:
        return [Failure(rule.path, side, "missing")]
    if rule.equals is not UNSET and isinstance(rule.equals, dict | list) and rule.equals:
        # A whole list or mapping: compare every leaf below the path.
        expected = flatten(rule.equals, rule.path)
        actual = {p: flat[p] for p in targets}
        same = expected.keys() == actual.keys() and all(
            _equal(actual[p], v, textual) for p, v in expected.items()
        )
        return [] if same else [Failure(rule.path, side, "differs")]
    failures = []
    for path in targets:
        reason = _why_not(rule, flat[path], textual)
        if reason:
            failures.append(Failure(path, side, reason))
    return failures


def _why_not(rule: Rule, value: Any, textual: bool) -> str | None:
    if rule.equals is not UNSET and not _equal(value, rule.equals, textual):
        return "differs"
    if rule.in_ is not None and not any(_equal(value, v, textual) for v in rule.in_):
        return "not one of the allowed values"
    if rule.min is not None or rule.max is not None:
        number = _number(value, textual)
        if number is None:
            return "not a number"
        if rule.min is not None and number < rule.min:
            return "below min"
        if rule.max is not None and number > rule.max:
            return "above max"
    if rule.regex is not None:
        text = value if isinstance(value, str) else None
        if text is None and isinstance(value, int | float) and not isinstance(value, bool):
            text = str(value)
        if text is None or not re.search(rule.regex, text):
            return "does not match"
    return None


def _equal(actual: Any, expected: Any, textual: bool) -> bool:
    if type(actual) is type(expected) or (_is_number(actual) and _is_number(expected)):
        # 1 == 1.0 for a rule (unlike drift, where int vs float is a type change).
        return bool(actual == expected)
    if textual and isinstance(actual, str):
        return actual.strip().lower() == _literal(expected).lower() or (
            _is_number(expected) and _number(actual, True) == expected
        )
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any, textual: bool) -> float | None:
    if _is_number(value):
        return float(value)
    if textual and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _literal(value: Any) -> str:
    """A rule's expected value as YAML would write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)
