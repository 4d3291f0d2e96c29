"""The person at the terminal: whether there is one, colour, and asking them a question.

A live display and a question cannot share the screen, and parallel steps must not ask
at once: ``ask_yes_no`` takes one process-wide lock and pauses whatever registered itself
with ``pausing`` (the live view) while the question is on screen.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import BinaryIO, TextIO

from relcheck.errors import NoAnswer
from relcheck.system.cienv import is_ci

_prompt_lock = threading.Lock()
_pausers: list[Callable[[], AbstractContextManager[None]]] = []


def echo(text: str, *, err: bool = False) -> None:
    """Print a line on stdout (or stderr), as click.echo does: flushed, and without
    escape sequences when the stream is not a terminal; nothing when there is no stream."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    if "\x1b" in text and not isatty(stream):
        from relcheck.system.redact import strip_sequences

        text = strip_sequences(text)
    line = text + "\n"
    raw = None if line.isascii() else _bytes_under_ascii(stream)
    if raw is not None:
        # An ASCII-only stream (PYTHONIOENCODING=ascii, the C locale) would escape a
        # non-ASCII path into caf\xe9.xml: its bytes get the UTF-8 instead.
        stream.flush()
        raw.write(line.encode("utf-8", "replace"))
        raw.flush()
        return
    stream.write(line)
    stream.flush()


def note(text: str) -> None:
    """A line of relcheck's own to stderr, ``relcheck: TEXT`` (what the hook tells a pusher)."""
    echo(f"relcheck: {text}", err=True)


def _bytes_under_ascii(stream: TextIO) -> BinaryIO | None:
    """The byte stream under ``stream`` when ``stream`` encodes to ASCII only."""
    import codecs

    try:
        ascii_only = codecs.lookup(getattr(stream, "encoding", None) or "").name == "ascii"
    except LookupError:
        return None
    return getattr(stream, "buffer", None) if ascii_only else None


def want_live(stream: TextIO, environ: Mapping[str, str], *, no_progress: bool) -> bool:
    """The live view needs a terminal that can move the cursor, outside CI."""
    if no_progress or is_ci(environ) or environ.get("TERM", "") == "dumb":
        return False
    return isatty(stream)


def want_color(choice: str, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """``--color always|never|auto``. auto: no colour when NO_COLOR is set and not empty
    (no-color.org); colour when FORCE_COLOR is (force-color.org), even through a pipe;
    else colour at a terminal whose TERM is not dumb."""
    if choice == "always":
        return True
    if choice == "never" or environ.get("NO_COLOR"):
        return False
    if color_forced(environ):
        return True
    return environ.get("TERM", "") != "dumb" and isatty(stream)


def color_forced(environ: Mapping[str, str]) -> bool:
    """FORCE_COLOR set to anything but empty, 0 or false (and NO_COLOR not set)."""
    forced = environ.get("FORCE_COLOR", "").strip().lower()
    return forced not in ("", "0", "false") and not environ.get("NO_COLOR")


def interactive(environ: Mapping[str, str]) -> bool:
    """Can relcheck ask the person running it a question (standard input is a terminal)?"""
    return not is_ci(environ) and isatty(sys.stdin)


def isatty(stream: TextIO) -> bool:
    """True when ``stream`` is a terminal (False for closed or fake streams)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def pausing(pause: Callable[[], AbstractContextManager[None]]) -> Iterator[None]:
    """While inside, ``pause()`` wraps every question asked at the terminal."""
    _pausers.append(pause)
    try:
        yield
    finally:
        _pausers.remove(pause)


def ask_yes_no(
    question: str,
    *,
    cancel: threading.Event,
    deadline: float | None = None,
) -> bool:
    """Ask ``question [y/N]`` on the terminal; True only for an answer starting with y.

    Reads /dev/tty (or standard input when that is a terminal), polling so that Ctrl-C
    and the step's timeout still end the wait. Raises NoAnswer if neither comes.
    """
    with _prompt_lock, contextlib.ExitStack() as stack:
        for pause in list(_pausers):
            stack.enter_context(pause())
        reader, writer = _open_terminal(stack)
        writer.write(f"{question} [y/N] ")
        writer.flush()
        line = _read_line(reader, cancel, deadline)
        if line is None:
            writer.write("\n")
            writer.flush()
            raise NoAnswer("interrupted" if cancel.is_set() else "no answer before the timeout")
        return line.strip().lower().startswith("y")


def _open_terminal(stack: contextlib.ExitStack) -> tuple[int, TextIO]:
    """A file descriptor to read the answer from and a stream to ask on."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        if not isatty(sys.stdin):
            raise NoAnswer("no terminal to ask on") from None
        return sys.stdin.fileno(), sys.stderr
    stack.callback(os.close, fd)
    writer = stack.enter_context(os.fdopen(os.dup(fd), "w", encoding="utf-8"))
    return fd, writer


def _read_line(fd: int, cancel: threading.Event, deadline: float | None) -> str | None:
    buffered = b""
    poller = select.poll()  # not select(): it refuses descriptors past 1023
    poller.register(fd, select.POLLIN)
    while not cancel.is_set():
        if deadline is not None and time.monotonic() >= deadline:
            return None
        if not poller.poll(100):
            continue
        chunk = os.read(fd, 1024)
        if not chunk:  # end of input: the terminal went away
            return buffered.decode(errors="replace") or None
        buffered += chunk
        if b"\n" in buffered:
            return buffered.split(b"\n", 1)[0].decode(errors="replace")
    return None
