"""Find the project's Python environment: the interpreter and tools its steps should run.

relcheck is installed as a tool beside a project, so its own interpreter and its own ruff
say nothing about the project. A step runs in the environment the project uses: the one
the step or checklist names, else the project's ``.venv``, else the active virtual
environment (``VIRTUAL_ENV``), else the first ``python3`` on PATH. The bin folder of
relcheck's own virtual environment, which relcheck puts first on its steps' PATH, is not
searched there: it is relcheck's, not the project's.

A commit checked in a temporary worktree (the pre-push hook) has no environment of its
own: a virtual environment is not committed. Its steps use the working tree's, and
:func:`with_import_root` makes them import the worktree's code, not the working tree's
that an editable install points to.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass

_VENV_DIRS = (".venv", "venv")
_BIN = "Scripts" if os.name == "nt" else "bin"
_PYTHON = "python.exe" if os.name == "nt" else "python"


@dataclass(frozen=True)
class ProjectEnv:
    """Where a step's Python and tools come from, and how relcheck chose it."""

    python: str  # absolute path of the interpreter
    source: str  # "python: given", ".venv", "VIRTUAL_ENV", "PATH"
    bin_dir: str | None  # the environment's scripts folder, when it is a virtual environment

    def tool(self, name: str) -> str | None:
        """The path of an executable installed in this environment, or None."""
        if self.bin_dir is None:
            return None
        for candidate in (name, f"{name}.exe"):
            path = os.path.join(self.bin_dir, candidate)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
        return None


def find(root: str, env: Mapping[str, str], given: str | None = None) -> ProjectEnv | None:
    """The project's environment, or None when no Python interpreter can be found.

    ``given`` is a step's ``python:``: an interpreter path (relative to ``root``) or a
    command name looked up on the step's PATH.
    """
    if given:
        path = _resolve_given(root, env, given)
        return None if path is None else _env_of(path, "python: given")
    for name in _VENV_DIRS:
        path = os.path.join(root, name, _BIN, _PYTHON)
        if os.path.isfile(path):
            return ProjectEnv(path, name, os.path.join(root, name, _BIN))
    active = env.get("VIRTUAL_ENV")
    if active:
        path = os.path.join(active, _BIN, _PYTHON)
        if os.path.isfile(path):
            return ProjectEnv(path, "VIRTUAL_ENV", os.path.join(active, _BIN))
    search = user_path(env)
    found = shutil.which("python3", path=search) or shutil.which("python", path=search)
    return None if found is None else _env_of(found, "PATH")


def user_path(env: Mapping[str, str]) -> str:
    """The step's PATH without the bin folder of relcheck's own virtual environment."""
    entries = env.get("PATH", os.defpath).split(os.pathsep)
    if sys.prefix == sys.base_prefix:  # not a virtual environment: nothing of its own
        return os.pathsep.join(entries)
    own = os.path.normcase(os.path.realpath(os.path.dirname(sys.executable)))
    return os.pathsep.join(e for e in entries if e and os.path.normcase(os.path.realpath(e)) != own)


def _resolve_given(root: str, env: Mapping[str, str], given: str) -> str | None:
    if os.sep in given or (os.altsep and os.altsep in given):
        path = given if os.path.isabs(given) else os.path.join(root, given)
        return path if os.path.isfile(path) else None
    return shutil.which(given, path=env.get("PATH", os.defpath))


def _env_of(python: str, source: str) -> ProjectEnv:
    """A ProjectEnv for an interpreter; its bin folder when it sits in a virtual env."""
    bin_dir = os.path.dirname(python)
    is_venv = os.path.isfile(os.path.join(os.path.dirname(bin_dir), "pyvenv.cfg"))
    return ProjectEnv(python, source, bin_dir if is_venv else None)


def import_root(tree: str) -> str:
    """Where the project's own code is imported from in ``tree``: its ``src`` folder when
    that holds Python code (a src layout, namespace packages too), else ``tree`` itself."""
    src = os.path.join(tree, "src")
    for folder, dirs, files in os.walk(src):
        if any(name.endswith(".py") for name in files):
            return src
        if folder.count(os.sep) - src.count(os.sep) >= 2:
            dirs.clear()  # a package's modules are near the top; a deep search costs
    return tree


def with_import_root(env: Mapping[str, str], tree: str) -> dict[str, str]:
    """``env`` with ``tree``'s import root first on PYTHONPATH, ahead of what was there.

    An editable install (``pip install -e .``) imports the working tree's code; a step
    checking another checkout of the commit must import that checkout's code instead.
    """
    first = import_root(tree)
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**env, "PYTHONPATH": os.pathsep.join([first, *rest])}
