"""worktree.tracked tells which files git tracks."""

from __future__ import annotations

from pathlib import Path

from relcheck.git.worktree import tracked
from tests.helpers import write


def test_only_committed_or_staged_files_count_as_tracked(git_repo: Path, tmp_path: Path) -> None:
    committed = str(git_repo / "pyproject.toml")
    untracked = str(write(git_repo / "new.env", "A=1\n"))
    outside = str(write(tmp_path / "elsewhere.env", "A=1\n"))
    assert tracked(str(git_repo), [committed, untracked, outside]) == {committed}


def test_nothing_is_tracked_outside_a_repository(tmp_path: Path) -> None:
    path = str(write(tmp_path / "a.env", "A=1\n"))
    assert tracked(str(tmp_path), [path]) == set()
