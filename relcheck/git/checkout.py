"""A clean checkout of one commit to run checks in: the repository itself when it already
is exactly that commit, else a temporary ``git worktree`` removed afterwards."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

from relcheck.errors import RepoStateError
from relcheck.git import door, worktree
from relcheck.git import refs as gitrefs
from relcheck.record import STATE_DIR

# Hooks of the user's (post-checkout) must not run when relcheck makes its own worktree.
_NO_HOOKS = ("-c", "core.hooksPath=/dev/null")


def resolve_commit(root: str, rev: str) -> str:
    """The full sha of the commit ``rev`` names."""
    sha = door.git(root, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}", check=False)
    if not sha:
        raise RepoStateError(f"{rev!r} does not name a commit in {root}")
    return sha


def has_uncommitted_changes(root: str) -> bool:
    """True when tracked files differ from HEAD or untracked files exist (ignored files,
    and relcheck's own state folder, do not count), also files hidden from git status
    with ``update-index --assume-unchanged`` or ``--skip-worktree``."""
    out = door.git(
        root, "status", "--porcelain", "--untracked-files=normal", "--", ".", f":!{STATE_DIR}"
    )
    return bool(out) or bool(worktree.hidden_changes(root, (STATE_DIR,)))


def needs_worktree(root: str, sha: str) -> bool:
    """True when ``root`` is not a faithful copy of ``sha``: another commit is checked out,
    or the working tree has changes that are not committed."""
    return gitrefs.head(root).commit != sha or has_uncommitted_changes(root)


@contextlib.contextmanager
def checkout(root: str, sha: str, needed: bool | None = None) -> Iterator[str]:
    """Yield a folder holding exactly commit ``sha``; clean up whatever was made for it,
    also when the body fails or is interrupted. ``needed``: ``needs_worktree``'s answer,
    when the caller has it already."""
    if not (needs_worktree(root, sha) if needed is None else needed):
        yield root
        return
    parent = tempfile.mkdtemp(prefix="relcheck-checkout-")
    path = os.path.join(parent, os.path.basename(root) or "tree")
    try:
        door.git(root, *_NO_HOOKS, "worktree", "add", "--detach", "--quiet", path, sha)
        yield path
    finally:
        remove(root, path)
        shutil.rmtree(parent, ignore_errors=True)


def remove(root: str, path: str) -> None:
    """Remove the worktree at ``path`` and git's note of it, whatever state it is in."""
    door.git(root, "worktree", "remove", "--force", "--force", path, check=False)
    if os.path.exists(path):
        shutil.rmtree(path, ignore_errors=True)
    door.git(root, "worktree", "prune", check=False)
