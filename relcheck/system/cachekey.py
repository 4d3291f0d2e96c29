"""The key that authenticates relcheck's caches, kept outside the repository.

The key lives in the repository's own git directory (``.git/relcheck-cache-key``, made on
first use, readable by its owner only). Git never clones, fetches or commits that
directory, so a ``.relcheck/`` folder that was committed, copied from another machine or
edited by hand carries no valid signature here and is never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os

_KEY_NAME = "relcheck-cache-key"
_KEY_SIZE = 32


def git_dir(root: str) -> str | None:
    """The repository's own git directory (a worktree's ``.git`` file points to it)."""
    dot_git = os.path.join(root, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    with contextlib.suppress(OSError, ValueError):
        with open(dot_git) as fh:
            first = fh.readline().strip()
        if first.startswith("gitdir:"):
            return os.path.join(root, first.removeprefix("gitdir:").strip())
    return None


def key(root: str) -> bytes | None:
    """This clone's cache key, made on first use; None when it can be neither read nor
    made (no git directory, a read-only one): then nothing cached can be trusted."""
    directory = git_dir(root)
    if directory is None:
        return None
    path = os.path.join(directory, _KEY_NAME)
    with contextlib.suppress(OSError):
        with open(path, "rb") as fh:
            found = fh.read()
        if len(found) >= _KEY_SIZE:
            return found
    from relcheck.system.fileio import write_atomic

    with contextlib.suppress(OSError):
        # Two first runs at once may both write a key: the last rename wins, and both
        # read back the one that won.
        write_atomic(path, os.urandom(_KEY_SIZE), mode=0o600)
        with open(path, "rb") as fh:
            return fh.read()
    return None


def sign(secret: bytes, payload: bytes) -> str:
    """The hex HMAC-SHA256 of ``payload``."""
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def signed_by(secret: bytes, payload: bytes, mac: object) -> bool:
    """Whether ``mac`` is this key's signature of ``payload`` (compared in constant time)."""
    return isinstance(mac, str) and hmac.compare_digest(mac, sign(secret, payload))
