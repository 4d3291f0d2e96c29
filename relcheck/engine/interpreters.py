"""What is installed for a Python interpreter, as the result cache sees it.

An interpreter is stamped by its path, binary and ``pyvenv.cfg``, its version, and what
the folders it imports from hold: every ``*.dist-info`` and ``*.egg-info`` with the
change time and size of its metadata, every ``.pth`` and ``.egg-link``, every other
top-level name (``__pycache__`` and ``.pyc`` files aside: imports write them). Where an
interpreter looks is asked of it once (one ``python -c``) and kept, signed, in
``.relcheck/cache/interpreters/`` until the interpreter, its ``pyvenv.cfg``, its
``PYTHON*`` variables or the ``.pth`` files it read change, so a cached rerun starts no
process; a script (a pyenv or asdf shim) is asked on every run. Folders inside the
repository (the project's own sources; also the working tree's when the steps run in a
temporary worktree of a commit) are left to the tree digest, except
site-packages of a ``.venv`` there: tools write caches into the work tree on every run,
and an editable install of the project must not make every run miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from relcheck.system import cachekey, process
from relcheck.system.process_output import OutputSink

_PROBE = (
    "import json, site, sys\n"
    "user = [site.getusersitepackages()] if site.ENABLE_USER_SITE else []\n"
    "print(json.dumps({'version': sys.version, 'executable': sys.executable,"
    " 'path': _search_path(sys), 'site': site.getsitepackages() + user}))\n"
)
_PROBE_FORMAT = 2
_PROBE_TIMEOUT = 30.0
_SITE_DIRS = ("site-packages", "dist-packages")


class Interpreters:
    """Stamps of the interpreters one run's steps use, and of relcheck's own; each
    interpreter and each folder is looked at once."""

    def __init__(
        self, root: str, state_dir: str, secret: bytes, repository: str | None = None
    ) -> None:
        self.root = os.path.realpath(root)
        # A temporary worktree's steps import its own code, not the repository's that an
        # editable install names: the repository's sources are left out as the tree's are.
        self.trees = tuple(dict.fromkeys([self.root, os.path.realpath(repository or root)]))
        self.directory = os.path.join(state_dir, "cache", "interpreters")
        self.secret = secret
        self._lock = threading.Lock()
        self._dirs: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._pythons: dict[tuple[str, str], Any] = {}
        self._inside: dict[str, bool] = {}
        self._own_env: str | None = None

    def stamp(self, python: str, env: Mapping[str, str]) -> Any:
        """Interpreter and installed distributions of ``python``, or None when it does
        not answer."""
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
        identity = [python, real, home, info.st_mtime_ns, info.st_size, file_stamp(venv_cfg)]
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
            sink=OutputSink(None),
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
        from relcheck.system.fileio import write_atomic

        data = json.dumps(answer, sort_keys=True)
        outer = {"format": _PROBE_FORMAT, "mac": cachekey.sign(self.secret, data.encode())}
        write_atomic(path, json.dumps({**outer, "data": data}).encode())

    def own(self) -> str:
        """relcheck's own environment: its runners and their libraries run there."""
        if self._own_env is None:
            dirs = list(dict.fromkeys(_search_path(sys)))
            # The interpreter itself is in the fingerprint already.
            self._own_env = _sha(json.dumps(self._scan_all(dirs)))
        return self._own_env

    # -- folders ------------------------------------------------------------------------
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
            inside = any(real == t or real.startswith(t + os.sep) for t in self.trees)
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
                        names.append(f"{name} {file_stamp(os.path.join(item.path, 'METADATA'))}")
                    elif name.endswith(".egg-info"):
                        meta = os.path.join(item.path, "PKG-INFO") if item.is_dir() else item.path
                        names.append(f"{name} {file_stamp(meta)}")
                    elif name.endswith((".pth", ".egg-link")):
                        stamp = f"{name} {file_stamp(item.path)}"
                        names.append(stamp)
                        pth.append(f"{folder}/{stamp}")
                    else:
                        names.append(name)
            digest = _sha("\n".join(sorted(names)))
        except NotADirectoryError:
            digest = f"file {file_stamp(folder)}"  # a zip on sys.path
        except OSError:
            digest = "missing"
        found = (digest, tuple(sorted(pth)))
        with self._lock:
            self._dirs[folder] = found
        return found


def _search_path(sys: ModuleType) -> list[str]:
    """``sys.path`` without its first entry, which is where Python was started from (a
    script's folder, the current one for ``-m`` and ``-c``), not what is installed: a
    ``relcheck`` script, ``python -m relcheck`` and a pre-push hook must agree. Its
    source also runs in the interpreter a step uses."""
    return list(sys.path if sys.flags.safe_path else sys.path[1:])


def _is_script(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"#!"
    except OSError:
        return False


def file_stamp(path: str) -> str:
    """``<mtime_ns> <size>`` of a file, or ``missing``."""
    try:
        info = os.stat(path)
    except OSError:
        return "missing"
    return f"{info.st_mtime_ns} {info.st_size}"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode(errors="surrogateescape")).hexdigest()
