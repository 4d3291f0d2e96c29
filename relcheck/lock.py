"""One run at a time per repository: a lock file, held with flock, naming its owner."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator

from relcheck.errors import RepoStateError

_ATTEMPTS = 50  # a lost race with a releasing holder only repeats the open
_PID_WAIT = 1.0  # seconds to wait for a new holder to write its pid


@contextlib.contextmanager
def run_lock(state_dir: str) -> Iterator[None]:
    """Hold ``state_dir/lock`` for the duration of a run.

    The kernel holds the lock (flock), not the file's existence: it is released when the
    owner exits however it exits, so a lock left by a killed run is simply taken over,
    and two runs can never both believe they own it. The file carries the owner's pid
    for the message the second run prints.
    """
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    path = os.path.join(state_dir, "lock")
    fd = _acquire(path)
    try:
        yield
    finally:
        # Unlink while still holding the lock: a run that opened this file meanwhile
        # sees it is no longer the lock file and opens the new one.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


def _acquire(path: str) -> int:
    for _ in range(_ATTEMPTS):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _locked(path) from None
        except OSError:
            os.close(fd)
            raise
        if _is_current(path, fd):
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            return fd
        os.close(fd)  # the previous owner removed this file after we opened it
    raise RepoStateError(f"cannot take the run lock {path}")


def _is_current(path: str, fd: int) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def _locked(path: str) -> RepoStateError:
    pid = _owner(path)
    who = f"pid {pid}" if pid else "another process"
    return RepoStateError(
        f"locked by {who}: another relcheck run is in progress here",
        hint="wait for it to finish; the lock is released when that run exits",
    )


def _owner(path: str) -> int | None:
    """The pid in the lock file; a new owner may not have written it yet, so wait a bit."""
    deadline = time.monotonic() + _PID_WAIT
    while True:
        try:
            with open(path) as fh:
                text = fh.read().strip()
        except OSError:
            text = ""
        if text.isdigit():
            return int(text)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)
