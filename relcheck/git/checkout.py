"""A clean checkout of one commit to run checks in: the repository itself when it already
is exactly that commit, else a temporary ``git worktree`` removed afterwards.

A run killed at once (SIGKILL, a crash, the power) cannot remove its worktree. Each one
is made in its own ``relcheck-checkout-*`` folder beside an ``owner`` lock file, held by
the run that uses it: a later run removes the worktrees whose lock nobody holds, and
never one in use by a push running at the same time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import NamedTuple

from relcheck.errors import RepoStateError
from relcheck.git import door, worktree
from relcheck.git import refs as gitrefs
from relcheck.record import STATE_DIR
from relcheck.system import lock

PREFIX = "relcheck-checkout-"  # the temporary folder of each checkout
OWNER = "owner"  # the lock file beside the worktree, held by the run that uses it

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
    parent = tempfile.mkdtemp(prefix=PREFIX)
    path = os.path.join(parent, os.path.basename(root) or "tree")
    try:
        # Held before git knows the worktree, released after git forgets it.
        with lock.hold(os.path.join(parent, OWNER)):
            try:
                door.git(root, *_NO_HOOKS, "worktree", "add", "--detach", "--quiet", path, sha)
                yield path
            finally:
                remove(root, path)
    finally:
        shutil.rmtree(parent, ignore_errors=True)


class Leftovers(NamedTuple):
    """relcheck's temporary worktrees of a repository that no run was using."""

    removed: list[str]  # left by a run that was killed: removed now
    unowned: list[str]  # with no owner lock (an older relcheck made them): left alone

    def notes(self) -> list[str]:
        """What to tell the user about them."""
        return [
            *(
                f"removed the temporary worktree {p}, left by a relcheck run that was killed"
                for p in self.removed
            ),
            *(
                f"{p} looks like a temporary worktree an older relcheck left; if no other "
                f"push is running, remove it: `git worktree remove --force {p}`"
                for p in self.unowned
            ),
        ]


def remove_leftovers(root: str) -> Leftovers:
    """Remove the temporary worktrees of this repository that relcheck runs made and
    could not remove (they were killed), and git's notes of them."""
    found = Leftovers([], [])
    listing = door.git(root, "worktree", "list", "--porcelain", check=False)
    paths = [
        line[len("worktree ") :] for line in listing.splitlines() if line.startswith("worktree ")
    ]
    gone = False
    here = os.path.realpath(root)
    for path in paths:
        parent = os.path.dirname(path)
        if not os.path.basename(parent).startswith(PREFIX) or os.path.realpath(path) == here:
            continue
        if not os.path.isdir(path):
            gone = True  # its folder was deleted (a reboot cleaned /tmp): git's note is left
            continue
        with lock.take_over(os.path.join(parent, OWNER)) as taken:
            if taken:
                remove(root, path)
                shutil.rmtree(parent, ignore_errors=True)
                found.removed.append(path)
            elif taken is None and os.path.isdir(path):
                found.unowned.append(path)
    if gone and not found.removed:
        door.git(root, "worktree", "prune", check=False)
    return found


def remove(root: str, path: str) -> None:
    """Remove the worktree at ``path`` and git's note of it, whatever state it is in."""
    door.git(root, "worktree", "remove", "--force", "--force", path, check=False)
    if os.path.exists(path):
        shutil.rmtree(path, ignore_errors=True)
    door.git(root, "worktree", "prune", check=False)
