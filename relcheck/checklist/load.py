"""Find a checklist file and read it into a frozen ``Checklist``.

Reading is two passes: YAML is composed into plain data with a line:column for every
node (``relcheck.checklist.yamlsource``), then the data is validated
(``relcheck.checklist.validate``: pydantic, and each runner's ``Params``). Every problem
is mapped back to its position and all are reported at once.
"""

from __future__ import annotations

import errno
import hashlib
import os

from relcheck.errors import ChecklistError, Problem, SourceLocation, UsageError
from relcheck.models import Checklist

MAX_BYTES = 2 * 1024 * 1024  # a checklist is a page of YAML; refuse what cannot be one


def find_checklist(root: str, explicit: str | None = None) -> str:
    """The checklist path: ``explicit``, ``[tool.relcheck] checklist``, or relcheck.yaml."""
    if explicit:
        return explicit
    from relcheck.system import pyproject

    configured = pyproject.value(pyproject.read(root), "tool", "relcheck", "checklist")
    if isinstance(configured, str):
        return os.path.join(root, configured)
    if configured is not None:
        raise UsageError(
            f"pyproject.toml: `tool.relcheck.checklist` must be a path, "
            f"got {type(configured).__name__}",
            hint='write it as checklist = "relcheck.yaml"',
        )
    from relcheck.git.checklistpath import DEFAULT_NAME

    return os.path.join(root, DEFAULT_NAME)


def _display(path: str) -> str:
    return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path


def read_bytes(path: str) -> bytes:
    """The checklist file's bytes: a regular file of at most MAX_BYTES (a FIFO, a device
    or a folder is refused at once, /dev/zero after MAX_BYTES)."""
    from relcheck.system.fileio import read_regular

    display = _display(path)
    try:
        return read_regular(path, MAX_BYTES)
    except FileNotFoundError:
        raise UsageError(
            f"no checklist at {display}",
            hint="create one with `relcheck init`, or pass --checklist PATH",
        ) from None
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            at_start = SourceLocation(display, 1, 1)
            too_big = f"file is larger than {MAX_BYTES // 1024} KiB"
            raise ChecklistError([Problem(at_start, too_big)]) from None
        raise UsageError(f"cannot read checklist {display}: {exc.strerror or exc}") from exc


def load_checklist(path: str) -> Checklist:
    """Read and validate the checklist at ``path``; raise ChecklistError with every problem."""
    display = _display(path)
    raw = read_bytes(path)
    at_start = SourceLocation(display, 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        where = SourceLocation(display, line, column)
        raise ChecklistError([Problem(where, "file is not valid UTF-8")]) from None
    from relcheck.checklist.messages import kind_of
    from relcheck.checklist.validate import validate
    from relcheck.checklist.yamlsource import load_yaml

    data, source, problems = load_yaml(text, display)
    if data is None and not problems:
        problems.append(
            Problem(at_start, "the checklist is empty; expected `version: 1` and `steps:`")
        )
    elif data is not None and not isinstance(data, dict):
        problems.append(
            Problem(at_start, f"expected a mapping at the top level, got {kind_of(data)}")
        )
    if not isinstance(data, dict):
        raise ChecklistError(problems)
    return validate(data, source, hashlib.sha256(raw).hexdigest(), path, problems)
