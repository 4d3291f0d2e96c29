"""The public plugin API: what it exports, and that importing it costs nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import relcheck.api
from relcheck.api import EmptyParams, RunnerProtocol

EXPORTED = [
    "Annotation",
    "Checklist",
    "EmptyParams",
    "RunInfo",
    "Runner",
    "RunnerError",
    "RunnerProtocol",
    "Status",
    "Step",
    "StepContext",
    "StepResult",
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


@dataclass(frozen=True)
class Bare:
    """A runner that does not subclass Runner: it leaves every optional attribute out."""

    name = "bare"
    Params = EmptyParams

    def run(self, params: EmptyParams, ctx: relcheck.api.StepContext) -> relcheck.api.StepResult:
        return relcheck.api.StepResult(relcheck.api.Status.PASSED, "ok")


def test_a_runner_without_the_base_class_satisfies_the_protocol() -> None:
    runner: RunnerProtocol = Bare()
    assert runner.name == "bare"
