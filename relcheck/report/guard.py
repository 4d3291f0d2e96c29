"""Output that cannot change a run: a closed pipe (``relcheck run | head -1``) or a full
disk under a redirect loses the rest of the output, never the run or its exit code."""

from __future__ import annotations

import contextlib
import errno
import os
from typing import Any, TextIO


class GuardedStream:
    """Wraps a text stream; the first write or flush that fails is remembered, and
    everything after it is dropped instead of raised."""

    # click writes to a stream's binary buffer when it mistrusts its encoding: hidden,
    # so every write comes through here.
    buffer = None

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.lost: OSError | None = None

    def write(self, text: str) -> int:
        if self.lost is None:
            try:
                try:
                    self._stream.write(text)
                except UnicodeEncodeError:
                    # A latin-1 or ASCII stream cannot show all a step prints (its log
                    # keeps it whole): what it cannot encode is shown as "?".
                    self._stream.write(_encodable(text, self._stream))
            except OSError as exc:
                self._fail(exc)
        return len(text)

    def flush(self) -> None:
        if self.lost is None:
            try:
                self._stream.flush()
            except OSError as exc:
                self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        self.lost = exc
        # What is still buffered would fail again when Python flushes at exit (and turn
        # the exit code into 120): point the descriptor at /dev/null instead.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def isatty(self) -> bool:
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard(stream: TextIO | None) -> GuardedStream:
    """``stream`` wrapped (once). A stream Python could not open (its descriptor was
    closed when relcheck started: ``2>&-``) is one whose output is lost from the start."""
    if isinstance(stream, GuardedStream):
        return stream
    if stream is None:
        # Open for the rest of the run: it answers isatty(), fileno() and encoding.
        guarded = GuardedStream(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
        guarded.lost = OSError(errno.EBADF, "it was closed when relcheck started")
        return guarded
    return GuardedStream(stream)


def why_lost(exc: OSError) -> str:
    """A short reason: ``the pipe was closed`` or the system's words."""
    if isinstance(exc, BrokenPipeError):
        return "the reader closed the pipe"
    return exc.strerror or str(exc)


def _encodable(text: str, stream: TextIO) -> str:
    encoding = getattr(stream, "encoding", None) or "ascii"
    return text.encode(encoding, "replace").decode(encoding)
