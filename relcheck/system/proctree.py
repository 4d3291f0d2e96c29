"""Find and stop the processes of a step that left its process group.

Every step starts in a session and process group of its own, and relcheck stops that
group. A process can leave it: ``timeout`` and a shell's ``set -m`` job make a group of
their own, ``setsid`` and a daemon's double fork a session of their own. On Linux relcheck
makes itself a child subreaper, so such a process becomes relcheck's child when its parent
exits (instead of init's), and relcheck reaps it. It is found by its session (the step's)
or, when it has left the session too, by the ``RELCHECK_PROCESS_TREE`` value in its
environment; then it is killed with all its descendants.

Reading /proc is Linux only; elsewhere only the process group is stopped.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import sys
import time
from typing import NamedTuple

TREE_ENV = "RELCHECK_PROCESS_TREE"  # in the environment of every process relcheck starts
_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
_ROUNDS = 8  # kill, re-read: a process killed mid-fork leaves a child for the next round
_REAP_WAIT = 2.0  # seconds to wait for a killed child to become reapable

_counter = itertools.count(1)
_leaders: set[int] = set()  # the first process of each tree: its Popen reaps it


class _Proc(NamedTuple):
    ppid: int
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


def _snapshot() -> dict[int, _Proc]:
    procs: dict[int, _Proc] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return procs
    for name in names:
        if not name.isdigit():
            continue
        try:  # os.open/os.read: a third of the time of open(), on every step's end
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
                int(fields[1]), int(fields[3]), fields[0] in (b"Z", b"X"), int(fields[19])
            )
    return procs


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
    roots = {
        pid
        for pid, p in procs.items()
        if pid != me
        and not p.zombie
        and (
            p.session == session
            # Only processes started after relcheck can carry its mark.
            or (mine is not None and p.start >= mine.start and _carries(pid, mark))
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


def stop(session: int, token: str) -> int:
    """SIGKILL every process of the tree led by ``session`` (the step's first process,
    which leads its session) that is still running, wherever its group or session now
    is, and reap those that were re-parented to relcheck. Returns how many were killed."""
    if not sys.platform.startswith("linux"):
        return 0
    killed: set[int] = set()
    for _ in range(_ROUNDS):
        procs = _snapshot()
        targets = _members(procs, session, token)
        for pid in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed |= targets
        reap(procs, killed)
        if not targets:
            break
    return len(killed)


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
