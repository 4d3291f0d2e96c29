"""The result cache's files: one signed JSON entry per pass, read back only when this
clone's key signed it (relcheck.system.cachekey)."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from relcheck.models import Annotation
from relcheck.system import cachekey

FORMAT = 2  # 2: signed entries, keyed fingerprints covering the step's world
KEEP_PER_STEP = 16  # older entries of a step are pruned when a new pass is stored

_MAX_ENTRY = 16 * 1024 * 1024


def _unwrap(path: str, secret: bytes) -> Any:
    """The entry inside the file at ``path`` when this clone's key signed it; else None."""
    from relcheck.system.fileio import read_regular

    try:
        outer = json.loads(read_regular(path, _MAX_ENTRY))  # a FIFO is skipped, not awaited
        data = outer["entry"]
        if outer["format"] != FORMAT or not cachekey.signed_by(secret, data.encode(), outer["mac"]):
            return None
        return json.loads(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None  # missing, or corrupt: ignored here and rewritten by the next pass


def _signed(path: str, secret: bytes) -> bool:
    return _unwrap(path, secret) is not None


def read(path: str, fingerprint: str, step_id: str, secret: bytes) -> dict[str, Any] | None:
    """The entry at ``path`` when it is signed, whole and says what it should; else None."""
    entry = _unwrap(path, secret)
    if (
        not isinstance(entry, dict)
        or entry.get("format") != FORMAT
        or entry.get("fingerprint") != fingerprint
        or entry.get("step") != step_id
        or not isinstance(entry.get("run_id"), str)
        or not isinstance(entry.get("result"), dict)
    ):
        return None
    try:
        for a in entry["result"].get("annotations") or ():
            Annotation(**a)
    except TypeError:
        return None
    return entry


def _prune(directory: str) -> None:
    """Keep the newest KEEP_PER_STEP entries of one step."""
    entries = []
    with os.scandir(directory) as it:
        for item in it:
            if item.name.endswith(".json"):
                with contextlib.suppress(OSError):
                    entries.append((item.stat().st_mtime, item.path))
    for _, path in sorted(entries, reverse=True)[KEEP_PER_STEP:]:
        with contextlib.suppress(OSError):
            os.unlink(path)


def write(path: str, entry: dict[str, Any], secret: bytes) -> None:
    """Sign ``entry`` and keep it at ``path``; prune the step's older entries. A cache
    never fails a run: an entry that cannot be written is not kept."""
    from relcheck.system.fileio import write_atomic  # never through a link under .relcheck/

    with contextlib.suppress(OSError, TypeError, ValueError):
        data = json.dumps(entry, default=str)
        signed = {"format": FORMAT, "mac": cachekey.sign(secret, data.encode())}
        write_atomic(path, json.dumps({**signed, "entry": data}).encode())
        _prune(os.path.dirname(path))


def unsigned(directory: str, secret: bytes) -> int:
    """How many entries in one step's ``directory`` this clone's key did not sign."""
    ignored = 0
    with contextlib.suppress(OSError), os.scandir(directory) as it:
        for item in it:
            if item.name.endswith(".json") and not _signed(item.path, secret):
                ignored += 1
    return ignored
