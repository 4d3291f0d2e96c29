"""A text stream that starts every line with the time, for CI logs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def utc_clock() -> str:
    """``06:15:02Z``: the time of day in UTC, as CI machines keep it."""
    return time.strftime("%H:%M:%SZ", time.gmtime())


class TimestampedStream:
    """Writes to ``stream``, putting ``clock()`` and a space at the start of each line."""

    def __init__(self, stream: TextIO, clock: Callable[[], str] = utc_clock) -> None:
        self.stream = stream
        self.clock = clock
        self._at_line_start = True

    def write(self, text: str) -> int:
        pieces = []
        for line in text.splitlines(keepends=True):
            if self._at_line_start:
                pieces.append(f"{self.clock()} ")
            pieces.append(line)
            self._at_line_start = line.endswith("\n")
        self.stream.write("".join(pieces))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()
