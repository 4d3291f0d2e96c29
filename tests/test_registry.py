"""Runners registered in process: a test drives the engine without a distribution."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from relcheck.api import Runner, Status, StepContext, StepKind, StepResult
from relcheck.checklist.load import load_checklist
from relcheck.engine.session import RunRequest, execute
from relcheck.errors import ChecklistError, PluginError
from relcheck.report.text import TextReporter
from relcheck.runners import registry
from relcheck.system.interrupts import Cancellation
from tests.helpers import latest_record, step_record


@dataclass(frozen=True)
class CountParams:
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
    words: tuple[str, ...]


class CountWords(Runner):
    """Passes with the number of words as a metric; echoes them through the step's log."""

    name = "count-words"
    Params = CountParams

    def run(self, params: CountParams, ctx: StepContext) -> StepResult:
        ctx.run_command(["echo", *params.words])
        return StepResult(
            Status.PASSED, f"{len(params.words)} words", metrics={"words": len(params.words)}
        )


CHECKLIST = """
version: 1
steps:
  - id: count
    uses: count-words
    with: {words: [one, two, three]}
  - id: after
    run: "true"
    needs: [count]
"""


@pytest.fixture
def in_process_runner() -> Any:
    registry.register(CountWords)
    yield CountWords
    registry.reset()


def test_a_registered_runner_runs_from_a_checklist_in_process(
    in_process_runner: type[Runner],
    git_repo: Path,
    checklist,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checklist(CHECKLIST)
    monkeypatch.chdir(git_repo)
    out = io.StringIO()
    result, path = execute(RunRequest(root=str(git_repo)), TextReporter(out), Cancellation())
    assert result.outcome == "passed", out.getvalue()
    count = result.result("count")
    assert count is not None
    assert (count.status, count.summary, dict(count.metrics)) == (
        Status.PASSED,
        "3 words",
        {"words": 3},
    )
    recorded = step_record(latest_record(git_repo), "count")
    assert str(Path(path).resolve()).startswith(str(git_repo.resolve()))
    assert recorded["runner"] == "count-words"
    assert recorded["metrics"] == {"words": 3}
    assert "one two three" in recorded["output_tail"]
    assert step_record(latest_record(git_repo), "after")["status"] == "passed"
    # The validated-checklist cache could not find this runner again: nothing is kept.
    assert not list((git_repo / ".relcheck").rglob("*.pickle"))


def test_reset_forgets_a_registered_runner(
    git_repo: Path,
    checklist,  # type: ignore[no-untyped-def]
) -> None:
    path = checklist(CHECKLIST)
    registry.register(CountWords)
    try:
        assert load_checklist(str(path)).step("count").kind is StepKind.CHECK
        assert registry.load("count-words") is CountWords
    finally:
        registry.reset()
    with pytest.raises(PluginError, match="unknown runner 'count-words'"):
        registry.load("count-words")
    with pytest.raises(ChecklistError, match="unknown runner 'count-words'"):
        load_checklist(str(path))


def test_registered_runners_last_for_the_with_block_and_decide_the_kind(
    git_repo: Path,
    checklist,  # type: ignore[no-untyped-def]
) -> None:
    class Gate(CountWords):
        name = "gate"
        precondition = True

    class Ship(CountWords):
        name = "ship"
        release = True

    path = checklist(
        "version: 1\nsteps:\n"
        "  - {id: gate, uses: gate, with: {words: [a]}}\n"
        "  - {id: check, run: 'true'}\n"
        "  - {id: ship, uses: ship, with: {words: [b]}}\n"
    )
    with registry.registered(Gate, Ship):
        kinds = {s.id: s.kind for s in load_checklist(str(path)).steps}
    assert kinds == {
        "gate": StepKind.PRECONDITION,
        "check": StepKind.CHECK,
        "ship": StepKind.RELEASE,
    }
    with pytest.raises(PluginError):
        registry.load("gate")


def test_a_runner_without_a_name_is_refused() -> None:
    class Nameless(Runner):
        pass

    with pytest.raises(PluginError, match="has no name"):
        registry.register(Nameless)
