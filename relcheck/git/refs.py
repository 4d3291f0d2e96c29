"""HEAD, branches and commits: where HEAD is, what a ref names, how commits relate."""

from __future__ import annotations

import os
from dataclasses import dataclass

from relcheck.git.door import git, git_bytes_if_ok, git_status


@dataclass(frozen=True)
class Head:
    """Where HEAD is: the commit, the branch (None when detached) and the commit's tree."""

    commit: str | None
    branch: str | None
    tree: str | None = None


def head(root: str) -> Head:
    """HEAD's commit, branch and tree, or Nones outside a repository or before a first
    commit."""
    if not os.path.exists(os.path.join(root, ".git")):
        return Head(None, None)
    # Not --verify: it takes a single revision, so with several it printed nothing at all.
    # One git process for the three: every run asks for them.
    out = git(root, "rev-parse", "HEAD", "HEAD^{tree}", "--abbrev-ref", "HEAD", check=False)
    lines = out.splitlines()
    tree: str | None = lines[1] if len(lines) == 3 else None
    if tree is None:
        # No commit yet, or a tree that cannot be read (a damaged or partial clone):
        # HEAD and its branch may still be known, and the run records them.
        lines = git(root, "rev-parse", "HEAD", "--abbrev-ref", "HEAD", check=False).splitlines()
        lines.insert(1, "")
    if len(lines) < 3 or len(lines[0]) < 40:  # no commit yet: git echoes "HEAD"
        return Head(None, None)
    branch = lines[2] if lines[2] != "HEAD" else None
    return Head(lines[0], branch, tree)


def tree_of(root: str, commit: str) -> str | None:
    """The tree id of ``commit``."""
    out = git(root, "rev-parse", "--verify", "-q", f"{commit}^{{tree}}", check=False)
    return out or None


def ref_commit(root: str, ref: str) -> str | None:
    """The commit ``ref`` (``refs/remotes/origin/main``) names here, or None."""
    return git(root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False) or None


def peeled_kind(root: str, rev: str) -> str | None:
    """What ``rev`` names once tags are peeled: ``commit``, ``tree`` or ``blob``."""
    return git(root, "cat-file", "-t", f"{rev}^{{}}", check=False) or None


def upstream_of(root: str) -> str | None:
    """The upstream of the current branch (``origin/main``), or None when it has none."""
    out = git(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}", check=False)
    return out or None


def ahead_behind(root: str, upstream: str) -> tuple[int, int]:
    """How many commits HEAD is ahead of and behind ``upstream`` (local tracking refs)."""
    out = git(root, "rev-list", "--left-right", "--count", f"HEAD...{upstream}", "--")
    ahead, behind = out.split()
    return int(ahead), int(behind)


def is_ancestor(root: str, commit: str, of: str) -> bool | None:
    """Whether ``commit`` is ``of`` or one of its ancestors; None when git cannot say
    (``commit`` is not here)."""
    return {0: True, 1: False}.get(git_status(root, "merge-base", "--is-ancestor", commit, of))


def count_commits(root: str, since: str, until: str = "HEAD") -> int:
    """Commits in ``until`` that are not in ``since``."""
    return int(git(root, "rev-list", "--count", f"{since}..{until}", "--"))


def is_shallow(root: str) -> bool:
    """Whether the repository is a shallow clone (CI checkouts often are: depth 1)."""
    return git(root, "rev-parse", "--is-shallow-repository", check=False) == "true"


def show_file(root: str, rev: str, path: str) -> bytes | None:
    """The content of ``path`` (relative to the top of the tree) as committed in ``rev``,
    or None when it has no such file."""
    return git_bytes_if_ok(root, "show", f"{rev}:{path}")
