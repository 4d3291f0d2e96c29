"""The world a step runs in, as the result cache sees it: what besides the files decides
whether the step passes.

For each cacheable step: the project's Python environment (relcheck.projectenv: the step's
``python:``, else the project's ``.venv``, ``VIRTUAL_ENV``, or ``python3`` on PATH) with
its interpreter (path, binary, version) and what is installed in it (every
``*.dist-info`` and ``*.egg-info`` with the change time of its metadata, every ``.pth``
and ``.egg-link``, every other top-level name); relcheck's own environment the same way,
since runners and their libraries run there; the executable a ``command`` step starts
(its first word, on the step's PATH) and the tools a runner names in ``cache_tools``,
with the environment each sits in; the lock and requirements files at the root, ignored
by git or not; and the values of the variables the step lists under ``cache_env:``.

Where an interpreter looks for packages is asked of it once (one ``python -c``) and kept,
signed, in ``.relcheck/cache/interpreters/`` until the interpreter, its ``pyvenv.cfg``,
its ``PYTHON*`` variables or the ``.pth`` files it read change, so a cached rerun starts
no process. Folders inside the repository (the project's own sources, ``''`` on
``sys.path``) are left to the tree digest, except site-packages of a ``.venv`` there:
tools write caches into the work tree on every run, and an editable install of the
project must not make every run miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shlex
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

from relcheck import cachekey, process, projectenv
from relcheck.models import Step

LOCK_FILE = re.compile(
    r"uv\.lock|poetry\.lock|pdm\.lock|Pipfile(?:\.lock)?|pylock(?:\..+)?\.toml"
    r"|pyproject\.toml|(?:requirements|constraints).*\.txt"
)
_PROBE = (
    "import json, site, sys\n"
    "user = [site.getusersitepackages()] if site.ENABLE_USER_SITE else []\n"
    "print(json.dumps({'version': sys.version, 'executable': sys.executable,"
    " 'path': _search_path(sys), 'site': site.getsitepackages() + user}))\n"
)
_PROBE_FORMAT = 2
_PROBE_TIMEOUT = 30.0
_SITE_DIRS = ("site-packages", "dist-packages")
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
    ) -> None:
        self.root = os.path.realpath(root)
        self.directory = os.path.join(state_dir, "cache", "interpreters")
        self.secret = secret
        self.env = env
        self.files = files  # the work tree's path -> content id (relcheck.inputs)
        self._lock = threading.Lock()
        self._dirs: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._pythons: dict[tuple[str, str], Any] = {}
        self._locks: list[tuple[str, str]] | None = None
        self._own_env: str | None = None
        self._inside: dict[str, bool] = {}

    def of(self, step: Step, tools: Iterable[str] = ()) -> dict[str, Any] | None:
        """The world part of ``step``'s fingerprint; None when it cannot be taken (an
        interpreter that does not answer), so the step is not cached."""
        env = {**self.env, **step.env}
        given = getattr(step.params, "python", None)
        project = projectenv.find(self.root, env, given if isinstance(given, str) else None)
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
            stamp = self._python(python, env)
            if stamp is None:
                return None
            stamps[python] = stamp
        return {
            "project_python": [project.python, project.source] if project else None,
            "pythons": stamps,
            "relcheck_env": self._own(),
            "executables": executables,
            "locks": self._lock_files(),
            "cache_env": {n: _hidden(env.get(n)) for n in step.cache_env},
        }

    # -- interpreters -------------------------------------------------------------------
    def _python(self, python: str, env: Mapping[str, str]) -> Any:
        """Interpreter and installed distributions of ``python``, or None."""
        python_env = {k: v for k, v in env.items() if k.startswith("PYTHON") or k == "HOME"}
        memo = (python, json.dumps(python_env, sort_keys=True))
        with self._lock:
            if memo in self._pythons:
                return self._pythons[memo]
        stamp = self._python_stamp(python, env, python_env)
        with self._lock:
            self._pythons[memo] = stamp
        return stamp

    def _python_stamp(
        self, python: str, env: Mapping[str, str], python_env: Mapping[str, str]
    ) -> Any:
        try:
            real = os.path.realpath(python)
            info = os.stat(real)
        except OSError:
            return None
        venv_cfg = os.path.join(os.path.dirname(os.path.dirname(python)), "pyvenv.cfg")
        home = os.path.realpath(os.path.dirname(python))  # a venv's bin, even through a link
        identity = [python, real, home, info.st_mtime_ns, info.st_size, _file(venv_cfg)]
        name = _sha(json.dumps([identity, python_env, self.root], sort_keys=True))
        entry = os.path.join(self.directory, f"{name}.json")
        # A script (a pyenv or asdf shim) may start another Python each time, though it
        # never changes itself: it is asked on every run.
        answer = None if _is_script(real) else self._read_probe(entry)
        if answer is not None:
            stamp = self._scan_all(answer["dirs"])
            if stamp[1] == answer["pth"]:
                return [identity, answer["version"], answer["executable"], stamp[0]]
        answer = self._probe(python, env)
        if answer is None:
            return None
        stamp = self._scan_all(answer["dirs"])
        answer["pth"] = stamp[1]
        with contextlib.suppress(OSError, TypeError, ValueError):  # only slower next time
            if not _is_script(real):
                self._write_probe(entry, answer)
        return [identity, answer["version"], answer["executable"], stamp[0]]

    def _probe(self, python: str, env: Mapping[str, str]) -> dict[str, Any] | None:
        """Ask ``python`` where it finds packages (one short process)."""
        import inspect  # only when an interpreter is asked: not on a cached rerun

        source = inspect.getsource(_search_path)
        result = process.run(
            [python, "-c", f"from __future__ import annotations\n{source}\n{_PROBE}"],
            cwd=self.root,
            env=env,
            timeout=_PROBE_TIMEOUT,
            cancel=threading.Event(),
            sink=process.OutputSink(None),
            capture_stdout=True,
        )
        if result.returncode != 0:
            return None
        try:
            said = json.loads(result.stdout.decode(errors="replace").strip().splitlines()[-1])
            dirs = [str(d) for d in [*said["path"], *said["site"]]]
            version, executable = str(said["version"]), str(said["executable"])
        except (ValueError, KeyError, IndexError, TypeError):
            return None
        return {"version": version, "executable": executable, "dirs": list(dict.fromkeys(dirs))}

    def _read_probe(self, path: str) -> dict[str, Any] | None:
        try:
            with open(path, "rb") as fh:
                outer = json.loads(fh.read())
            data = outer["data"]
            if outer.get("format") != _PROBE_FORMAT or not cachekey.signed_by(
                self.secret, data.encode(), outer.get("mac")
            ):
                return None
            answer = json.loads(data)
            if not isinstance(answer.get("dirs"), list):
                return None
            return {
                "version": str(answer["version"]),
                "executable": str(answer["executable"]),
                "dirs": answer["dirs"],
                "pth": answer["pth"],
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _write_probe(self, path: str, answer: Mapping[str, Any]) -> None:
        from relcheck.cache import write_atomic

        data = json.dumps(answer, sort_keys=True)
        outer = {"format": _PROBE_FORMAT, "mac": cachekey.sign(self.secret, data.encode())}
        write_atomic(path, json.dumps({**outer, "data": data}).encode())

    def _own(self) -> str:
        """relcheck's own environment: its runners and their libraries run there."""
        if self._own_env is None:
            dirs = list(dict.fromkeys(_search_path(sys)))
            # The interpreter itself is in the fingerprint already.
            self._own_env = _sha(json.dumps(self._scan_all(dirs)))
        return self._own_env

    # -- folders, files, executables ----------------------------------------------------
    def _scan_all(self, dirs: Iterable[str]) -> tuple[str, str]:
        """(digest of what ``dirs`` hold, digest of their ``.pth`` files)."""
        contents: list[tuple[str, str]] = []
        pth: list[str] = []
        for folder in dirs:
            where = os.path.join(self.root, folder) if folder else self.root
            if self._in_tree(where):
                contents.append((folder, "in the work tree"))
                continue
            digest, found = self._scan(where)
            contents.append((folder, digest))
            pth += found
        return _sha(json.dumps(contents)), _sha(json.dumps(pth))

    def _in_tree(self, folder: str) -> bool:
        if folder not in self._inside:
            real = os.path.realpath(folder)
            inside = real == self.root or real.startswith(self.root + os.sep)
            parts = real.split(os.sep)
            self._inside[folder] = inside and not any(p in _SITE_DIRS for p in parts)
        return self._inside[folder]

    def _scan(self, folder: str) -> tuple[str, tuple[str, ...]]:
        """A digest of one folder on ``sys.path``: names, and each distribution's
        metadata change time and size; plus its ``.pth`` files. Taken once a run."""
        with self._lock:
            if folder in self._dirs:
                return self._dirs[folder]
        names: list[str] = []
        pth: list[str] = []
        try:
            with os.scandir(folder) as items:
                for item in items:
                    name = item.name
                    if name == "__pycache__" or name.endswith(".pyc"):
                        continue  # written by imports, not by installs
                    if name.endswith(".dist-info"):
                        names.append(f"{name} {_file(os.path.join(item.path, 'METADATA'))}")
                    elif name.endswith(".egg-info"):
                        meta = os.path.join(item.path, "PKG-INFO") if item.is_dir() else item.path
                        names.append(f"{name} {_file(meta)}")
                    elif name.endswith((".pth", ".egg-link")):
                        stamp = f"{name} {_file(item.path)}"
                        names.append(stamp)
                        pth.append(f"{folder}/{stamp}")
                    else:
                        names.append(name)
            digest = _sha("\n".join(sorted(names)))
        except NotADirectoryError:
            digest = f"file {_file(folder)}"  # a zip on sys.path
        except OSError:
            digest = "missing"
        found = (digest, tuple(sorted(pth)))
        with self._lock:
            self._dirs[folder] = found
        return found

    def _executable(self, path: str | None) -> Any:
        if path is None:
            return None
        return [path, os.path.realpath(path), _file(os.path.realpath(path))]

    def _lock_files(self) -> list[tuple[str, str]]:
        """Lock and requirements files at the root, tracked, untracked or ignored."""
        if self._locks is None:
            from relcheck.inputs import content_id

            found = []
            files = self.files()
            with contextlib.suppress(OSError), os.scandir(self.root) as items:
                for item in items:
                    if LOCK_FILE.fullmatch(item.name) and item.is_file():
                        known = files.get(item.name) or content_id(item.path) or "gone"
                        found.append((item.name, known))
            self._locks = sorted(found)
        return self._locks


def _search_path(sys: ModuleType) -> list[str]:
    """``sys.path`` without its first entry, which is where Python was started from (a
    script's folder, the current one for ``-m`` and ``-c``), not what is installed: a
    ``relcheck`` script, ``python -m relcheck`` and a pre-push hook must agree. Its
    source also runs in the interpreter a step uses."""
    return list(sys.path if sys.flags.safe_path else sys.path[1:])


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


def _is_script(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"#!"
    except OSError:
        return False


def _file(path: str) -> str:
    """``<mtime_ns> <size>`` of a file, or ``missing``."""
    try:
        info = os.stat(path)
    except OSError:
        return "missing"
    return f"{info.st_mtime_ns} {info.st_size}"


def _hidden(value: str | None) -> str | None:
    """A declared variable's value, hashed: the fingerprint never holds it in clear."""
    return None if value is None else _sha(value)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode(errors="surrogateescape")).hexdigest()
