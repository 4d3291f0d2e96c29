"""How a process relcheck ran ended: its exit, and the output it was asked to keep."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import AnyStr, Generic


@dataclass(frozen=True)
class CommandResult:
    """How a process ended."""

    argv: list[str] | str
    returncode: int | None
    duration: float
    timed_out: bool = False
    cancelled: bool = False
    stdout: bytes = b""  # only when asked to capture
    stderr: bytes = b""  # only when asked to capture (a tool's error message)

    @property
    def signal(self) -> int | None:
        """The signal that killed the process, if one did."""
        if self.returncode is not None and self.returncode < 0:
            return -self.returncode
        return None

    def describe(self) -> str:
        """``exit 1``, ``killed by signal 9``, ``timed out``."""
        if self.timed_out:
            return "timed out"
        if self.cancelled:
            return "interrupted"
        if self.signal is not None:
            try:
                name = signal.Signals(self.signal).name
            except ValueError:
                name = "unknown"
            return f"killed by signal {self.signal} ({name})"
        return f"exit {self.returncode}"


@dataclass(frozen=True)
class Captured(Generic[AnyStr]):
    """How a quick command ended, with its output."""

    returncode: int | None  # None when it did not end in time
    stdout: AnyStr
    stderr: AnyStr
    timed_out: bool = False
