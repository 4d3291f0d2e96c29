"""Find and stop the processes of a step that left its process group.

Every step starts in a session and process group of its own, and relcheck stops that
group. A process can leave it: ``timeout`` and a shell's ``set -m`` job make a group of
their own, ``setsid`` and a daemon's double fork a session of their own. On Linux relcheck
makes itself a child subreaper, so such a process becomes relcheck's child when its parent
exits (instead of init's), and relcheck reaps it. It is found by its session (the step's)
or, when it has left the session too, by the ``RELCHECK_PROCESS_TREE`` value in its
environment; then it is killed with all its descendants.

Reading /proc is Linux only; elsewhere only the process group is stopped.

Reading every process's /proc entry costs about 2 ms with a hundred processes, at the
end of every step. A step's processes all started after it did, and Linux hands out
process ids in turn (``ns_last_pid``, wrapping at ``pid_max``), so a :class:`Window`
taken before the step starts names the ids they can have: those handed out since. That
holds while fewer forks than ids happened in between (``processes`` in /proc/stat
counts every fork on the machine); past that, or over a wide window, every process is
read as before. Only processes that take a chosen id (``clone3`` with ``set_tid``, which
needs CAP_CHECKPOINT_RESTORE) escape a window.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import sys
import threading
import time
from typing import NamedTuple

TREE_ENV = "RELCHECK_PROCESS_TREE"  # in the environment of every process relcheck starts
_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
_ROUNDS = 8  # kill, re-read: a process killed mid-fork leaves a child for the next round
_REAP_WAIT = 2.0  # seconds to wait for a killed child to become reapable

_counter = itertools.count(1)
_leaders: set[int] = set()  # the first process of each tree: its Popen reaps it


class Window(NamedTuple):
    """Where the ids of processes started from now on begin (see the module docstring)."""

    last_pid: int
    forks: int


_WIDEST = 2048  # ids; a wider window costs more to read than /proc's listing


class _Proc(NamedTuple):
    ppid: int
    group: int
    session: int
    zombie: bool
    start: int  # clock ticks after boot


def new_tree(leader_env: dict[str, str]) -> str:
    """Mark an environment as a new tree's (before it starts); return the mark."""
    become_subreaper()
    token = f"{os.getpid()}-{next(_counter)}"
    leader_env[TREE_ENV] = token
    return token


def started(leader: int) -> None:
    """``leader`` (a Popen's pid) leads a tree: never reaped here, its Popen waits for it."""
    _leaders.add(leader)


def finished(leader: int) -> None:
    """``leader``'s Popen has reaped it."""
    _leaders.discard(leader)


@functools.cache
def become_subreaper() -> bool:
    """Make orphaned descendants relcheck's children (Linux, once); whether that worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def window() -> Window | None:
    """The window of the processes started from now on, or None where /proc cannot say."""
    if not sys.platform.startswith("linux") or not _own_namespace():
        return None
    try:
        return Window(int(_LAST_PID.read()), _forks())
    except (OSError, ValueError):
        return None


class _Kept:
    """A /proc file read twice a step: held open and read from its start each time (one
    ``pread`` instead of open, read and close, each of which lets another thread take the
    interpreter while steps run side by side). /proc makes the content anew on a read
    from the start."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None
        self._lock = threading.Lock()

    def read(self) -> bytes:
        fd = self._fd
        if fd is None:
            with self._lock:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
                fd = self._fd
        data = os.pread(fd, 65536, 0)
        # Larger (/proc/stat of a machine with many CPUs): read whole, in one open.
        return data if len(data) < 65536 else _read(self._path)


_LAST_PID = _Kept("/proc/sys/kernel/ns_last_pid")
_STAT = _Kept("/proc/stat")


@functools.cache
def _own_namespace() -> bool:
    """Whether /proc shows relcheck's pid namespace (whose ids ns_last_pid counts)."""
    try:
        return os.readlink("/proc/self") == str(os.getpid())
    except OSError:
        return False


def _read(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)  # os.open/os.read: a third of the time of open()
    try:
        chunks = [os.read(fd, 65536)]
        while len(chunks[-1]) == 65536:  # /proc/stat of a machine with many CPUs
            chunks.append(os.read(fd, 65536))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _forks() -> int:
    stat = _STAT.read()  # "processes": forks since boot, on the whole machine
    at = stat.index(b"\nprocesses ") + len(b"\nprocesses ")
    return int(stat[at : stat.index(b"\n", at)])


@functools.cache
def _pid_max() -> int:
    return int(_read("/proc/sys/kernel/pid_max"))


def _ids_since(since: Window | None) -> list[str] | None:
    """The ids handed out since ``since`` (as /proc names), or None: read every process."""
    now = window() if since is not None else None
    if since is None or now is None:
        return None
    try:
        pid_max = _pid_max()
    except (OSError, ValueError):
        return None
    if now.forks - since.forks >= pid_max - 301:  # the ids may have gone round
        return None
    wrapped = now.last_pid < since.last_pid  # at pid_max, back to the low ids
    wide = now.last_pid - since.last_pid + (pid_max if wrapped else 0)
    if wide > _WIDEST:
        return None
    ids = [*range(since.last_pid + 1, pid_max if wrapped else now.last_pid + 1)]
    if wrapped:
        ids += range(1, now.last_pid + 1)
    return [str(pid) for pid in ids]


def _snapshot(since: Window | None = None) -> dict[int, _Proc]:
    names = _ids_since(since)
    if names is None:
        try:
            names = os.listdir("/proc")
        except OSError:
            return {}
        return _stats(names)
    procs = _stats(names)  # only the window's ids (which may be threads), and relcheck
    me = os.getpid()
    own = _own(me)
    if own is not None:
        procs[me] = own
    return procs


def _own(pid: int) -> _Proc | None:
    """relcheck's own entry, read once: what is asked of it (its session, when it
    started) never changes. Keyed by pid: a forked relcheck is another process."""
    found = _OWN.get(pid)
    if found is None:
        found = _stats([str(pid)]).get(pid)
        if found is not None:
            _OWN.clear()
            _OWN[pid] = found
    return found


_OWN: dict[int, _Proc] = {}


def _stats(names: list[str]) -> dict[int, _Proc]:
    """The /proc stat of each process (or thread) id of ``names`` still there."""
    procs: dict[int, _Proc] = {}
    for name in names:
        if not name.isdigit():
            continue
        try:
            fd = os.open(f"/proc/{name}/stat", os.O_RDONLY)
        except OSError:
            continue
        try:
            stat = os.read(fd, 4096)
        except OSError:
            continue
        finally:
            os.close(fd)
        fields = stat.rsplit(b")", 1)[-1].split()
        with contextlib.suppress(IndexError, ValueError):
            procs[int(name)] = _Proc(
                int(fields[1]),
                int(fields[2]),
                int(fields[3]),
                fields[0] in (b"Z", b"X"),
                int(fields[19]),
            )
    return procs


def _leads_process(pid: int) -> bool:
    """Whether ``pid`` is a process, not one of its other threads (which /proc/<id>
    shows too, though its listing does not)."""
    try:
        status = _read(f"/proc/{pid}/status")
    except OSError:
        return True  # gone: as before, a kill that finds nothing
    at = status.find(b"\nTgid:")
    return at < 0 or int(status[at + 6 : status.index(b"\n", at + 1)]) == pid


def _carries(pid: int, mark: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return mark in fh.read().split(b"\0")
    except OSError:  # gone, or another user's
        return False


def _members(procs: dict[int, _Proc], session: int, token: str) -> set[int]:
    """Live processes of the tree, with all their descendants."""
    me = os.getpid()
    mine = procs.get(me)
    mark = f"{TREE_ENV}={token}".encode()
    # Sessions no process of this tree can be in (a session is only ever left for a new
    # one): relcheck's own (its threads, its git questions) and other trees' first
    # processes'. Their processes' environments need not be read.
    others = {*_leaders, mine.session} - {session} if mine is not None else set()
    roots = {
        pid
        for pid, p in procs.items()
        if pid != me
        and not p.zombie
        and (
            p.session == session
            # Only processes started after relcheck can carry its mark.
            or (
                mine is not None
                and p.start >= mine.start
                and p.session not in others
                and _carries(pid, mark)
            )
        )
    }
    children: dict[int, list[int]] = {}
    for pid, p in procs.items():
        children.setdefault(p.ppid, []).append(pid)
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in found or pid == me:
            continue
        found.add(pid)
        todo.extend(children.get(pid, ()))
    return {pid for pid in found if not procs[pid].zombie}


def stop(session: int, token: str, since: Window | None = None) -> int:
    """SIGKILL every process of the tree led by ``session`` (the step's first process,
    which leads its session) that is still running, wherever its group or session now
    is, and reap those that were re-parented to relcheck. Returns how many of them had
    left the step's process group (one still in it was only slow to die of the signal
    the group got). ``since``: the window taken before the tree's first process started."""
    if not sys.platform.startswith("linux"):
        return 0
    killed: set[int] = set()
    outside: set[int] = set()
    for _ in range(_ROUNDS):
        procs = _snapshot(since)
        targets = _members(procs, session, token)
        if since is not None:
            targets = {pid for pid in targets if _leads_process(pid)}
        for pid in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            if procs[pid].group != session:
                outside.add(pid)
        killed |= targets
        reap(procs, killed)
        if not targets:
            break
    return len(outside)


def reap(
    procs: dict[int, _Proc] | None = None, killed: set[int] | frozenset[int] = frozenset()
) -> None:
    """Reap relcheck's children that nothing else will wait for: orphans relcheck killed,
    and exited orphans that were not the first process of a session (a Popen's child
    either shares relcheck's session or leads one of its own)."""
    me = os.getpid()
    procs = _snapshot() if procs is None else procs
    own = procs.get(me)
    for pid, p in procs.items():
        if p.ppid != me or pid in _leaders:
            continue
        orphan = pid in killed or (
            p.zombie and pid != p.session and (own is None or p.session != own.session)
        )
        if orphan:
            _reap_one(pid)


def _reap_one(pid: int) -> None:
    deadline = time.monotonic() + _REAP_WAIT
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done or time.monotonic() >= deadline:
            return
        time.sleep(0.005)
