"""Turn the signals a terminal or CI sends into a cancellation every running step honours.

SIGINT (Ctrl-C), SIGTERM (a cancelled CI job), SIGHUP (the terminal closed, the ssh
connection dropped) and SIGQUIT (Ctrl-\\) all stop the run the same way: steps are
stopped, no release step runs, the record is written. relcheck then exits 128 + the
signal's number (130, 143, 129, 131), as a shell reports a process killed by it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


class Cancellation:
    """Set once a run must stop; remembers which signal asked for it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None
        self._hurry = threading.Event()
        # Writes the record as it stands; called before relcheck exits at once (a third
        # signal), so that no record is left saying 'running'. It must take no lock.
        self.last_words: Callable[[], None] | None = None

    def cancel(self, signum: int = signal.SIGINT) -> None:
        if self.signal is None:
            self.signal = signum
        self.event.set()

    def hurry(self) -> None:
        """A second signal: stop waiting for steps at all."""
        self._hurry.set()

    @property
    def cancelled(self) -> bool:
        return self.event.is_set()

    @property
    def hurried(self) -> bool:
        return self._hurry.is_set()


def exit_code(signum: int | None) -> int:
    """The exit code of a run stopped by ``signum``: 128 + its number."""
    return 128 + (signum or signal.SIGINT)


def _detach_terminal() -> None:
    """After a hang-up the terminal is gone and writing to it fails (EIO): point the
    standard streams that were a terminal at /dev/null, so that stopping the steps and
    writing the record is not cut short by an error about the output."""
    import os
    import stat

    try:
        null = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return
    try:
        for fd in (0, 1, 2):
            try:
                if stat.S_ISCHR(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
            except OSError:
                continue
    finally:
        os.close(null)


@contextmanager
def handle_signals(cancellation: Cancellation) -> Iterator[Cancellation]:
    """First signal: stop gracefully. A second one: kill every step's processes at once
    and stop waiting for steps. A third: write the record as it stands and exit at once,
    even if something that no signal can stop holds relcheck's main thread."""
    import os
    import sys

    from relcheck.system import process_groups

    signals_seen = [0]

    def handler(signum: int, frame: FrameType | None) -> None:
        signals_seen[0] += 1
        if signum == signal.SIGHUP:
            _detach_terminal()
        if signals_seen[0] >= 3:
            process_groups.kill_all()
            note = "the record could not be written"
            with contextlib.suppress(BaseException):  # exiting at once is what was asked
                if cancellation.last_words is not None:
                    cancellation.last_words()
                    note = "the record says so"
            with contextlib.suppress(BaseException):
                sys.stderr.write(f"relcheck: stopped at once; {note}\n")
                sys.stderr.flush()
            os._exit(exit_code(cancellation.signal or signum))
        if cancellation.cancelled:
            process_groups.kill_all()
            cancellation.hurry()
        cancellation.cancel(signum)

    if threading.current_thread() is not threading.main_thread():
        yield cancellation
        return
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield cancellation
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
