"""HEAD's commit, branch and tree, as every run records them."""

from __future__ import annotations

from pathlib import Path

from relcheck.git import refs as gitrefs
from tests.helpers import git


def test_head_gives_the_commit_branch_and_tree(git_repo: Path) -> None:
    head = gitrefs.head(str(git_repo))
    assert head.commit == git(git_repo, "rev-parse", "HEAD")
    assert head.branch == "main"
    assert head.tree == git(git_repo, "rev-parse", "HEAD^{tree}")


def test_head_on_a_detached_checkout_has_no_branch(git_repo: Path) -> None:
    git(git_repo, "checkout", "-q", "--detach")
    head = gitrefs.head(str(git_repo))
    assert head.commit == git(git_repo, "rev-parse", "HEAD")
    assert head.branch is None
    assert head.tree == git(git_repo, "rev-parse", "HEAD^{tree}")


def test_head_before_the_first_commit_is_empty(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main", "fresh")
    assert gitrefs.head(str(tmp_path / "fresh")) == gitrefs.Head(None, None)
