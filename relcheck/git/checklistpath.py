"""Which checklist is the project's in a commit: the one `relcheck run` and the pre-push
hook find there without ``--checklist``. Only a run of that checklist, as committed,
proves that a commit passed the project's checks."""

from __future__ import annotations

import os
import posixpath

from relcheck.errors import UsageError
from relcheck.git import refs as gitrefs

DEFAULT_NAME = "relcheck.yaml"


def normalized(path: str) -> str:
    """``path`` as git names a file from the top of the tree (``./ci/x.yaml`` and
    ``ci\\x.yaml`` on Windows are ``ci/x.yaml``)."""
    return posixpath.normpath(path.replace(os.sep, "/"))


def checklist_path_at(root: str, commit: str) -> str:
    """The project's checklist path in ``commit``, from the top of the tree:
    ``[tool.relcheck] checklist`` of the pyproject.toml committed there, else
    relcheck.yaml (also when that pyproject.toml cannot be read: the run reports it)."""
    raw = gitrefs.show_file(root, commit, "pyproject.toml")
    if not raw:
        return DEFAULT_NAME
    from relcheck.system import pyproject

    try:
        data = pyproject.parse(raw, "pyproject.toml")
        path = pyproject.value(data, "tool", "relcheck", "checklist")
    except UsageError:
        return DEFAULT_NAME
    return normalized(path) if isinstance(path, str) and path else DEFAULT_NAME


def same_path(a: str, b: str) -> bool:
    """Whether two paths from the top of the tree name the same file."""
    return normalized(a) == normalized(b)
