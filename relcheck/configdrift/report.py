"""Render the comparison as a table of detail lines and a one-line summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from relcheck.configdrift.compare import Row

HEADER = Row("path", "staging", "production", "verdict", "rule")
MAX_ROWS = 500  # a record stays readable; the summary still counts every row
_MAX_PATH = 60


def table(rows: Sequence[Row], mask: Callable[[str], str] = str) -> list[str]:
    """The header and one line per row, failing rows first, columns aligned.

    Each cell is masked (``mask``: the run's secrets) before the widths are taken: a
    secret masked after padding would leave padding as long as the secret."""
    ordered = sorted(rows, key=lambda r: not r.failing)  # stable: path order within each
    shown = ordered[:MAX_ROWS]
    cells = [[mask(c) for c in _cells(row)] for row in (HEADER, *shown)]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(4)) + "  " + c[4] for c in cells]
    if len(ordered) > MAX_ROWS:
        lines.append(f"... and {len(ordered) - MAX_ROWS} more")
    return [line.rstrip() for line in lines]


def _cells(row: Row) -> list[str]:
    path = row.path if len(row.path) <= _MAX_PATH else row.path[: _MAX_PATH - 1] + "…"
    return [path, row.staging, row.production, row.verdict, row.rule]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary(
    *,
    keys: int,
    drifted: int,
    rules_failed: int,
    allowed: int,
    packages: int | None = None,
) -> str:
    """``142 keys compared, 3 drifted, 1 rule failed``."""
    compared = _plural(keys, "key")
    if packages is not None:
        compared += f" and {_plural(packages, 'locked package')}"
    if not drifted and not rules_failed and not allowed:
        return f"{compared} compared, identical"
    text = f"{compared} compared, {drifted} drifted, {_plural(rules_failed, 'rule')} failed"
    if allowed:
        text += f" ({allowed} allowed difference{'s' if allowed != 1 else ''})"
    return text
