"""Turn SIGINT/SIGTERM into a cancellation the engine and every running step honour."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Cancellation:
    """Set once a run must stop; remembers which signal asked for it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None

    def cancel(self, signum: int = signal.SIGINT) -> None:
        if self.signal is None:
            self.signal = signum
        self.event.set()

    @property
    def cancelled(self) -> bool:
        return self.event.is_set()


@contextmanager
def handle_signals(cancellation: Cancellation) -> Iterator[Cancellation]:
    """First SIGINT/SIGTERM: stop gracefully. A second one: kill every step's processes
    at once. A third: exit at once, even if a runner is stuck in Python code that no
    signal can stop (the record then stays as written at the start, marked running)."""
    import os
    import sys

    from relcheck import process

    signals_seen = [0]

    def handler(signum: int, frame: FrameType | None) -> None:
        signals_seen[0] += 1
        if signals_seen[0] >= 3:
            process.kill_all()
            sys.stderr.write("relcheck: stopped at once; this run's record says 'running'\n")
            sys.stderr.flush()
            os._exit(143 if signum == signal.SIGTERM else 130)
        if cancellation.cancelled:
            process.kill_all()
        cancellation.cancel(signum)

    if threading.current_thread() is not threading.main_thread():
        yield cancellation
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield cancellation
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
