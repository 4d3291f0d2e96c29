"""Where a repository is: its work tree's top and its git folder, found without running git."""

from __future__ import annotations

import os


def find_root(start: str | None = None) -> str:
    """The top of the git work tree containing ``start``, else ``start`` itself."""
    here = os.path.abspath(start or os.getcwd())
    probe = here
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return here
        probe = parent


def git_dir(root: str) -> str | None:
    """The work tree's own git folder (a linked worktree's ``.git`` file points to it),
    found without running git; None outside a repository."""
    dot_git = os.path.join(root, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    try:
        with open(dot_git, "rb") as fh:
            first = fh.readline(4096).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if first.startswith("gitdir:"):
        found = os.path.join(root, first.removeprefix("gitdir:").strip())
        return found if os.path.isdir(found) else None
    return None
