"""The GitHub Action (action.yml): its steps run as the runner runs them, against a real
repository, with relcheck already installed (``install: false``); and no input can reach
a shell script except through ``env:``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# How GitHub runs a step with `shell: bash`.
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]


@dataclass
class ActionRun:
    """What a workflow sees after the action: exit code, outputs, log, step summary."""

    exit_code: int
    outputs: dict[str, str]
    log: str
    summary: str
    step_outputs: dict[str, dict[str, str]] = field(default_factory=dict)


def _read_outputs(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        assert "<<" not in line, "multi-line outputs are not used"
        name, _, value = line.partition("=")
        found[name] = value
    return found


def _evaluate(text: str, context: dict[str, Any]) -> str:
    """The expressions this action uses, and only those: a new kind fails the test."""

    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        if m := re.fullmatch(r"inputs\.([\w-]+)", expr):
            return str(context["inputs"][m.group(1)])
        if expr == "github.action_path":
            return str(context["action_path"])
        if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
            return context["steps"].get(m.group(1), {}).get(m.group(2), "")
        raise AssertionError(f"an expression this test does not know: {expr}")

    return EXPRESSION.sub(one, text)


def run_action(
    workspace: Path, tmp_path: Path, *, relcheck_on_path: bool = True, **given: str
) -> ActionRun:
    """Run action.yml's steps in order as the runner would, with ``given`` inputs; with
    ``relcheck_on_path``, the project's own environment (relcheck installed) is on PATH."""
    unknown = set(given) - set(ACTION["inputs"])
    assert not unknown, f"not inputs of the action: {unknown}"
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    inputs.update(given)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    summary = tmp_path / "step-summary.md"
    summary.write_text("")
    context: dict[str, Any] = {"inputs": inputs, "action_path": ROOT, "steps": {}}
    base_env = {
        **os.environ,
        "PATH": (
            f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
            if relcheck_on_path
            else f"{tmp_path}{os.pathsep}/usr/bin{os.pathsep}/bin"
        ),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(ROOT),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    log = []
    code = 0
    for index, step in enumerate(ACTION["runs"]["steps"]):
        assert step["shell"] == "bash"
        assert "if" not in step  # every step runs; its script decides what to do
        output_file = tmp_path / f"output-{index}"
        output_file.write_text("")
        script = tmp_path / f"step-{index}.sh"
        script.write_text(step["run"])
        env = {
            **base_env,
            **{k: _evaluate(str(v), context) for k, v in step.get("env", {}).items()},
            "GITHUB_OUTPUT": str(output_file),
        }
        proc = subprocess.run(
            [*BASH, str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        log.append(proc.stdout + proc.stderr)
        context["steps"][step["id"]] = _read_outputs(output_file)
        code = proc.returncode
        if code != 0:
            break  # the job stops at a failed step
    outputs = {name: _evaluate(spec["value"], context) for name, spec in ACTION["outputs"].items()}
    return ActionRun(code, outputs, "".join(log), summary.read_text(), context["steps"])


PASSING = """
version: 1
steps:
  - id: unit
    run: echo 3 passed
  - id: docs
    run: "true"
"""


def _testcases(path: Path) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in ET.parse(path).getroot().iter("testcase")}


def test_the_action_runs_the_checklist_and_reports_junit_and_the_summary(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    checklist(PASSING)
    result = run_action(git_repo, tmp_path, install="false", args="run --dry-run")
    assert result.exit_code == 0, result.log
    junit = Path(result.outputs["junit"])
    assert junit == tmp_path / "runner-temp" / "relcheck-junit.xml"
    assert set(_testcases(junit)) >= {"unit", "docs"}
    assert result.outputs["exit-code"] == "0"
    assert "### relcheck: passed" in result.summary
    assert "| unit | ✅ passed |" in result.summary
    assert "::group::unit: passed" in result.log
    assert "relcheck: passed" in result.log


def test_a_failed_step_fails_the_action_with_its_exit_code_and_report(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    checklist(PASSING + "  - id: broken\n    run: echo nope; exit 1\n")
    result = run_action(git_repo, tmp_path, install="false", args="run --dry-run")
    assert result.exit_code == 1, result.log
    assert result.outputs["exit-code"] == "1"
    case = _testcases(Path(result.outputs["junit"]))["broken"]
    assert case.find("failure") is not None
    assert "### relcheck: FAILED" in result.summary
    assert "::error title=relcheck%3A broken failed::" in result.log


def test_the_action_on_every_push_to_main_releases_each_version_once(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    # The action's default args, which the example workflow gives on every push: the
    # first push of a version releases it; a later push without a version bump is
    # "nothing to release", the checks run and decide (not a blocked, red job).
    from tests.helpers import commit_all, git, tags, write

    workflow = yaml.safe_load((ROOT / "docs/ci/github-action.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["checklist"]["steps"] if s.get("id") == "relcheck"]
    args = ACTION["inputs"]["args"]["default"]
    assert step["with"].get("args", args) == args
    checklist(PASSING + "  - id: repo\n    uses: git\n  - id: tag\n    uses: git-tag\n")
    first = run_action(git_repo, tmp_path, install="false")
    assert first.exit_code == 0, first.log
    assert tags(git_repo) == ["v1.2.0"]
    write(git_repo / "notes.txt", "a change that is not a release\n")
    commit_all(git_repo, "no version bump")
    git(git_repo, "push", "-q", "origin", "main")
    again = run_action(git_repo, tmp_path, install="false")
    assert again.exit_code == 0, again.log
    assert "nothing to release" in again.log
    assert "| unit | ✅ passed |" in again.summary  # the checks ran
    assert tags(git_repo) == ["v1.2.0"]


def test_checklist_junit_path_and_working_directory_inputs(git_repo: Path, tmp_path: Path) -> None:
    from tests.helpers import commit_all, write

    write(git_repo / "service" / "checks.yaml", PASSING)
    commit_all(git_repo, "checklist in a folder")
    result = run_action(
        git_repo,
        tmp_path,
        install="false",
        args="run\n  --dry-run --only unit",
        checklist="checks.yaml",
        junit="reports/junit.xml",
        **{"working-directory": "service", "summary": "false"},
    )
    assert result.exit_code == 0, result.log
    assert result.outputs["junit"] == str(git_repo / "service" / "reports" / "junit.xml")
    assert set(_testcases(Path(result.outputs["junit"]))) == {"unit"}
    assert result.summary == ""  # summary: false


def test_args_are_words_not_shell_code(git_repo: Path, checklist, tmp_path: Path) -> None:
    checklist(PASSING)
    marker = tmp_path / "injected"
    result = run_action(
        git_repo,
        tmp_path,
        install="false",
        args=f"run --dry-run $(touch {marker}) ; touch {marker} `touch {marker}`",
    )
    assert result.exit_code == 2, result.log  # relcheck refuses the extra words
    assert not marker.exists()


def test_install_false_without_relcheck_on_path_says_so(git_repo: Path, tmp_path: Path) -> None:
    result = run_action(git_repo, tmp_path, relcheck_on_path=False, install="false")
    assert result.exit_code == 2
    assert "install is false, but relcheck is not on PATH" in result.log
    assert "exit-code" not in result.step_outputs.get("run", {})  # it never ran


def test_an_install_value_that_is_not_a_boolean_is_refused(git_repo: Path, tmp_path: Path) -> None:
    result = run_action(git_repo, tmp_path, install="yes please")
    assert result.exit_code == 2
    assert "install: expected true or false, got 'yes please'" in result.log


def _strings(node: object, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(v, (*path, str(k)))]
    if isinstance(node, list):
        return [s for i, v in enumerate(node) for s in _strings(v, (*path, str(i)))]
    return [(path, node)] if isinstance(node, str) else []


def _expression_allowed(path: tuple[str, ...]) -> bool:
    if path[:1] == ("outputs",) and path[-1] == "value":
        return True
    return path[:2] == ("runs", "steps") and len(path) >= 4 and path[3] in ("env", "with", "if")


def test_expressions_appear_only_in_env_with_if_and_outputs() -> None:
    found = [(path, text) for path, text in _strings(ACTION) if "${{" in text]
    assert found  # the test sees the expressions there are
    misplaced = [".".join(path) for path, text in found if not _expression_allowed(path)]
    assert misplaced == [], f"expressions outside env/with/if: {misplaced}"
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"]


def test_the_action_is_a_composite_action_whose_inputs_all_reach_a_step() -> None:
    assert ACTION["runs"]["using"] == "composite"
    used = " ".join(text for _, text in _strings(ACTION["runs"]))
    for name in ACTION["inputs"]:
        assert f"inputs.{name}" in used, f"input {name} is never used"


def test_the_example_workflow_gives_the_action_only_inputs_it_has() -> None:
    workflow = yaml.safe_load((ROOT / "docs/ci/github-action.yml").read_text())
    steps = workflow["jobs"]["checklist"]["steps"]
    (uses,) = [s for s in steps if s.get("uses", "").startswith("OWNER/relcheck@")]
    assert set(uses["with"]) <= set(ACTION["inputs"])
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "steps.relcheck.outputs.junit" in upload["with"]["path"]


def test_readme_and_ci_guide_show_the_action_step_of_the_example() -> None:
    example = (ROOT / "docs/ci/github-action.yml").read_text()
    start = example.index("      - id: relcheck\n")
    step = example[start : example.index("      - if: always()")]
    for page in ("README.md", "docs/how-to/ci.md"):
        assert f"```yaml\n{step}```" in (ROOT / page).read_text(), page
