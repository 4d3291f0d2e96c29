"""The JSON Schema of the checklist format, with each runner's ``with:`` parameters.

The file format comes from ``relcheck.checklist.schema.ChecklistSpec``; each runner's ``Params``
goes through pydantic's TypeAdapter. A step's ``with:`` is tied to its ``uses:`` by
``if``/``then``, which editors (the YAML language server in VS Code) follow for
completion and checks.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relcheck.api import Runner

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SHORTHAND_RUNNER = "command"  # `run:` is `uses: command` with `with.run`


def runner_classes(*, builtin_only: bool = False) -> dict[str, type[Runner]]:
    """Installed runner classes by name (only relcheck's own with ``builtin_only``)."""
    from relcheck.runners import registry

    return {
        name: info.load()
        for name, info in sorted(registry.installed().items())
        if info.builtin or not builtin_only
    }


def params_schema(params_cls: type) -> dict[str, Any]:
    """The JSON Schema of one runner's parameters (``$defs`` refs point at the top)."""
    from pydantic import TypeAdapter

    schema: dict[str, Any] = TypeAdapter(params_cls).json_schema(ref_template="#/$defs/{model}")
    if dataclasses.is_dataclass(params_cls):
        # A stdlib dataclass says what a parameter means with
        # ``field(metadata={"description": ...})``, which pydantic does not read itself.
        properties = schema.get("properties", {})
        for f in dataclasses.fields(params_cls):
            text = f.metadata.get("description")
            if text and f.name in properties:
                properties[f.name].setdefault("description", text)
    return schema


def checklist_schema(runners: Mapping[str, type[Runner]]) -> dict[str, Any]:
    """The whole file's schema; ``uses`` may name only ``runners``."""
    from relcheck.checklist.schema import ChecklistSpec

    schema = ChecklistSpec.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    step = defs["StepSpec"]
    names = sorted(runners)
    step["properties"]["uses"] = {
        "description": step["properties"]["uses"].get("description", ""),
        "type": "string",
        "enum": names,
    }
    rules: list[dict[str, Any]] = []
    for name in names:
        key = _params_key(name)
        defs[key] = _hoist(params_schema(runners[name].Params), defs, name)
        rules.append(
            {
                "if": {"required": ["uses"], "properties": {"uses": {"const": name}}},
                "then": {"properties": {"with": {"$ref": f"#/$defs/{key}"}}},
            }
        )
    if SHORTHAND_RUNNER in runners:
        rules.append(
            {
                "if": {"required": ["run"]},
                "then": {
                    "not": {"required": ["uses"]},
                    "properties": {"with": _without_run(defs[_params_key(SHORTHAND_RUNNER)])},
                },
            }
        )
    step["allOf"] = rules
    step["anyOf"] = [{"required": ["uses"]}, {"required": ["run"]}]
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "relcheck checklist",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def schema_text(runners: Mapping[str, type[Runner]]) -> str:
    """The schema as the committed file holds it: stable key order, newline at the end."""
    return json.dumps(checklist_schema(runners), indent=2, ensure_ascii=False) + "\n"


def _params_key(runner: str) -> str:
    return f"params-{runner}"


def _hoist(schema: dict[str, Any], defs: dict[str, Any], runner: str) -> dict[str, Any]:
    """Move ``schema``'s own ``$defs`` into ``defs``, renaming any that would collide."""
    inner: dict[str, Any] = schema.pop("$defs", {})
    renames = {
        name: f"{runner}.{name}"
        for name, body in inner.items()
        if name in defs and defs[name] != body
    }
    if renames:
        text = json.dumps({"schema": schema, "inner": inner})
        for old, new in renames.items():
            text = re.sub(rf'"#/\$defs/{re.escape(old)}"', json.dumps(f"#/$defs/{new}"), text)
        moved = json.loads(text)
        schema, inner = moved["schema"], moved["inner"]
    for name, body in inner.items():
        defs[renames.get(name, name)] = body
    return schema


def _without_run(params: dict[str, Any]) -> dict[str, Any]:
    """The command runner's parameters less ``run``, which the shorthand gives."""
    trimmed = {k: v for k, v in params.items() if k not in ("properties", "required", "title")}
    trimmed["properties"] = {k: v for k, v in params.get("properties", {}).items() if k != "run"}
    required = [r for r in params.get("required", []) if r != "run"]
    if required:
        trimmed["required"] = required
    return trimmed
