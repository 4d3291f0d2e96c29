"""Files hidden from `git status` by their index flags (`update-index --assume-unchanged`,
`--skip-worktree`) still count as changes: for the release and for the pre-push hook."""

from __future__ import annotations

from pathlib import Path

import pytest

from relcheck.git import worktree
from tests.helpers import (
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    push,
    run_relcheck,
    step_record,
    tags,
    write,
)

FLAGS = ["--assume-unchanged", "--skip-worktree"]

CHECKLIST = """
version: 1
release:
  branch: main
steps:
  - id: status
    run: test "$(cat status.txt)" = good
  - id: tag
    uses: git-tag
"""


def _project(repo: Path, checklist: str = CHECKLIST) -> Path:
    write(repo / "status.txt", "good\n")
    write(repo / "relcheck.yaml", checklist)
    commit_all(repo, "project")
    return repo


def _hide(repo: Path, flag: str, path: str, text: str) -> None:
    git(repo, "update-index", flag, "--", path)
    write(repo / path, text)
    assert git(repo, "status", "--porcelain") == "", "git status must not see it"


@pytest.mark.parametrize("flag", FLAGS)
def test_a_hidden_changed_file_is_a_change_and_unchanged_ones_are_not(
    git_repo: Path, flag: str
) -> None:
    repo = _project(git_repo)
    git(repo, "update-index", flag, "--", "status.txt")
    assert worktree.hidden_changes(str(repo)) == []
    write(repo / "status.txt", "changed\n")
    assert worktree.hidden_changes(str(repo)) == ["status.txt"]
    assert [(c.path, c.hidden) for c in worktree.changes(str(repo), untracked=False)] == [
        ("status.txt", True)
    ]


def test_an_absent_skip_worktree_file_is_a_sparse_checkout_not_a_change(git_repo: Path) -> None:
    repo = _project(git_repo)
    git(repo, "update-index", "--skip-worktree", "--", "status.txt")
    (repo / "status.txt").unlink()
    assert worktree.hidden_changes(str(repo)) == []


def test_an_absent_assume_unchanged_file_is_a_change(git_repo: Path) -> None:
    repo = _project(git_repo)
    git(repo, "update-index", "--assume-unchanged", "--", "status.txt")
    (repo / "status.txt").unlink()
    assert worktree.hidden_changes(str(repo)) == ["status.txt"]


@pytest.mark.parametrize("flag", FLAGS)
def test_the_release_is_refused_when_a_hidden_file_was_changed(git_repo: Path, flag: str) -> None:
    repo = _project(git_repo)
    # The change makes the check pass in the work tree; the commit says otherwise.
    write(repo / "status.txt", "bad\n")
    commit_all(repo, "commit says bad")
    _hide(repo, flag, "status.txt", "good\n")
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert tags(repo) == []
    tag = step_record(latest_record(repo), "tag")
    assert tag["status"] == "failed"
    assert "status.txt" in tag["summary"]
    assert "hidden from `git status`" in tag["summary"]
    assert "--no-assume-unchanged --no-skip-worktree" in tag["summary"]


@pytest.mark.parametrize("flag", FLAGS)
def test_the_git_precondition_names_a_hidden_changed_file(git_repo: Path, flag: str) -> None:
    repo = _project(
        git_repo, CHECKLIST.replace("steps:\n", "steps:\n  - id: repo\n    uses: git\n")
    )
    _hide(repo, flag, "status.txt", "good, but not committed\n")
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert tags(repo) == []
    details = "\n".join(step_record(latest_record(repo), "repo")["details"])
    assert "1 tracked file changed but hidden from `git status`" in details
    assert "(status.txt)" in details


@pytest.mark.parametrize("flag", FLAGS)
def test_the_hook_checks_the_pushed_commit_in_a_worktree_when_a_hidden_file_changed(
    git_repo: Path, flag: str, cli_invoke
) -> None:  # type: ignore[no-untyped-def]
    repo = _project(git_repo)
    assert cli_invoke("hook", "install", cwd=repo).exit_code == 0
    write(repo / "status.txt", "bad\n")
    bad = commit_all(repo, "break it")
    _hide(repo, flag, "status.txt", "good\n")  # would pass, if checked in place
    refused = push(repo, "origin", "main")
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "in a clean temporary worktree" in refused.stderr
    assert "pre-push refused" in refused.stderr
    assert git(repo, "ls-remote", "origin", "refs/heads/main").split()[0] != bad
    assert (repo / "status.txt").read_text() == "good\n"  # the work in progress is kept


@pytest.mark.parametrize("flag", FLAGS)
def test_a_cached_pass_is_not_reused_when_a_hidden_file_changed(git_repo: Path, flag: str) -> None:
    checklist = "version: 1\nsteps:\n  - id: status\n    run: cat status.txt\n    cache: true\n"
    repo = _project(git_repo, checklist)
    assert run_relcheck("run", "--dry-run", cwd=repo).returncode == 0
    assert run_relcheck("run", "--dry-run", cwd=repo).returncode == 0
    assert step_record(latest_record(repo), "status")["status"] == "cached"
    _hide(repo, flag, "status.txt", "changed where git status does not look\n")
    assert run_relcheck("run", "--dry-run", cwd=repo).returncode == 0
    assert step_record(latest_record(repo), "status")["status"] == "passed"
