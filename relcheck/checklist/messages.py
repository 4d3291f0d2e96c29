"""Turn pydantic's validation errors into problems at a line and column of the file.

pydantic names a place in the data (``steps.0.with.url``) and says what is wrong in its
own words; these say it in the checklist's words (``steps[0].with.url: expected text,
got a list``), with a "did you mean" for a key that is close to an allowed one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relcheck.errors import Problem, SourceLocation

if TYPE_CHECKING:
    from pydantic import BaseModel

    from relcheck.checklist.yamlsource import Path, SourceMap


def close_matches(word: str, candidates: list[str], n: int) -> list[str]:
    import difflib  # only for error hints

    return difflib.get_close_matches(word, candidates, n=n)


_TYPE_WORDS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true/false",
    "list": "a list",
    "tuple": "a list",
    "dict": "a mapping",
    "none": "nothing",
}


_TYPE_ERROR_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true/false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
}


def _fold_member_tags(loc: Path, source: SourceMap) -> tuple[Path, bool]:
    """``steps[0].run.list[str][1]`` -> ``steps[0].run[1]``: pydantic names the union
    member it tried inside the loc; the file has no such key. True when one was dropped."""
    parts: list[Any] = []
    dropped = False
    for index, part in enumerate(loc):
        is_tag = (
            index < len(loc) - 1
            and isinstance(part, str)
            and ("[" in part or part in _TYPE_WORDS)
            and tuple(parts) in source.marks
            and (*parts, part) not in source.marks
        )
        if is_tag:
            dropped = True
            continue
        parts.append(part)
    return tuple(parts), dropped


def problems_from(exc: Any, prefix: Any, source: SourceMap, keys_at: Any) -> list[Problem]:
    """Problems from a pydantic ValidationError; ``prefix`` maps an error loc to a file path."""
    to_path = prefix if callable(prefix) else (lambda loc, p=prefix: (*p, *loc))
    located: list[tuple[Path, bool, dict[str, Any]]] = []  # (loc, from a union member, error)
    for err in exc.errors(include_url=False):
        loc, member = _fold_member_tags(_without_union_tags(to_path(tuple(err["loc"]))), source)
        # Union members add their type name to the loc; fold them into the data's path.
        while len(loc) > 1 and loc not in source.marks and loc[:-1] in source.marks:
            if err["type"] in ("extra_forbidden", "unexpected_keyword_argument", "missing"):
                break
            loc, member = loc[:-1], True
        located.append((loc, member, err))
    deeper = [loc for loc, member, _err in located if member]
    grouped: dict[Path, list[dict[str, Any]]] = {}
    members: set[Path] = set()
    for loc, member, err in located:
        if member and any(len(d) > len(loc) and d[: len(loc)] == loc for d in deeper):
            # "[echo, 1] is not text" says less than "its item 1 is not text".
            continue
        if member:
            members.add(loc)
        same = grouped.setdefault(loc, [])
        if not any(e["type"] == err["type"] for e in same):  # one per union member kind
            same.append(err)
    out: list[Problem] = []
    for loc, errors in grouped.items():
        err = errors[0]
        kind = err["type"]
        where = (
            _dotted(loc[:-1])
            if kind in ("extra_forbidden", "unexpected_keyword_argument", "missing")
            else _dotted(loc)
        )
        lead = f"{where}: " if where else ""
        if kind in ("extra_forbidden", "unexpected_keyword_argument"):
            for e in errors:
                key = str(to_path(tuple(e["loc"]))[-1])
                allowed = keys_at(loc[:-1])
                close = close_matches(key, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                valid = f" (valid keys: {', '.join(allowed)})" if allowed and not close else ""
                out.append(
                    Problem(source.locate(loc, key=True), f"{lead}unknown key {key!r}{hint}{valid}")
                )
        elif kind == "missing":
            out.append(Problem(source.locate(loc[:-1]), f"{lead}missing required key {loc[-1]!r}"))
        elif loc == ("version",) and isinstance(err.get("input"), str):
            out.append(
                Problem(
                    source.locate(loc),
                    f"version: expected the number 1, got the text {err.get('input')!r}",
                )
            )
        elif loc == ("version",):
            out.append(
                Problem(
                    source.locate(loc),
                    f"unsupported checklist version {err.get('input')!r}; "
                    "this relcheck reads version 1",
                )
            )
        elif loc in members and len(errors) == 1 and kind in _TYPE_ERROR_WORDS:
            out.append(
                Problem(
                    source.locate(loc),
                    f"{lead}expected {_TYPE_ERROR_WORDS[kind]}, got {kind_of(err.get('input'))}",
                )
            )
        elif kind == "string_pattern_mismatch" and loc[-1] == "id":
            out.append(
                Problem(
                    source.locate(loc),
                    f"{lead}expected a step id of lowercase letters, digits, '-', '_' "
                    f"or '.', got {err.get('input')!r}",
                )
            )
        elif kind == "string_pattern_mismatch" and len(loc) == 2 and loc[0] == "services":
            out.append(
                Problem(
                    source.locate(loc, key=True),
                    f"services: expected a service name of lowercase letters, digits, '-', "
                    f"'_' or '.' (it names the service's log file), got {err.get('input')!r}",
                )
            )
        elif kind == "string_pattern_mismatch" and loc == ("release", "remote"):
            out.append(
                Problem(
                    source.locate(loc),
                    f"{lead}expected a remote name (no spaces, not starting with '-'), "
                    f"got {err.get('input')!r}",
                )
            )
        elif len(errors) > 1 and all(e["type"].endswith("_type") for e in errors):
            words = []
            for e in errors:
                name = str(e["loc"][-1]).split("[")[0].lower() if e["loc"] else ""
                word = _TYPE_WORDS.get(name, name)
                if word and word not in words:
                    words.append(word)
            out.append(
                Problem(
                    source.locate(loc),
                    f"{lead}expected {' or '.join(words)}, got {kind_of(err.get('input'))}",
                )
            )
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if kind.endswith("_type"):
                msg = f"{msg}, got {kind_of(err.get('input'))}"
            out.append(Problem(source.locate(loc), f"{lead}{msg}"))
    return out


def _without_union_tags(loc: Path) -> Path:
    """``steps[0].service.inline.ready`` -> ``steps[0].service.ready``."""
    from relcheck.checklist.schema import SERVICE_UNION_TAGS

    return tuple(
        part
        for i, part in enumerate(loc)
        if not (i > 0 and loc[i - 1] == "service" and part in SERVICE_UNION_TAGS)
    )


def spec_keys(loc: Path) -> list[str]:
    """The keys allowed at ``loc`` of the file, for "did you mean" hints."""
    from relcheck.checklist import schema

    sections: dict[Path, type[BaseModel]] = {
        (): schema.ChecklistSpec,
        ("release",): schema.ReleaseSpec,
        ("defaults",): schema.DefaultsSpec,
        ("hook",): schema.HookSpec,
    }
    model: type[BaseModel] | None = (
        schema.StepSpec if len(loc) == 2 and loc[0] == "steps" else sections.get(loc)
    )
    if (len(loc) == 3 and loc[0] == "steps" and loc[2] == "service") or (
        len(loc) == 2 and loc[0] == "services"
    ):
        model = schema.ServiceSpec
    if len(loc) == 3 and loc[0] == "steps" and loc[2] == "baseline":
        model = schema.BaselineSpec
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def param_keys(params_cls: type) -> list[str]:
    fields = getattr(params_cls, "model_fields", None) or getattr(
        params_cls, "__dataclass_fields__", {}
    )
    return [n for n in fields if not n.startswith("_")]


def _dotted(loc: Path) -> str:
    """``steps[2].timeout`` for ("steps", 2, "timeout")."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def kind_of(value: object) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",  # before int: a bool is an int
        int: "a whole number",
        float: "a number",
        type(None): "nothing",
    }
    for typ, name in names.items():
        if isinstance(value, typ):
            return name
    return type(value).__name__


def dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[SourceLocation, str]] = set()
    out = []
    for p in problems:
        if (p.location, p.message) not in seen:
            seen.add((p.location, p.message))
            out.append(p)
    return out
