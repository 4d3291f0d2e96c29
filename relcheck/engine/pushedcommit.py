"""A pushed commit's own checklist, read without checking the commit out: the hook
checks each pushed commit by the checklist committed in it."""

from __future__ import annotations

import os

from relcheck.engine import session as runflow
from relcheck.models import Checklist


def checklist_path_in_commit(request: runflow.RunRequest, sha: str) -> str | None:
    """Where the checklist is, relative to the top of the tree, in commit ``sha``: the
    ``--checklist`` given, else the project's (see relcheck.git.checklistpath); None
    for a ``--checklist`` outside the repository, or when the commit's pyproject.toml
    cannot tell (the working tree's checklist then checks the commit)."""
    from relcheck.git.checklistpath import normalized, told_path_at

    if request.checklist:
        inside = os.path.relpath(os.path.abspath(request.checklist), request.root)
        return None if inside.startswith("..") else normalized(inside)
    return told_path_at(request.root, sha)


def missing_checklist(request: runflow.RunRequest, sha: str) -> str | None:
    """The checklist's path when commit ``sha`` has no file there and never had (a branch
    of web pages, a commit from before the project used relcheck), else None.

    A commit that removed or moved the checklist its parent had, or whose pyproject.toml
    does not say where it is, is not such a commit: it is checked (by the working tree's
    checklist), so that no mistake lets a push through unchecked."""
    from relcheck.git.door import git_status

    relpath = checklist_path_in_commit(request, sha)
    if relpath is None:
        return None  # a file outside the repository, or no telling: the run reads it
    # `cat-file -e` only asks: no need to read a file to know it is there.
    if git_status(request.root, "cat-file", "-e", f"{sha}:{relpath}") == 0:
        return None
    had = git_status(request.root, "cat-file", "-e", f"{sha}^:{relpath}") == 0
    return None if had else relpath


def committed_checklist(request: runflow.RunRequest, sha: str) -> Checklist | None:
    """The checklist as committed in ``sha``; None when it cannot be read or is not
    valid (the run itself then reports why)."""
    from relcheck import record
    from relcheck.checklist import cache as checklist_cache
    from relcheck.errors import RelcheckError
    from relcheck.git import refs as gitrefs

    relpath = checklist_path_in_commit(request, sha)
    content = gitrefs.show_file(request.root, sha, relpath) if relpath else None
    if content is None or relpath is None:
        return None
    state_dir = os.path.join(request.root, record.STATE_DIR)
    try:
        return checklist_cache.load_committed(content, relpath, request.root, state_dir)
    except RelcheckError:
        return None
