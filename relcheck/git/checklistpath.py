"""Which checklist is the project's in a commit: the one `relcheck run` and the pre-push
hook find there without ``--checklist``. Only a run of that checklist, as committed,
proves that a commit passed the project's checks."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable

from relcheck.errors import UsageError
from relcheck.git import refs as gitrefs

DEFAULT_NAME = "relcheck.yaml"  # the checklist `relcheck run` reads when no other is named

PYPROJECT = "pyproject.toml"


def normalized(path: str) -> str:
    """``path`` as git names a file from the top of the tree (``./ci/x.yaml`` and
    ``ci\\x.yaml`` on Windows are ``ci/x.yaml``)."""
    return posixpath.normpath(path.replace(os.sep, "/"))


def checklist_path_at(root: str, commit: str, folder: str = "") -> str:
    """The checklist path of the project in ``folder`` (from the top of the tree; "" for
    the top) in ``commit``, from the top of the tree (see :func:`told_path_at`); the
    default beside that pyproject.toml also when it cannot tell (the run reports why)."""
    return told_path_at(root, commit, folder) or posixpath.join(folder, DEFAULT_NAME)


def told_path_at(root: str, commit: str, folder: str = "") -> str | None:
    """``[tool.relcheck] checklist`` of the pyproject.toml committed in ``folder``,
    relative to it, else relcheck.yaml beside it; None when that pyproject.toml does not
    parse or names no path, and so cannot tell where the checklist is."""
    default = posixpath.join(folder, DEFAULT_NAME)
    raw = gitrefs.show_file(root, commit, posixpath.join(folder, PYPROJECT))
    if not raw:
        return default
    from relcheck.system import pyproject

    try:
        data = pyproject.parse(raw, PYPROJECT)
        path = pyproject.value(data, "tool", "relcheck", "checklist")
    except UsageError:
        return None
    if path is None:
        return default
    return normalized(posixpath.join(folder, path)) if isinstance(path, str) and path else None


def project_folder(checklist: str, exists: Callable[[str], bool]) -> str:
    """The folder of the project ``checklist`` (a path from the top of the tree) belongs
    to: the nearest folder at or above its own with a pyproject.toml, "" for the top.
    In a repository of several packages, each package's checklist releases its version."""
    folder = posixpath.dirname(normalized(checklist))
    while folder and folder != "." and not folder.startswith(".."):
        if exists(posixpath.join(folder, PYPROJECT)):
            return folder
        folder = posixpath.dirname(folder)
    return ""


def folder_here(root: str, checklist: str) -> str:
    """:func:`project_folder` of ``checklist`` in the work tree at ``root``."""
    return project_folder(checklist, lambda path: os.path.isfile(os.path.join(root, path)))


def folder_at(root: str, commit: str, checklist: str) -> str:
    """:func:`project_folder` of ``checklist`` as committed in ``commit``."""
    return project_folder(checklist, lambda p: gitrefs.show_file(root, commit, p) is not None)


def same_path(a: str, b: str) -> bool:
    """Whether two paths from the top of the tree name the same file."""
    return normalized(a) == normalized(b)


def not_the_projects(root: str, commit: str, used: str, sha256: str) -> tuple[str, str] | None:
    """Why a run of the checklist ``used`` (its path from the top of the tree, its
    sha256) cannot make a release of ``commit``, with the fix; None when it is the
    project's checklist as committed there. A tag made by any other run would prove
    nothing about the project's checks: `relcheck verify` and the hook refuse it."""
    import hashlib

    path, short = checklist_path_at(root, commit, folder_at(root, commit, used)), commit[:9]
    committed = gitrefs.show_file(root, commit, path)
    if committed is not None and hashlib.sha256(committed).hexdigest() == sha256:
        return None  # its content is the project's, whatever path named it (a symlink)
    if not same_path(used, path):
        return (
            f"this run's checklist is {used}, not the project's ({path} in {short}): a tag "
            "made with it would not prove that the project's checks passed",
            f"release with `relcheck run` without --checklist, or make {used} the project's "
            f'checklist (`[tool.relcheck] checklist = "{used}"` in pyproject.toml, committed)',
        )
    said = "is not committed" if committed is None else "differs from the one committed"
    return (
        f"{path} {said} in {short}: a tag would not show which checks ran",
        f"commit {path}, then run relcheck again",
    )
