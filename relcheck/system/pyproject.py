"""The one reader of a project's ``pyproject.toml``, and of the tables relcheck looks in.

The file belongs to the project, not to relcheck: it may be anything (a FIFO, binary,
``[tool] relcheck = "x"``), and every such file is a message naming it, never a crash.
"""

from __future__ import annotations

import os
from typing import Any

from relcheck.errors import UsageError

NAME = "pyproject.toml"
MAX_BYTES = 4 * 1024 * 1024  # a large pyproject.toml is tens of KiB


def read(root: str) -> dict[str, Any]:
    """``root/pyproject.toml`` parsed; ``{}`` when there is none; UsageError when it
    cannot be read or is not TOML."""
    from relcheck.system.fileio import read_regular

    path = os.path.join(root, NAME)
    try:
        raw = read_regular(path, MAX_BYTES)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse(raw, path)


def parse(raw: bytes, label: str) -> dict[str, Any]:
    """``raw`` parsed as TOML; UsageError naming ``label`` (and the line) when it is not."""
    import tomllib

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"{label}:{line}: not valid UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{label}: not valid TOML: {exc}") from None
    except RecursionError:
        raise UsageError(f"{label}: not valid TOML: nested too deeply") from None


def table(data: dict[str, Any], *keys: str, label: str = NAME) -> dict[str, Any]:
    """The table at ``keys`` (``"tool", "relcheck"``); ``{}`` when absent; UsageError when
    a value on the way is not a table (``[tool] relcheck = "x"``)."""
    current: Any = data
    for depth, key in enumerate(keys):
        current = current.get(key, {})
        if not isinstance(current, dict):
            name = ".".join(keys[: depth + 1])
            raise UsageError(
                f"{label}: `{name}` must be a table, got {type(current).__name__}",
                hint=f"write it as [{name}] with keys under it",
            )
    return current if isinstance(current, dict) else {}


def value(data: dict[str, Any], *keys: str, label: str = NAME) -> Any:
    """The value at ``keys`` (``"project", "version"``), or None; UsageError when a
    table on the way is not one."""
    return table(data, *keys[:-1], label=label).get(keys[-1])


def project_version(root: str) -> str | None:
    """``[project] version`` from pyproject.toml, if there is one."""
    version = value(read(root), "project", "version")
    return str(version) if version is not None else None
