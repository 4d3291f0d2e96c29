"""A line now and then for each step still running, so a quiet log is not a stalled one.

CI systems stop jobs that print nothing for a while (CircleCI and Travis after 10
minutes by default), and a person reading a log cannot tell a long test run from a hang.
The plain text reporter prints ``unit: still running, 2m00s`` every interval for each
step running at least that long. ``RELCHECK_HEARTBEAT`` sets the interval in seconds
(default 60; ``0`` or ``off`` turns it off).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

ENV = "RELCHECK_HEARTBEAT"
DEFAULT_INTERVAL = 60.0
_OFF = ("0", "off", "no", "false")


def interval_from(environ: Mapping[str, str]) -> float | None:
    """The interval ``RELCHECK_HEARTBEAT`` asks for, in seconds; None when it is off.

    Raises ValueError with a message that names the variable for a value that is not a
    number of seconds.
    """
    text = environ.get(ENV, "").strip().lower()
    if not text:
        return DEFAULT_INTERVAL
    if text in _OFF:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(
            f"{ENV}: expected a number of seconds (or 0 / off), got {environ.get(ENV)!r}"
        )
    return seconds or None


def elapsed_text(seconds: float) -> str:
    """``45s``, ``2m00s``, ``1h05m``: whole seconds, as a clock would show them."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Heartbeat:
    """A daemon thread that calls ``say(line)`` every ``interval`` seconds for each step
    started at least ``interval`` seconds ago and not yet finished.

    ``say`` is called with ``lock`` held; ``stop()`` takes the same lock, so once it has
    returned no further line is said (the result line comes after it).
    """

    def __init__(
        self,
        interval: float,
        say: Callable[[str], None],
        lock: threading.Lock,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._say = say
        self._lock = lock
        self._clock = clock
        self._running: dict[str, float] = {}
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def started(self, step_id: str) -> None:
        """Note a step's start (call with the lock held); starts the thread on first use."""
        if self._stopped.is_set():
            return
        self._running[step_id] = self._clock()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._beat, name="relcheck-heartbeat", daemon=True
            )
            self._thread.start()

    def finished(self, step_id: str) -> None:
        """Note a step's end (call with the lock held)."""
        self._running.pop(step_id, None)

    def stop(self) -> None:
        """Stop for good and wait for the thread; call without the lock held."""
        with self._lock:
            self._stopped.set()
            self._running.clear()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stopped.wait(self.interval):
            with self._lock:
                if self._stopped.is_set():
                    return
                now = self._clock()
                for step_id, since in list(self._running.items()):
                    if now - since >= self.interval:
                        self._say(f"{step_id}: still running, {elapsed_text(now - since)}")
