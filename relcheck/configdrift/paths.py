"""Flatten nested configuration to dotted paths, and match paths against globs.

Path syntax: mapping keys joined by ``.``, list items as ``[i]``:
``database.pool.size``, ``hosts[0]``, ``servers[1].name``. A key that itself holds
``.``, ``[``, ``]``, ``"`` or is empty is written quoted (``labels."app.kubernetes.io/name"``)
so two different shapes never flatten to the same path.

Glob semantics (``may_differ``, ``must_equal``, ``allow_extra``, ``require`` paths):

- ``*`` matches any run of characters, dots included: ``*.url`` matches ``api.url`` and
  ``services.api.url`` (not a top-level ``url``); ``features.*`` matches everything below
  ``features``.
- ``?`` matches one character. ``[`` and ``]`` are literal, so ``hosts[0]`` names the
  first list item (stdlib ``fnmatch`` would read ``[0]`` as a character class).
- A pattern that matches a path also covers everything below it: ``database`` covers
  ``database.host`` and ``hosts`` covers ``hosts[0]``.
- Matching is case-sensitive, like the keys themselves.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from relcheck.errors import TooLarge

MAX_LEAVES = 200_000  # YAML aliases can make a small file flatten to millions of paths
MAX_DEPTH = 200  # deeper is no configuration; a YAML alias inside itself is endless
_NEEDS_QUOTES = re.compile(r'[.\[\]"]')


@dataclass(frozen=True)
class Subtree:
    """A non-empty list or mapping on one side where the other side has a single value."""

    kind: str  # "list" | "mapping"
    size: int


def key_segment(key: str) -> str:
    """``key`` as one path segment, quoted when it would be ambiguous."""
    if key and not _NEEDS_QUOTES.search(key):
        return key
    return json.dumps(key, ensure_ascii=False)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of ``data`` by its path; empty lists and mappings are leaves too."""
    out: dict[str, Any] = {}
    if not prefix and not data and isinstance(data, Mapping | list | tuple):
        return out  # an empty document has no keys, not one key named ""
    stack: list[tuple[str, Any, int]] = [(prefix, data, 0)]
    while stack:
        path, value, depth = stack.pop()
        if depth > MAX_DEPTH and isinstance(value, Mapping | list | tuple) and value:
            raise TooLarge(
                f"nested more than {MAX_DEPTH} levels deep (or a YAML alias holds itself)"
            )
        if isinstance(value, Mapping) and value:
            for key, child in reversed(list(value.items())):
                seg = key_segment(str(key))
                stack.append((f"{path}.{seg}" if path else seg, child, depth + 1))
        elif isinstance(value, list | tuple) and value:
            for index in range(len(value) - 1, -1, -1):
                stack.append((f"{path}[{index}]", value[index], depth + 1))
        else:
            out[path] = value
            if len(out) > MAX_LEAVES:
                raise TooLarge(f"more than {MAX_LEAVES} keys (after expanding YAML aliases)")
    return out


def is_below(path: str, ancestor: str) -> bool:
    """True when ``path`` lies strictly below ``ancestor``."""
    return path.startswith(ancestor) and path[len(ancestor) : len(ancestor) + 1] in (".", "[")


def subtree(flat: Mapping[str, Any], path: str) -> dict[str, Any]:
    """The leaves at or below ``path``."""
    return {p: v for p, v in flat.items() if p == path or is_below(p, path)}


def ancestors(path: str) -> list[str]:
    """``a.b[0].c`` -> ``a``, ``a.b``, ``a.b[0]`` (nearest last); quoted keys kept whole."""
    out: list[str] = []
    quoted = False
    for index, char in enumerate(path):
        if char == '"' and (index == 0 or path[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char in ".[" and index > 0:
            out.append(path[:index])
    return out


def segment_names(path: str) -> list[str]:
    """The key names along ``path`` (list indexes dropped, quotes removed)."""
    names: list[str] = []
    for part in re.findall(r'"(?:[^"\\]|\\.)*"|[^.\[\]]+', path):
        if part.startswith('"'):
            names.append(json.loads(part))
        elif not part.isdigit():
            names.append(part)
    return names


class Globs:
    """A list of path globs, with the semantics in this module's docstring."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._compiled = [(p, re.compile(_translate(p))) for p in self.patterns]

    def match(self, path: str) -> str | None:
        """The first pattern that matches ``path`` or one of its ancestors."""
        candidates = [path, *reversed(ancestors(path))]
        for pattern, regex in self._compiled:
            if any(regex.fullmatch(c) for c in candidates):
                return pattern
        return None

    def __bool__(self) -> bool:
        return bool(self.patterns)


def _translate(pattern: str) -> str:
    # fnmatch handles * and ?; brackets are escaped first so they stay literal.
    escaped = pattern.replace("[", "\0").replace("]", "\1")
    escaped = escaped.replace("\0", "[[]").replace("\1", "[]]")
    return fnmatch.translate(escaped)


def has_wildcard(pattern: str) -> bool:
    """True when ``pattern`` is a glob rather than one exact path."""
    return "*" in pattern or "?" in pattern


def type_name(value: Any) -> str:
    """A word for the type of a leaf value, as shown in the report."""
    if isinstance(value, Subtree):
        return value.kind
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    return type(value).__name__


def show(value: Any, width: int = 40) -> str:
    """A leaf value as the report shows it: text quoted, so ``"5432"`` differs from ``5432``."""
    if isinstance(value, Subtree):
        noun = "item" if value.kind == "list" else "key"
        text = f"[{value.size} {noun}s]" if value.size != 1 else f"[1 {noun}]"
        return text if value.kind == "list" else "{" + text[1:-1] + "}"
    if isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    elif isinstance(value, list | tuple):
        text = "[]"
    elif isinstance(value, Mapping):
        text = "{}"
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text
