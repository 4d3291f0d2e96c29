"""Which ruff a lint step runs, and what it can do.

The project's own ruff, never relcheck's by default: the version pinned in the project's
environment is the one its configuration and its CI agree on. In order: the step's
``ruff:``, the environment of its ``python:``, the project's ``.venv``, the active
virtual environment, ``ruff`` on PATH, and only then the ruff of relcheck's optional
``relcheck[ruff]`` extra, which the record names as such.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from relcheck.api import RunnerError
from relcheck.system import projectenv
from relcheck.system.process_result import CommandResult

BUNDLED = "relcheck's bundled extra"
# `ruff format --check --output-format json` is newer than `ruff check`'s JSON; an older
# ruff (0.11.11 says "unexpected argument '--output-format'") is read from its text.
FORMAT_JSON_SINCE = (0, 16)
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?\S*")
_versions: dict[tuple[str, int, int], str | None] = {}  # (path, mtime_ns, size) -> version
_NO_RUFF = (
    "no ruff found: not in the project's environment ({where}), not on PATH, and relcheck "
    "was installed without its ruff extra; fix: add ruff to the project's dev "
    "dependencies, or `pip install 'relcheck[ruff]'`"
)


@dataclass(frozen=True)
class Ruff:
    """A ruff executable, where it came from, and its version (None when unknown)."""

    path: str
    source: str  # "ruff: given", ".venv", "VIRTUAL_ENV", "python: given", "PATH", BUNDLED
    version: str | None

    @property
    def bundled(self) -> bool:
        return self.source == BUNDLED

    @property
    def json_format_check(self) -> bool:
        """Whether ``ruff format --check`` can print JSON (unknown versions are tried)."""
        parsed = _parts(self.version)
        return parsed is None or parsed >= FORMAT_JSON_SINCE

    def describe(self) -> str:
        """``ruff 0.11.11 from .venv``."""
        return f"ruff {self.version or '(version unknown)'} from {self.source}"


def find(
    root: str,
    env: dict[str, str],
    *,
    given: str | None,
    python: str | None,
    run: Callable[[list[str]], CommandResult],
) -> Ruff:
    """The ruff a step runs (see the module docstring); RunnerError when there is none."""
    path, source = _locate(root, env, given, python)
    return Ruff(path, source, version(path, run))


def _locate(
    root: str, env: dict[str, str], given: str | None, python: str | None
) -> tuple[str, str]:
    search = env.get("PATH", os.defpath)
    if given:
        path = _given(root, given, search)
        if path is None:
            raise RunnerError(
                f"ruff: {given!r} is not an executable file or a command on PATH; "
                "fix: give the path of the project's ruff, e.g. .venv/bin/ruff"
            )
        return path, "ruff: given"
    project = projectenv.find(root, env, python)
    if python and project is None:
        raise RunnerError(
            f"python: {python!r} is not an interpreter here; fix: give the project's "
            "interpreter, e.g. .venv/bin/python"
        )
    if project is not None and project.bin_dir is not None:
        tool = project.tool("ruff")
        if tool is not None:
            return tool, project.source
        if python:
            raise RunnerError(
                f"no ruff beside {python} (in {project.bin_dir}); fix: install ruff in "
                "that environment, or name one with `ruff:`"
            )
    bundled = _bundled()
    on_path = shutil.which("ruff", path=projectenv.user_path(env))
    if on_path is not None:
        same = bundled is not None and _same_file(on_path, bundled)
        return on_path, BUNDLED if same else "PATH"
    if bundled is not None:
        return bundled, BUNDLED
    where = project.source if project is not None and project.bin_dir else "no .venv"
    raise RunnerError(_NO_RUFF.format(where=where))


def _given(root: str, given: str, search: str) -> str | None:
    if os.sep in given or (os.altsep and os.altsep in given):
        path = given if os.path.isabs(given) else os.path.join(root, given)
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    return shutil.which(given, path=search)


def _bundled() -> str | None:
    """The ruff binary of the ``ruff`` package in relcheck's own environment, if any."""
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        return os.fsdecode(find_ruff_bin())
    except FileNotFoundError:
        return None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def version(path: str, run: Callable[[list[str]], CommandResult]) -> str | None:
    """``0.11.11`` from ``ruff --version``; asked once per binary and process."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (os.path.realpath(path), st.st_mtime_ns, st.st_size)
    if key not in _versions:
        result = run([path, "--version"])
        text = result.stdout.decode("utf-8", errors="replace")
        found = _VERSION.search(text) if result.returncode == 0 else None
        if result.cancelled or result.timed_out:
            return None  # not remembered: the next step asks again
        _versions[key] = found.group(0) if found else None
    return _versions[key]


def _parts(text: str | None) -> tuple[int, int] | None:
    found = _VERSION.fullmatch(text or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def unformatted_from_text(stdout: bytes) -> list[str]:
    """The files an older ruff's ``format --check`` would reformat ("Would reformat: X")."""
    text = stdout.decode("utf-8", errors="replace")
    prefix = "Would reformat: "
    return [line[len(prefix) :].strip() for line in text.splitlines() if line.startswith(prefix)]
