"""`relcheck schema`, the committed JSON Schema and the generated reference page."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import TypeAdapter

from relcheck.checklist.reference import REGENERATE, reference_markdown
from relcheck.checklist.schema import StepSpec
from relcheck.checklist.schema_export import checklist_schema, runner_classes, schema_text
from tests.helpers import run_relcheck, write

REPO = Path(__file__).resolve().parent.parent
SCHEMA_FILE = REPO / "docs" / "relcheck.schema.json"
REFERENCE_FILE = REPO / "docs" / "reference.md"
SHIPPED = [REPO / "relcheck.yaml", *sorted((REPO / "checklists").glob("*.yaml"))]


@pytest.fixture(scope="module")
def builtin_schema() -> dict:
    return checklist_schema(runner_classes(builtin_only=True))


def _errors(schema: dict, data: object) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(data)]


def test_committed_schema_is_what_the_models_generate() -> None:
    expected = schema_text(runner_classes(builtin_only=True))
    assert SCHEMA_FILE.read_text() == expected, (
        "docs/relcheck.schema.json is out of date; regenerate it with: "
        "relcheck schema --builtin-only --output docs/relcheck.schema.json"
    )


def test_committed_reference_is_what_the_models_generate() -> None:
    expected = reference_markdown(runner_classes(builtin_only=True))
    assert REFERENCE_FILE.read_text() == expected, (
        f"docs/reference.md is out of date; regenerate it with: {REGENERATE}"
    )


def test_reference_lists_every_step_key_and_every_runner_parameter() -> None:
    text = REFERENCE_FILE.read_text()
    for name, field in StepSpec.model_fields.items():
        assert f"| `{field.alias or name}` |" in text
    for runner, cls in runner_classes(builtin_only=True).items():
        assert f"### `{runner}`" in text
        schema = TypeAdapter(cls.Params).json_schema()
        for body in [schema, *schema.get("$defs", {}).values()]:  # nested mappings too
            for param in body.get("properties", {}):
                assert f"| `{param}` |" in text, f"{runner}: {param}"


def test_schema_is_a_valid_json_schema(builtin_schema: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(builtin_schema)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_checklist_matches_the_schema_and_names_it(
    builtin_schema: dict, path: Path
) -> None:
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    target = text.split("\n", 1)[0].split("$schema=", 1)[1]
    assert (path.parent / target).resolve() == SCHEMA_FILE
    assert _errors(builtin_schema, yaml.safe_load(text)) == []


def test_schema_checks_a_steps_with_against_its_runner(builtin_schema: dict) -> None:
    def step(**fields: object) -> dict:
        return {"version": 1, "steps": [{"id": "s", **fields}]}

    assert _errors(builtin_schema, step(uses="manual", **{"with": {}})) != []  # prompt missing
    assert _errors(builtin_schema, step(uses="manual", **{"with": {"prompt": "ok"}})) == []
    typo = _errors(builtin_schema, step(uses="manual", **{"with": {"promt": "ok"}}))
    assert any("promt" in message for message in typo)
    assert _errors(builtin_schema, step(uses="no-such-runner")) != []
    assert _errors(builtin_schema, step(run="make", **{"with": {"exit_codes": [0, 1]}})) == []
    assert _errors(builtin_schema, step(run="make", **{"with": {"run": "x"}})) != []
    assert _errors(builtin_schema, step(run="make", uses="manual")) != []
    assert _errors(builtin_schema, step(name="neither uses nor run")) != []
    assert _errors(builtin_schema, step(run="make", timeout="soon")) != []


def test_schema_command_includes_an_installed_plugins_parameters(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(
        site / "demo_plugin.py",
        """
        from dataclasses import dataclass
        from typing import Any, ClassVar

        from relcheck.runners.registry import Runner


        @dataclass(frozen=True)
        class Params:
            __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
            endpoint: str
            attempts: int = 3


        class DemoRunner(Runner):
            name = "demo-check"
            Params = Params
        """,
    )
    write(site / "demo_plugin-0.1.dist-info" / "METADATA", "Name: demo-plugin\nVersion: 0.1\n")
    write(
        site / "demo_plugin-0.1.dist-info" / "entry_points.txt",
        "[relcheck.runners]\ndemo-check = demo_plugin:DemoRunner\n",
    )
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    proc = run_relcheck("schema", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    params = schema["$defs"]["params-demo-check"]
    assert params["required"] == ["endpoint"]
    assert params["properties"]["attempts"]["default"] == 3
    assert "demo-check" in schema["$defs"]["StepSpec"]["properties"]["uses"]["enum"]

    builtin = run_relcheck("schema", "--builtin-only", cwd=tmp_path, env=env)
    assert "demo-check" not in builtin.stdout

    reference = run_relcheck("schema", "--markdown", cwd=tmp_path, env=env)
    assert "### `demo-check`" in reference.stdout
    assert "| `endpoint` | text | required |" in reference.stdout


def test_schema_output_option_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "schema.json"
    proc = run_relcheck("schema", "--output", str(target), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(target.read_text())["title"] == "relcheck checklist"
    assert proc.stdout == ""
