"""Read YAML safely into plain data, remembering the line and column of every node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relcheck.errors import Problem, SourceLocation

Path = tuple[str | int, ...]

_MAX_NODES = 200_000  # aliases can expand exponentially ("billion laughs")
_MAX_DEPTH = 64
_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@dataclass(frozen=True)
class SourceMap:
    """Where each node of a parsed document sits in its file."""

    path: str
    marks: dict[Path, tuple[int, int]]
    key_marks: dict[Path, tuple[int, int]]

    def locate(self, loc: Path, *, key: bool = False) -> SourceLocation:
        """The position of ``loc``, or of its nearest ancestor that has one."""
        table = self.key_marks if key else self.marks
        for end in range(len(loc), -1, -1):
            hit = table.get(loc[:end]) or self.marks.get(loc[:end])
            if hit:
                return SourceLocation(self.path, hit[0], hit[1])
        return SourceLocation(self.path, 1, 1)


class _TooBig(Exception):
    pass


def load_yaml(text: str, path: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse ``text``; return the data, its source map and any problems found."""
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    marks: dict[Path, tuple[int, int]] = {}
    key_marks: dict[Path, tuple[int, int]] = {}
    source = SourceMap(path, marks, key_marks)
    problems: list[Problem] = []
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and "end of stream" in (exc.problem or ""):
            mark = exc.context_mark  # an unclosed quote or bracket: point at its start
        where = SourceLocation(path, mark.line + 1, mark.column + 1) if mark else source.locate(())
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            what += " (a tab: YAML indents with spaces)"
        return None, source, [Problem(where, f"YAML syntax error: {what}")]
    except yaml.reader.ReaderError as exc:
        # A character YAML forbids (NUL, other control characters): name it and its place.
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return (
            None,
            source,
            [
                Problem(
                    SourceLocation(path, line, column),
                    f"character U+{exc.character:04X} is not allowed in YAML",
                )
            ],
        )
    except yaml.YAMLError as exc:
        return None, source, [Problem(SourceLocation(path, 1, 1), f"YAML error: {exc}")]
    except RecursionError:
        return None, source, [Problem(SourceLocation(path, 1, 1), "YAML nested too deeply")]
    finally:
        loader.dispose()
    if node is None:
        return None, source, []
    constructor = yaml.constructor.SafeConstructor()
    counter = [0]
    try:
        data = _convert(node, (), 0, constructor, source, problems, counter)
    except _TooBig as exc:
        return None, source, [Problem(source.locate(()), str(exc))]
    return data, source, problems


def _convert(
    node: Any,
    loc: Path,
    depth: int,
    constructor: Any,
    source: SourceMap,
    problems: list[Problem],
    counter: list[int],
) -> Any:
    import yaml

    counter[0] += 1
    if counter[0] > _MAX_NODES:
        raise _TooBig(f"document too large: more than {_MAX_NODES} nodes (aliases expanded)")
    if depth > _MAX_DEPTH:
        raise _TooBig(f"document nested more than {_MAX_DEPTH} levels deep")
    source.marks.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
        problems.append(Problem(_at(source, node), f"unsupported YAML tag {node.tag!r}"))
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(Problem(_at(source, key_node), "merge keys (<<) are not supported"))
                continue
            key = _scalar(key_node, constructor, source, problems)
            if not isinstance(key, str | int | float | bool) or key is None:
                problems.append(Problem(_at(source, key_node), "mapping keys must be plain text"))
                continue
            key = str(key) if not isinstance(key, str) else key
            child = (*loc, key)
            if key in seen:
                problems.append(
                    Problem(
                        _at(source, key_node),
                        f"duplicate key {key!r} (first defined on line {seen[key]})",
                    )
                )
                continue
            seen[key] = key_node.start_mark.line + 1
            source.key_marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _convert(
                value_node, child, depth + 1, constructor, source, problems, counter
            )
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*loc, i), depth + 1, constructor, source, problems, counter)
            for i, item in enumerate(node.value)
        ]
    return _scalar(node, constructor, source, problems)


def _scalar(node: Any, constructor: Any, source: SourceMap, problems: list[Problem]) -> Any:
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        return None
    try:
        value = constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        problems.append(Problem(_at(source, node), f"unsupported YAML value: {exc.problem}"))
        return None
    if isinstance(value, str) and "\0" in value:
        # Written as "\0" in a quoted string: no command, argument, variable or path can
        # hold one (the operating system ends the string there).
        problems.append(Problem(_at(source, node), "a NUL character (\\0) is not allowed"))
        return None
    return value


def _at(source: SourceMap, node: Any) -> SourceLocation:
    return SourceLocation(source.path, node.start_mark.line + 1, node.start_mark.column + 1)


def _char_at(text: str, line: int, column: int) -> str:
    """The character at 0-based ``line`` and ``column`` of ``text`` ("" past its end)."""
    lines = text.split("\n")
    return lines[line][column : column + 1] if line < len(lines) else ""
