"""Fixtures for the reliability suite.

Each test adds what it tried and what went wrong to ``figures``; the terminal summary
(tests/conftest.py, which the xdist controller loads) prints the totals, which the
Guarantees page (docs/explanation/guarantees.md) quotes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.support import FIGURES, write_test_plugin


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real third-party runner distribution (``reltest``) on a folder for PYTHONPATH."""
    return write_test_plugin(tmp_path_factory.mktemp("plugin"))


@pytest.fixture
def run_env(plugin_dir: Path) -> dict[str, str]:
    """Environment for a relcheck process: the test plugin importable, short kill grace."""
    return {"PYTHONPATH": str(plugin_dir), "RELCHECK_KILL_GRACE": "0.5"}


@pytest.fixture
def figures():  # type: ignore[no-untyped-def]
    return FIGURES
