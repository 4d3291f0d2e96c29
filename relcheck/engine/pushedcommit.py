"""A pushed commit's own checklist, read without checking the commit out: the hook
checks each pushed commit by the checklist committed in it."""

from __future__ import annotations

import os

from relcheck.engine import session as runflow
from relcheck.models import Checklist


def checklist_path_in_commit(request: runflow.RunRequest, sha: str) -> str | None:
    """Where the checklist is, relative to the top of the tree, in commit ``sha``: the
    ``--checklist`` given, else the project's (see relcheck.git.checklistpath); None
    for a ``--checklist`` outside the repository."""
    from relcheck.git.checklistpath import checklist_path_at, normalized

    if request.checklist:
        inside = os.path.relpath(os.path.abspath(request.checklist), request.root)
        return None if inside.startswith("..") else normalized(inside)
    return checklist_path_at(request.root, sha)


def missing_checklist(request: runflow.RunRequest, sha: str) -> str | None:
    """The checklist's path when commit ``sha`` has no file there (a branch of web pages,
    a commit from before the project used relcheck), else None."""
    from relcheck.git.door import git_status

    relpath = checklist_path_in_commit(request, sha)
    if relpath is None:
        return None  # a file outside the repository: the run reads it
    # `cat-file -e` only asks: no need to read a file to know it is there.
    found = git_status(request.root, "cat-file", "-e", f"{sha}:{relpath}") == 0
    return None if found else relpath


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
