"""The reference page (docs/reference.md): every key of the format, every runner's params.

Generated from the same models that validate a checklist, so it cannot say something
the loader does not do; a test compares the committed page with this output.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relcheck.api import Runner

from relcheck.checklist.runner_docs import param_fields
from relcheck.checklist.schema_export import checklist_schema, params_schema

REGENERATE = "relcheck schema --markdown --builtin-only --output docs/reference.md"

_SECTIONS = (
    ("ChecklistSpec", "Top level", "The keys of the file itself."),
    ("ReleaseSpec", "`release:`", "How the release tag is named and made."),
    ("DefaultsSpec", "`defaults:`", "Values every step starts from."),
    ("HookSpec", "`hook:`", "What the git pre-push hook checks."),
    ("StepSpec", "`steps[]`", "Each step. It has `uses:` (a runner) or `run:` (a command)."),
    (
        "BaselineSpec",
        "`steps[].baseline:`",
        "Regression gates: how a step's numbers may move since the previous release.",
    ),
)


def reference_markdown(runners: Mapping[str, type[Runner]]) -> str:
    """The whole reference page for a set of runners."""
    schema = checklist_schema(runners)
    defs = schema["$defs"]
    lines = [
        "# Checklist reference",
        "",
        "<!-- Generated from relcheck's models; do not edit. Regenerate with:",
        f"     {REGENERATE} -->",
        "",
        "Every key of the checklist format (version 1) and every built-in runner's",
        "parameters. Runners from plugins are listed by `relcheck runners`, and",
        "`relcheck schema` prints the JSON Schema of the format with every installed",
        "runner's parameters.",
        "",
    ]
    for name, title, intro in _SECTIONS:
        body = schema if name == "ChecklistSpec" else defs[name]
        lines += [f"## {title}", "", intro, ""]
        lines += _table(body, defs, _required(body))
    lines += [
        "## Runners",
        "",
        "A step's `with:` holds its runner's parameters; an unknown or misspelt key is an",
        "error at load time, with its line and column.",
        "",
    ]
    for runner_name in sorted(runners):
        lines += _runner_section(runner_name, runners[runner_name], defs)
    return "\n".join(lines).rstrip("\n") + "\n"


def _runner_section(name: str, cls: type[Runner], defs: dict[str, Any]) -> list[str]:
    lines = [f"### `{name}`", ""]
    description = getattr(cls, "description", "") or _first_line(cls.__doc__)
    if description:
        lines += [description, ""]
    kinds = [
        label
        for attr, label in (
            ("release", "a release step: runs last, only when every required step passed"),
            ("precondition", "a precondition: runs first; its failure means exit 3"),
            ("cacheable", "cacheable: an identical earlier pass may be reused"),
        )
        if getattr(cls, attr, False)
    ]
    if kinds:
        lines += [f"Kind: {'; '.join(kinds)}.", ""]
    params_doc = _first_line(getattr(cls.Params, "__doc__", None))
    if params_doc and not params_doc.startswith(cls.Params.__name__ + "("):
        lines += [params_doc, ""]
    schema = params_schema(cls.Params)
    fields = param_fields(cls.Params)
    if not fields:
        return [*lines, "No parameters.", ""]
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    properties = schema.get("properties", {})
    local_defs = {**defs, **schema.get("$defs", {})}
    for field_name, _annotation, default in fields:
        prop = properties.get(field_name, {})
        kind = _type_text(prop, local_defs)
        if not default:
            shown = "required"
        else:  # the JSON form (null, [0]) reads as YAML; Python's repr does not
            shown = _default(prop["default"], kind) if "default" in prop else f"`{default}`"
        rows.append(_row(f"`{field_name}`", kind, shown, prop.get("description", "")))
    if name == "command":
        rows += ["", "`run: X` on a step is shorthand for `uses: command` with `with: {run: X}`."]
    return [*lines, *rows, "", *_nested_tables(schema, local_defs)]


def _nested_tables(schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    """A table for each mapping inside a runner's parameters (``with.expect``, ...)."""
    out: list[str] = []
    seen: set[str] = set()
    queue: list[tuple[str, dict[str, Any]]] = [("with", schema)]
    while queue:
        path, body = queue.pop(0)
        for key, prop in body.get("properties", {}).items():
            for ref, suffix in _refs(prop):
                name = ref.rsplit("/", 1)[-1]
                target = defs.get(name, {})
                if "properties" not in target or name in seen:
                    continue
                seen.add(name)
                where = f"{path}.{key}{suffix}"
                out += [f"#### `{where}`", ""]
                if target.get("description"):
                    out += [_first_line(target["description"]), ""]
                out += _table(target, defs, _required(target))
                queue.append((where, target))
    return out


def _refs(prop: dict[str, Any], suffix: str = "") -> list[tuple[str, str]]:
    """The ``$ref``s a property leads to, with ``[]`` for list items, ``.*`` for values."""
    found: list[tuple[str, str]] = []
    if "$ref" in prop:
        found.append((prop["$ref"], suffix))
    for option in prop.get("anyOf", []) + prop.get("oneOf", []):
        found += _refs(option, suffix)
    if isinstance(prop.get("items"), dict):
        found += _refs(prop["items"], suffix + "[]")
    if isinstance(prop.get("additionalProperties"), dict):
        found += _refs(prop["additionalProperties"], suffix + ".*")
    return found


def _table(body: dict[str, Any], defs: dict[str, Any], required: set[str]) -> list[str]:
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for key, prop in body.get("properties", {}).items():
        if key in required:
            default = "required"
        elif "default" in prop:
            default = _default(prop["default"], _type_text(prop, defs))
        else:
            default = ""
        rows.append(_row(f"`{key}`", _type_text(prop, defs), default, prop.get("description", "")))
    return [*rows, ""]


def _required(body: dict[str, Any]) -> set[str]:
    return set(body.get("required", []))


def _row(*cells: str) -> str:
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def _type_text(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """A short, readable type from a JSON Schema fragment."""
    if "$ref" in prop:
        target = defs.get(prop["$ref"].rsplit("/", 1)[-1], {})
        if "properties" in target:
            return "mapping (below)"
        return _type_text(target, defs)
    if "const" in prop:
        return f"`{_value(prop['const'])}`"
    if "enum" in prop:
        return " or ".join(f"`{_value(v)}`" for v in prop["enum"])
    if "anyOf" in prop or "oneOf" in prop:
        options = prop.get("anyOf") or prop.get("oneOf") or []
        if any("(ms|s|m|h)" in str(o.get("pattern", "")) for o in options):
            return "duration (`90s`, `10m`, `1h`)"
        texts: list[str] = []
        for option in options:
            text = _type_text(option, defs)
            if text not in texts:
                texts.append(text)
        return " or ".join(texts)
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type_text(prop.get('items', {}), defs)}"
    if kind == "object":
        extra = prop.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return f"mapping of {_type_text(extra, defs)}"
        return "mapping"
    return {
        "string": "text",
        "integer": "integer",
        "number": "number",
        "boolean": "true/false",
        "null": "null",
    }.get(str(kind), "any")


def _default(value: Any, kind: str = "") -> str:
    if value is None:
        return ""
    if kind.startswith("duration") and isinstance(value, int | float):
        return f"`{_value(value)}s`"  # durations are stored in seconds
    return f"`{_value(value)}`"


def _value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, str) else json.dumps(value)


def _first_line(doc: str | None) -> str:
    return inspect.cleandoc(doc).split("\n\n", 1)[0].replace("\n", " ") if doc else ""
