"""relcheck's version is written twice; they must agree, and its own checklist can read it."""

from __future__ import annotations

from pathlib import Path

from relcheck import __version__
from relcheck.system.pyproject import project_version

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_version_is_the_one_pyproject_declares() -> None:
    assert project_version(str(ROOT)) == __version__


def test_the_changelog_has_an_unreleased_section() -> None:
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
