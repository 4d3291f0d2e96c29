"""relcheck's own checklist and the ready ones in checklists/ load and use the tool runners."""

from __future__ import annotations

from pathlib import Path

import pytest

from relcheck.checklist.load import load_checklist

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [ROOT / "relcheck.yaml", *sorted((ROOT / "checklists").glob("*.yaml"))]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_checklist_loads_and_lints_and_tests_with_the_tool_runners(path: Path) -> None:
    checklist = load_checklist(str(path))
    assert checklist.step("lint").uses == "ruff"
    assert checklist.step("unit").uses == "pytest"
