"""The world a step runs in, as the result cache sees it: what besides the files decides
whether the step passes.

For each cacheable step: the project's Python environment (relcheck.system.projectenv: the step's
``python:``, else the project's ``.venv``, ``VIRTUAL_ENV``, or ``python3`` on PATH) with
its interpreter and what is installed in it (relcheck.engine.interpreters); relcheck's own
environment the same way, since runners and their libraries run there; the executable a
``command`` step starts (its first word, on the step's PATH) and the tools a runner
names in ``cache_tools``, with the environment each sits in; the lock and requirements
files at the root, ignored by git or not; and the values of the variables the step lists
under ``cache_env:``, hashed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from relcheck.engine.interpreters import Interpreters, file_stamp
from relcheck.models import Step
from relcheck.system import process, projectenv

LOCK_FILE = re.compile(
    r"uv\.lock|poetry\.lock|pdm\.lock|Pipfile(?:\.lock)?|pylock(?:\..+)?\.toml"
    r"|pyproject\.toml|(?:requirements|constraints).*\.txt"
)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


class World:
    """Stamps of one run's environments, executables and lock files, each taken once."""

    def __init__(
        self,
        root: str,
        state_dir: str,
        secret: bytes,
        env: Mapping[str, str],
        files: Callable[[], Mapping[str, str]],
        env_root: str | None = None,
    ) -> None:
        self.root = os.path.realpath(root)
        # Where the project's environment is found, as the runners find it: the
        # repository, also when ``root`` is a temporary worktree of a commit.
        self.env_root = os.path.realpath(env_root) if env_root else self.root
        self.env = env
        self.files = files  # the work tree's path -> content id (relcheck.engine.inputs)
        self.interpreters = Interpreters(root, state_dir, secret, self.env_root)
        self._locks: list[tuple[str, str]] | None = None

    def of(self, step: Step, tools: Iterable[str] = ()) -> dict[str, Any] | None:
        """The world part of ``step``'s fingerprint; None when it cannot be taken (an
        interpreter that does not answer), so the step is not cached."""
        env = {**self.env, **step.env}
        given = getattr(step.params, "python", None)
        project = projectenv.find(self.env_root, env, given if isinstance(given, str) else None)
        pythons = [_venv_python(project.python) or project.python] if project else []
        executables: dict[str, Any] = {}
        for name in tools:
            found = [project.tool(name) if project is not None else None]
            found.append(process.which(name, env))
            executables[name] = [self._executable(p) for p in found]
            pythons += [py for p in found if p and (py := _venv_python(p))]
        word, path = _first_word(step.params, self.root, env)
        if word is not None:
            executables[f"run:{word}"] = self._executable(path)
            if path and (py := _venv_python(path)):
                pythons.append(py)
        stamps = {}
        for python in dict.fromkeys(pythons):
            stamp = self.interpreters.stamp(python, env)
            if stamp is None:
                return None
            stamps[python] = stamp
        return {
            "project_python": [project.python, project.source] if project else None,
            "pythons": stamps,
            "relcheck_env": self.interpreters.own(),
            "executables": executables,
            "locks": self._lock_files(),
            "cache_env": {n: _hidden(env.get(n)) for n in step.cache_env},
        }

    def _executable(self, path: str | None) -> Any:
        if path is None:
            return None
        return [path, os.path.realpath(path), file_stamp(os.path.realpath(path))]

    def _lock_files(self) -> list[tuple[str, str]]:
        """Lock and requirements files at the root, tracked, untracked or ignored."""
        if self._locks is None:
            from relcheck.engine.inputs import content_id

            found = []
            files = self.files()
            with contextlib.suppress(OSError), os.scandir(self.root) as items:
                for item in items:
                    if LOCK_FILE.fullmatch(item.name) and item.is_file():
                        known = files.get(item.name) or content_id(item.path) or "gone"
                        found.append((item.name, known))
            self._locks = sorted(found)
        return self._locks


def _first_word(params: object, root: str, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The program a ``run:`` starts (assignments before it skipped), and its path."""
    run = getattr(params, "run", None)
    if isinstance(run, str):
        try:
            words = shlex.split(run, comments=True)
        except ValueError:
            words = run.split()
    elif isinstance(run, tuple | list):
        words = [str(w) for w in run]
    else:
        return None, None
    words = words[next((i for i, w in enumerate(words) if not _ASSIGNMENT.match(w)), 0) :]
    if not words:
        return None, None
    word = words[0]
    if os.sep in word:
        cwd = os.path.join(root, str(getattr(params, "cwd", None) or ""))
        path = word if os.path.isabs(word) else os.path.join(cwd, word)
        return word, path if os.path.exists(path) else None
    return word, process.which(word, env)


def _venv_python(executable: str) -> str | None:
    """The interpreter of the virtual environment ``executable`` sits in, if any."""
    bin_dir = os.path.dirname(executable)
    if not os.path.isfile(os.path.join(os.path.dirname(bin_dir), "pyvenv.cfg")):
        return None
    for name in ("python", "python3", "python.exe"):
        candidate = os.path.join(bin_dir, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def _hidden(value: str | None) -> str | None:
    """A declared variable's value, hashed: the fingerprint never holds it in clear."""
    if value is None:
        return None
    return hashlib.sha256(value.encode(errors="surrogateescape")).hexdigest()
