"""One whole comparison: load both sides, compare, check rules, secrets and lock files."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from relcheck.configdrift import report
from relcheck.configdrift.compare import MISSING, Policy, Row, compare
from relcheck.configdrift.loaders import TEXT_ONLY
from relcheck.configdrift.paths import Globs, Subtree, subtree
from relcheck.configdrift.rules import SIDES, Rule, check
from relcheck.configdrift.secrets import SecretPolicy
from relcheck.configdrift.sources import Loaded, SourceSpec, load

FETCH_TIMEOUT = 30.0  # seconds for a URL side, at most the step's remaining time


@dataclass(frozen=True)
class LockSpec:
    """A pair of lock files."""

    staging: str
    production: str
    format: str | None = None


@dataclass(frozen=True)
class CheckInput:
    """Everything the comparison needs, as plain data."""

    staging: SourceSpec
    production: SourceSpec
    allow_extra: tuple[str, ...] = ()
    may_differ: tuple[str, ...] = ()
    must_equal: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    forbid_plaintext_secrets: bool = False
    secret_keys: tuple[str, ...] = ()
    secret_references: tuple[str, ...] = ()
    lockfiles: tuple[LockSpec, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What the runner reports: summary, table lines, metrics, and whether it failed."""

    summary: str
    details: list[str]
    log_lines: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)
    failed: bool = False


def run_check(
    spec: CheckInput,
    *,
    root: str,
    env: Mapping[str, str],
    timeout: float,
    mask: Callable[[str], str] = str,
) -> Outcome:
    """Run the comparison; raises SourceError when a side cannot be read. ``mask`` hides
    the run's secrets in values before they are shortened, and in the table's cells
    before the columns are sized."""
    policy = SecretPolicy(spec.secret_keys, spec.secret_references, mask)
    fetch_timeout = max(1.0, min(FETCH_TIMEOUT, timeout))
    sides = {
        name: load(source, name, root=root, env=env, timeout=fetch_timeout)
        for name, source in (("staging", spec.staging), ("production", spec.production))
    }
    staging, production = sides["staging"], sides["production"]
    drift = compare(
        staging.flat,
        production.flat,
        Policy(Globs(spec.allow_extra), Globs(spec.may_differ), Globs(spec.must_equal)),
        policy.show,
    )
    rule_rows = _rule_rows(spec.rules, sides, policy)
    if spec.forbid_plaintext_secrets:
        rule_rows += _plaintext_rows(sides, policy, root)
    lock_rows, packages = _lock_rows(spec.lockfiles, root)

    failing_drift = drift.drifted + sum(1 for r in lock_rows if r.failing)
    rules_failed = len(rule_rows)
    rows = [*rule_rows, *drift.rows, *lock_rows]
    summary = report.summary(
        keys=drift.compared,
        drifted=failing_drift,
        rules_failed=rules_failed,
        allowed=drift.allowed,
        packages=packages if spec.lockfiles else None,
    )
    secret_paths = {p for side in sides.values() for p in side.flat if policy.is_secret_path(p)}
    metrics: dict[str, Any] = {
        "keys_compared": drift.compared,
        "drifted": failing_drift,  # config keys and locked packages, as in the summary
        "allowed_differences": drift.allowed,
        "rules_checked": sum(len(r.sides) for r in spec.rules),
        "rules_failed": rules_failed,
        "secrets_masked": len(secret_paths),
        "staging_format": staging.format,
        "production_format": production.format,
    }
    if spec.lockfiles:
        metrics["packages_compared"] = packages
        metrics["packages_drifted"] = len(lock_rows)
    table = report.table(rows, mask) if rows else []
    header = (
        f"staging: {staging.label} ({staging.format}); "
        f"production: {production.label} ({production.format})"
    )
    return Outcome(
        summary=summary,
        details=table,
        log_lines=[header, summary, *table],
        metrics=metrics,
        failed=any(r.failing for r in rows),
    )


def _value_at(loaded: Loaded, path: str) -> Any:
    if path in loaded.flat:
        return loaded.flat[path]
    below = subtree(loaded.flat, path)
    if not below:
        return None
    first = next(iter(below))[len(path) :]
    return Subtree("list" if first.startswith("[") else "mapping", len(below))


def _cell(loaded: Loaded, path: str, policy: SecretPolicy) -> str:
    value = _value_at(loaded, path)
    if value is None and path not in loaded.flat:
        return MISSING
    return policy.show(path, value)


def _rule_rows(
    rules: tuple[Rule, ...], sides: Mapping[str, Loaded], policy: SecretPolicy
) -> list[Row]:
    rows: list[Row] = []
    for rule in rules:
        failed: dict[str, list[str]] = {}
        for side in rule.sides:
            loaded = sides[side]
            for failure in check(rule, loaded.flat, side, loaded.format in TEXT_ONLY):
                failed.setdefault(failure.path, []).append(side)
        for path, on in failed.items():
            where = "both" if len(on) == 2 else on[0]
            rows.append(
                Row(
                    path,
                    _cell(sides["staging"], path, policy),
                    _cell(sides["production"], path, policy),
                    f"failed on {where}",
                    rule.describe(),
                )
            )
    return rows


def _plaintext_rows(sides: Mapping[str, Loaded], policy: SecretPolicy, root: str) -> list[Row]:
    from relcheck.git import worktree

    files = [s.file for s in sides.values() if s.file is not None]
    tracked = worktree.tracked(root, files) if files else set()
    found: dict[str, list[str]] = {}
    for side in SIDES:
        loaded = sides[side]
        if loaded.file is None or loaded.file not in tracked:
            continue
        for path, value in loaded.flat.items():
            if policy.is_plaintext(path, value):
                found.setdefault(path, []).append(side)
    return [
        Row(
            path,
            _cell(sides["staging"], path, policy),
            _cell(sides["production"], path, policy),
            f"plain-text secret in {'both' if len(on) == 2 else on[0]}",
            "forbid_plaintext_secrets",
        )
        for path, on in sorted(found.items())
    ]


def _lock_rows(pairs: tuple[LockSpec, ...], root: str) -> tuple[list[Row], int]:
    from relcheck.configdrift.lockfiles import lock_format_for, parse_lock
    from relcheck.configdrift.sources import read_file, read_text
    from relcheck.errors import ParseError, SourceError

    rows: list[Row] = []
    packages = 0
    for pair in pairs:
        locks = []
        for side, location in (("staging", pair.staging), ("production", pair.production)):
            path = os.path.join(root, location)
            try:
                raw = read_file(path)
            except OSError as exc:
                raise SourceError(
                    f"{side} lock file {location}: {exc.strerror or 'cannot read'}"
                ) from None
            text = read_text(raw, location)
            try:
                locks.append(parse_lock(text, pair.format or lock_format_for(location)))
            except ParseError as exc:
                raise SourceError(
                    exc.where(location), path=location, line=exc.line, column=exc.column
                ) from None
        staged, produced = locks
        label = os.path.basename(pair.staging)
        names = sorted(staged.keys() | produced.keys())
        packages += len(names)
        for name in names:
            left, right = staged.get(name), produced.get(name)
            if left == right:
                continue
            verdict = (
                "missing in staging"
                if left is None
                else "only in staging"
                if right is None
                else "version differs"
            )
            rows.append(
                Row(f"{label}: {name}", left or MISSING, right or MISSING, verdict, "lockfiles")
            )
    return rows, packages
