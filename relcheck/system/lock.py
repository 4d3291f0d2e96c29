"""One run at a time per repository: a lock file, held with flock, naming its owner.

The same kind of lock marks what a run owns outside the repository (its temporary
worktree), so that a later run can tell one left by a killed run from one in use."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time
from collections.abc import Iterator

from relcheck.errors import RepoStateError

_ATTEMPTS = 50  # a lost race with a releasing holder only repeats the open
_PID_WAIT = 1.0  # seconds to wait for a new holder to write its pid


GIT_LOCK_NAME = "relcheck.lock"


@contextlib.contextmanager
def run_lock(state_dir: str, git_dir: str | None = None) -> Iterator[None]:
    """Hold ``git_dir/relcheck.lock`` (when given) and ``state_dir/lock`` for a run.

    The kernel holds the lock (flock), not the file's existence: it is released when the
    owner exits however it exits, so a lock left by a killed run is simply taken over,
    and two runs can never both believe they own it. The file carries the owner's pid
    for the message the second run prints.

    A step may delete ``.relcheck/`` (``git clean -fdx``, ``rm -rf .relcheck``); a second
    run would then make a new lock file beside the deleted one and start. The lock in
    the git folder, which ``git clean`` never touches and no clone copies, still stops it.
    """
    # A read-only git folder (a shared checkout) cannot hold it: the state lock still does.
    usable = git_dir is not None and os.access(git_dir, os.W_OK)
    paths = [os.path.join(git_dir, GIT_LOCK_NAME)] if git_dir and usable else []
    paths.append(os.path.join(state_dir, "lock"))
    with contextlib.ExitStack() as held:
        for path in paths:
            held.enter_context(_holding(path))
        yield


def hold(path: str) -> contextlib.AbstractContextManager[None]:
    """Hold the lock file ``path`` (made if missing) while the block runs, as the run
    lock is held: its owner's death, however it dies, releases it."""
    return _holding(path)


@contextlib.contextmanager
def take_over(path: str) -> Iterator[bool | None]:
    """Take the lock file ``path`` over from an owner that is gone.

    Yields True, holding it until the block ends, when its owner is gone; False while
    its owner holds it; None when there is no such file (never made, or its owner
    finished and removed it)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        yield None
        return
    except OSError:  # not a lock file of ours: whoever made it, it is not ours to take
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            taken: bool | None = False
        else:
            # Unlinked since we opened it: its owner finished, and cleaned up itself.
            taken = True if _is_current(path, fd) else None
        yield taken
    finally:
        os.close(fd)


@contextlib.contextmanager
def _holding(path: str) -> Iterator[None]:
    from relcheck.system.fileio import describe, make_dirs

    try:
        make_dirs(os.path.dirname(path))
    except OSError as exc:
        raise RepoStateError(
            f"cannot take the run lock {path}: {describe(exc)}",
            hint="relcheck keeps its state in .relcheck/ at the top of the repository",
        ) from exc
    fd = _acquire(path)
    try:
        yield
    finally:
        # Unlink while still holding the lock: a run that opened this file meanwhile
        # sees it is no longer the lock file and opens the new one.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


def _open(path: str) -> int:
    """The lock file, opened without following a symlink (a committed ``.relcheck/lock``
    pointing at ``.git/config`` must not be truncated)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if os.path.islink(path):
            why = "is a symbolic link; relcheck writes nothing through it"
        elif os.path.isdir(path):
            why = "is a folder, not a lock file"
        else:
            why = exc.strerror or str(exc)
        raise _unusable(path, why) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _unusable(path, "is not a regular file")
    return fd


def _unusable(path: str, why: str) -> RepoStateError:
    return RepoStateError(
        f"cannot take the run lock {path}: {why}",
        hint=f"remove {path}: relcheck makes the lock file itself",
    )


def _acquire(path: str) -> int:
    for _ in range(_ATTEMPTS):
        fd = _open(path)
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
        on_disk = os.lstat(path)
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
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as fh:
                text = fh.read(32).decode("ascii", "replace").strip()
        except OSError:
            text = ""
        if text.isdigit():
            return int(text)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)
