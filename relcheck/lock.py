"""One run at a time per repository: a lock file holding the owner's pid."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from relcheck.errors import RepoStateError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def run_lock(state_dir: str) -> Iterator[None]:
    """Hold ``state_dir/lock``; a lock left by a dead process is reclaimed."""
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    path = os.path.join(state_dir, "lock")
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            try:
                with open(path) as fh:
                    pid = int(fh.read().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and _alive(pid):
                raise RepoStateError(
                    f"locked by pid {pid}: another relcheck run is in progress here",
                    hint=f"wait for it, or remove {path} if no relcheck is running",
                ) from None
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # stale: its owner died without cleaning up
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        break
    else:
        raise RepoStateError(f"cannot take the run lock {path}")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
