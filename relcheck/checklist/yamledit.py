"""Read a composed YAML node tree and edit the text it came from by position, so the
text's comments and layout survive the edit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any


def key_node(mapping: Any, name: str) -> Any:
    """The key node ``name`` of a mapping node, or None."""
    for key, _value in mapping.value:
        if getattr(key, "value", None) == name:
            return key
    return None


def value_node(mapping: Any, name: str) -> Any:
    """The value node under ``name`` of a mapping node; None when absent or not a mapping."""
    import yaml

    if not isinstance(mapping, yaml.MappingNode):
        return None
    for key, value in mapping.value:
        if getattr(key, "value", None) == name:
            return value
    return None


def plain(node: Any) -> str | None:
    """A scalar node's text, or None for anything else."""
    import yaml

    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def scalars(node: Any) -> list[Any]:
    """Every scalar node in ``node``, depth first."""
    import yaml

    if node is None:
        return []
    if isinstance(node, yaml.ScalarNode):
        return [node]
    if isinstance(node, yaml.SequenceNode):
        return [s for child in node.value for s in scalars(child)]
    if isinstance(node, yaml.MappingNode):
        return [s for _k, v in node.value for s in scalars(v)]
    return []


def words_in(node: Any) -> Iterator[str]:
    """The words (names, paths, flags) in every scalar of ``node``."""
    for scalar in scalars(node):
        yield from re.findall(r"[A-Za-z0-9_.-]+", str(scalar.value))


def line_after(node: Any) -> int:
    """The first line after ``node``'s content.

    A block collection's end mark is where the next token starts, possibly lines later,
    so its last line is its last child's.
    """
    import yaml

    if isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return line_after(last[1] if isinstance(last, tuple) else last)
    end_line, end_column = int(node.end_mark.line), int(node.end_mark.column)
    if end_column == 0 and end_line > node.start_mark.line:  # a block scalar's newline
        return end_line
    return end_line + 1


def yaml_scalar(value: str) -> str:
    """``value`` as a YAML scalar, quoted when plain text would change its meaning."""
    import yaml

    if value in ("null", "true", "false"):
        return value
    if "{" in value:  # a tag pattern: double quotes, as the templates write it
        import json

        return json.dumps(value)
    dumped: str = yaml.safe_dump(value, default_flow_style=True, width=1000)
    return dumped.removesuffix("\n...\n").strip()


class TextEdits:
    """Text edits by position, applied last to first so positions stay true."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines = text.splitlines(keepends=True)
        self._starts = [0]
        for line in self._lines:
            self._starts.append(self._starts[-1] + len(line))
        self._edits: list[tuple[int, int, str]] = []

    def offset(self, line: int) -> int:
        return self._starts[min(line, len(self._lines))]

    def replace(self, node: Any, text: str) -> None:
        self.replace_span(node.start_mark.index, node.end_mark.index, text)

    def replace_span(self, start: int, end: int, text: str) -> None:
        self._edits.append((start, end, text))

    def delete_lines(self, first: int, end: int) -> None:
        self._edits.append((self.offset(first), self.offset(end), ""))

    def insert_line(self, line: int, text: str) -> None:
        at = self.offset(line)
        if at == len(self.text) and self.text and not self.text.endswith("\n"):
            text = "\n" + text
        self._edits.append((at, at, text))

    def apply(self) -> str:
        out = self.text
        for start, end, text in sorted(self._edits, key=lambda e: (e[0], e[1]), reverse=True):
            out = out[:start] + text + out[end:]
        return out
