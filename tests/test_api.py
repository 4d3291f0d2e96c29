"""The public plugin API: what it exports, and that importing it costs nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import relcheck.api
from relcheck.api import EmptyParams, Runner, RunnerProtocol, StepKind, step_kind

EXPORTED = [
    "Annotation",
    "Checklist",
    "Duration",
    "EmptyParams",
    "RunInfo",
    "Runner",
    "RunnerError",
    "RunnerProtocol",
    "Status",
    "Step",
    "StepContext",
    "StepKind",
    "StepResult",
    "step_kind",
]


def test_the_api_exports_exactly_its_names_and_each_one_resolves() -> None:
    assert sorted(relcheck.api.__all__) == EXPORTED
    for name in EXPORTED:
        assert getattr(relcheck.api, name) is not None, name


def test_importing_the_api_imports_nothing_heavy() -> None:
    heavy = ["pydantic", "yaml", "git", "httpx", "rich", "click", "importlib.metadata"]
    probe = (
        "import json, sys\n"
        "import relcheck.api\n"
        f"print(json.dumps([n for n in {heavy!r} if n in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout) == []


class Check(Runner):
    name = "a-check"


class Precondition(Runner):
    name = "a-precondition"
    precondition = True


class Release(Runner):
    name = "a-release"
    release = True


@dataclass(frozen=True)
class Bare:
    """A runner that does not subclass Runner: it leaves every optional attribute out."""

    name = "bare"
    Params = EmptyParams

    def run(self, params: EmptyParams, ctx: relcheck.api.StepContext) -> relcheck.api.StepResult:
        return relcheck.api.StepResult(relcheck.api.Status.PASSED, "ok")


def test_a_runner_class_says_what_its_steps_are() -> None:
    assert step_kind(Check) is StepKind.CHECK
    assert step_kind(Precondition) is StepKind.PRECONDITION
    assert step_kind(Release) is StepKind.RELEASE
    assert step_kind(Bare) is StepKind.CHECK


def test_a_runner_without_the_base_class_satisfies_the_protocol() -> None:
    runner: RunnerProtocol = Bare()
    assert runner.name == "bare"
