"""A step's output pipes, read by the thread that waits for the step.

Output goes to the step's sink as it comes: stdout with stderr merged, or the two kept
apart (and returned) when a runner captures them. One thread both reads and waits, on
the process's pidfd where Linux has one: a reader thread per pipe cost more than a step
of ``true``. ``poll``, not ``select``, which refuses descriptors past 1023.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable
from typing import IO

from relcheck.system import process_groups
from relcheck.system.process_output import OutputSink

CAPTURE_LIMIT = 64 * 1024 * 1024  # tool output parsed by a runner (ruff JSON, ...)


class PipeReader:
    """The pipes of one step's process: ``stdout``, and ``stderr`` when kept apart."""

    def __init__(self, stdout: IO[bytes] | None, stderr: IO[bytes] | None, sink: OutputSink):
        self.sink = sink
        self._streams: dict[int, IO[bytes]] = {}
        self._kept: dict[int, list[bytes]] = {}
        self._sizes: dict[int, int] = {}
        self._order: list[int] = []
        for stream in (stdout, stderr):
            if stream is None:
                continue
            fd = stream.fileno()
            self._streams[fd] = stream
            self._order.append(fd)
            if stderr is not None:  # the runner captures the two apart
                self._kept[fd] = []
                self._sizes[fd] = 0

    def pump_until_exit(
        self, exited: Callable[[float], bool], pidfd: int | None, seconds: float
    ) -> bool:
        """Pass on output for up to ``seconds``; True as soon as the process has exited.
        ``exited(seconds)`` waits up to that long for it; ``pidfd`` becomes readable when
        it exits (None: look at the process every 10 ms)."""
        end = time.monotonic() + seconds
        while True:
            if not self._streams:
                return exited(max(0.0, end - time.monotonic()))
            poller = select.poll()
            for fd in self._streams:
                poller.register(fd, select.POLLIN)
            left = max(0.0, end - time.monotonic())
            if pidfd is not None:
                poller.register(pidfd, select.POLLIN)
            else:
                left = min(left, 0.01)
            ready = poller.poll(left * 1000)
            for fd, _ in ready:
                if fd in self._streams:
                    self._read(fd)
            if exited(0):
                return True
            if time.monotonic() >= end:  # even while output flows: the caller checks the clock
                return False

    def drain(self, timeout: float) -> None:
        """Read to the end what is left in the pipes, for at most ``timeout`` seconds (a
        process outside the step's tree may hold one open), or until a second Ctrl-C."""
        end = time.monotonic() + timeout
        while self._streams and (left := end - time.monotonic()) > 0:
            if process_groups.killed_all():  # a second Ctrl-C: wait for nothing more
                break
            poller = select.poll()
            for fd in self._streams:
                poller.register(fd, select.POLLIN)
            for fd, _ in poller.poll(min(left, 0.1) * 1000):
                self._read(fd)
        for stream in self._streams.values():
            stream.close()
        self._streams.clear()

    def stdout(self) -> bytes:
        """What the process wrote on stdout, when kept apart (capped at CAPTURE_LIMIT)."""
        return b"".join(self._kept.get(self._order[0], ())) if self._order else b""

    def stderr(self) -> bytes:
        """What the process wrote on stderr, when kept apart (capped at CAPTURE_LIMIT)."""
        return b"".join(self._kept.get(self._order[1], ())) if len(self._order) > 1 else b""

    def _read(self, fd: int) -> None:
        chunk = os.read(fd, 65536)
        if not chunk:
            self._streams.pop(fd).close()
            return
        kept = self._kept.get(fd)
        if kept is not None and self._sizes[fd] < CAPTURE_LIMIT:
            kept.append(chunk)
            self._sizes[fd] += len(chunk)
        self.sink.write(chunk)
