"""The process groups relcheck has running: who waits for each, and stopping them all.

relcheck.system.process starts every group and registers it here until it has stopped;
a second Ctrl-C kills what is registered, and a step's deadline asks whether its thread
waits for one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from relcheck.system import proctree

KILL_GRACE = 2.0  # seconds between SIGINT, SIGTERM and SIGKILL
KILL_GRACE_ENV = "RELCHECK_KILL_GRACE"  # overrides KILL_GRACE (seconds, 0 to 60)
KILLED_WAIT = 1.0  # at least this long for a SIGKILLed process to be gone

# leader pid -> (its tree's mark, the thread that waits for it)
_active_groups: dict[int, tuple[str, int]] = {}
# Re-entrant: a second Ctrl-C's handler (kill_all) runs in the main thread, which holds
# it while it starts or ends a release step's process.
_active_lock = threading.RLock()
_killed_all = threading.Event()


def kill_grace() -> float:
    """Seconds to wait between stop signals: KILL_GRACE, or RELCHECK_KILL_GRACE if valid."""
    try:
        value = float(os.environ.get(KILL_GRACE_ENV, ""))
    except ValueError:
        return KILL_GRACE
    return value if 0 <= value <= 60 else KILL_GRACE


def stop_time() -> float:
    """The longest process.run takes to stop a process once it must: SIGINT, SIGTERM and
    SIGKILL a grace period apart, the wait after SIGKILL, then the output drained."""
    grace = kill_grace()
    return 2 * grace + max(grace, KILLED_WAIT) + 5.0


def register(leader: int, token: str) -> None:
    """The group led by ``leader`` (its tree marked ``token``) runs for this thread."""
    with _active_lock:
        _active_groups[leader] = (token, threading.get_ident())


def forget(leader: int) -> None:
    """The group led by ``leader`` has stopped."""
    with _active_lock:
        _active_groups.pop(leader, None)


def kill_all() -> None:
    """SIGKILL every running step's processes at once (the second Ctrl-C); from then on
    process.run waits for no more of their output."""
    _killed_all.set()
    with _active_lock:
        groups = list(_active_groups.items())
    for pgid, (token, _) in groups:
        kill_leftovers(pgid)
        proctree.stop(pgid, token)


def killed_all() -> bool:
    """Whether kill_all has run: a second Ctrl-C."""
    return _killed_all.is_set()


def busy(thread: int | None) -> bool:
    """Whether ``thread`` is waiting for a process it started (which stops by itself at
    its timeout or on cancel)."""
    with _active_lock:
        return any(owner == thread for _, owner in _active_groups.values())


def stop_tree(
    leader: int, token: str, *, reaped: bool, since: proctree.Window | None = None
) -> int:
    """Kill what the step left outside its group (its processes all started within
    ``since``, when given); forget its leader once reaped."""
    try:
        return proctree.stop(leader, token, since)
    finally:
        if reaped:
            proctree.finished(leader)


def kill_leftovers(pgid: int) -> None:
    """Kill what the step left behind in its group (background grandchildren)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
