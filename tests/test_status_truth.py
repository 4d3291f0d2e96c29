"""One truth about step statuses: which pass, which fail a run, which failed by themselves.

Every member of ``Status`` is classified here explicitly, so a new status must be placed
on purpose; and no module of relcheck spells out its own set of failing statuses again
(five copies once disagreed on whether an interrupted step had failed).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from relcheck.models import FAILING, OWN_FAILURES, PASSING, Status

PACKAGE = Path(__file__).resolve().parent.parent / "relcheck"

# status: (ok, fails_run, failed_itself)
CLASSIFICATION = {
    Status.PASSED: (True, False, False),
    Status.CACHED: (True, False, False),
    Status.SKIPPED: (False, False, False),
    Status.FAILED: (False, True, True),
    Status.ERROR: (False, True, True),
    Status.TIMED_OUT: (False, True, True),
    Status.INTERRUPTED: (False, True, False),
}


def test_every_status_is_classified() -> None:
    assert set(CLASSIFICATION) == set(Status)


@pytest.mark.parametrize("status", list(Status))
def test_status_classification(status: Status) -> None:
    ok, fails_run, failed_itself = CLASSIFICATION[status]
    assert (status.ok, status.fails_run, status.failed_itself) == (ok, fails_run, failed_itself)
    assert (status in PASSING, status in FAILING, status in OWN_FAILURES) == (
        ok,
        fails_run,
        failed_itself,
    )


def test_a_step_failure_of_its_own_fails_the_run_and_nothing_fails_and_passes() -> None:
    assert OWN_FAILURES < FAILING
    assert not PASSING & FAILING
    # Only a skipped step neither passes nor counts against the run.
    assert set(Status) - PASSING - FAILING == {Status.SKIPPED}


def _failing_spelled_out(tree: ast.AST) -> list[int]:
    """Lines of tuple, list or set literals that name two or more failing statuses."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Tuple | ast.List | ast.Set):
            continue
        named = {
            element.attr
            for element in node.elts
            if isinstance(element, ast.Attribute)
            and isinstance(element.value, ast.Name)
            and element.value.id == "Status"
        }
        if len(named & {s.name for s in FAILING}) >= 2:
            found.append(node.lineno)
    return found


def test_the_scan_finds_a_spelled_out_set() -> None:
    tree = ast.parse("if s in (Status.FAILED, Status.ERROR):\n    pass\n")
    assert _failing_spelled_out(tree) == [1]
    assert _failing_spelled_out(ast.parse("x = (Status.SKIPPED, Status.CACHED)")) == []


def test_no_module_spells_out_its_own_failing_statuses() -> None:
    copies = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "models.py":  # the one home of the classification
            continue
        for line in _failing_spelled_out(ast.parse(path.read_text(encoding="utf-8"))):
            copies.append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    assert not copies, (
        "ask Status.fails_run or Status.failed_itself instead of listing statuses: "
        + ", ".join(copies)
    )
