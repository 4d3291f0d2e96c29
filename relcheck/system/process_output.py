"""A step's output: written cleaned and masked to its log, with a bounded tail kept."""

from __future__ import annotations

import codecs
import collections
import contextlib
import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, BinaryIO

from relcheck.system.redact import Redactor, StreamCleaner, StreamRedactor, printable

if TYPE_CHECKING:
    from relcheck.system.folder import OpenFolder

TAIL_BYTES = 8192


def clean_text(data: bytes) -> str:
    """Decode output for display and records: bad UTF-8 replaced, escape codes removed."""
    return printable(data.decode("utf-8", errors="replace"))


class OutputSink:
    """Receives a step's output: writes it (made printable, then masked) to the log, keeps
    a bounded tail. Escape sequences go before masking, so none can split a secret."""

    def __init__(
        self,
        log_path: str | None,
        redactor: Redactor | None = None,
        live: Callable[[str], None] | None = None,
        folder: OpenFolder | None = None,
    ) -> None:
        """``folder``: the open folder ``log_path`` is in, when the caller holds one."""
        self.log_path = log_path
        self._base = redactor or Redactor()
        self._redactor = StreamRedactor(self._base)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._cleaner = StreamCleaner()
        self._tail: collections.deque[bytes] = collections.deque()
        self._tail_size = 0
        self._lock = threading.Lock()
        self._live = live
        self._file: BinaryIO | None = None
        self._folder = folder
        self.bytes_seen = 0
        self.log_error: str | None = None  # why the log stopped being written, if it did
        # The log is made with the first output: a silent step leaves no empty file (a
        # file made costs more than a short step on some file systems).
        self._log_wanted = bool(log_path)
        self._log_made = False
        self._held = b""  # header lines, written when the log is made
        self._fed = False  # whether anything but a header was written

    @property
    def kept_log(self) -> str | None:
        """The log's path once output was written to it; None for a silent step."""
        return self.log_path if self._log_made else None

    def _open_log(self) -> None:
        self._log_wanted = False
        log_path = self.log_path or ""
        from relcheck.system.fileio import create_new, describe, make_dirs

        folder = self._folder
        try:  # a file of relcheck's own; a log that cannot be made does not stop the step
            if folder is not None and os.path.dirname(log_path) == folder.path:
                fd = folder.create(os.path.basename(log_path))
            else:
                make_dirs(os.path.dirname(log_path))
                fd = create_new(log_path)
            self._file = os.fdopen(fd, "wb", buffering=65536)  # no terminal check
            self._log_made = True
        except OSError as exc:
            self.log_error = f"no log kept: {describe(exc)}"
            self._tail_add(f"[relcheck] {self.log_error}\n".encode())

    def write(self, chunk: bytes) -> None:
        """Add raw output from a process."""
        with self._lock:
            self.bytes_seen += len(chunk)
            text = self._cleaner.feed(self._decoder.decode(chunk))
            self._feed(text.encode())

    def mask(self, text: str) -> str:
        """``text`` with the secrets this sink masks masked (for a runner that lays out
        text, such as a table, from values that may hold one)."""
        with self._lock:
            return self._base.text(text)

    def add_secrets(self, values: Iterable[str]) -> None:
        """Mask ``values`` too from now on (secrets a runner learns while it runs)."""
        values = [v for v in values if v]
        if not values:
            return
        with self._lock:
            held = self._redactor.flush()
            self._base = self._base.with_values(values)
            self._redactor = StreamRedactor(self._base)
            self._emit(self._redactor.feed(held))

    def header(self, text: str) -> None:
        """Like :meth:`note`, for the lines that open a log (the command a step runs):
        kept in the tail, and written to the log only once anything else is, so that a
        silent step makes no file."""
        with self._lock:
            # Through the stream redactor as any line: a secret a runner learns later
            # (add_secrets) is still masked in what it holds back, and one that
            # straddles the header and the output is masked whole.
            self._emit(self._redactor.feed(f"[relcheck] {printable(text)}\n".encode()))

    def note(self, text: str) -> None:
        """Add a line of relcheck's own (what it ran, why it stopped); not counted in
        ``bytes_seen``, which measures the step's own output."""
        with self._lock:
            self._feed(f"[relcheck] {printable(text)}\n".encode())

    def _feed(self, data: bytes) -> None:
        self._fed = True
        self._emit(self._redactor.feed(data))

    def _emit(self, data: bytes) -> None:
        if not data:
            return
        if self._log_wanted:
            if not self._fed:  # header lines only so far: no file yet
                self._held += data
                self._tail_add(data)
                return
            self._open_log()
        if self._file is not None:
            try:
                if self._held:  # the header lines, first in the log
                    held, self._held = self._held, b""
                    self._file.write(held)
                self._file.write(data)
            except OSError as exc:
                # A full disk must not stop relcheck from draining the step's pipe (the
                # step would block on it until its timeout): give up on the log, say so
                # in the tail, and go on keeping the tail.
                self._give_up_log(exc)
                data = data + f"\n[relcheck] log incomplete: {self.log_error}\n".encode()
        self._tail_add(data)

    def _tail_add(self, data: bytes) -> None:
        self._tail.append(data)
        self._tail_size += len(data)
        while self._tail_size - len(self._tail[0]) >= TAIL_BYTES:
            self._tail_size -= len(self._tail.popleft())
        if self._live is not None:
            # -v streams output to the terminal: the same cleaning as tails and records,
            # so a step cannot move the cursor, retitle the window or ring the bell.
            self._live(clean_text(data))

    def _give_up_log(self, exc: OSError) -> None:
        self.log_error = exc.strerror or str(exc)
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()

    def flush(self) -> None:
        """Emit what the redactor held back."""
        with self._lock:
            held = self._cleaner.feed(self._decoder.decode(b"", final=True))
            held += self._cleaner.flush()
            self._emit(self._redactor.feed(held.encode()) + self._redactor.flush())
            if self._file is not None:
                try:
                    self._file.flush()
                except OSError as exc:
                    self._give_up_log(exc)

    def tail(self, max_lines: int = 40) -> str:
        """The last lines of output, cleaned for display."""
        self.flush()
        with self._lock:
            data = b"".join(self._tail)[-TAIL_BYTES:]
        lines = clean_text(data).rstrip("\n").split("\n")
        return "\n".join(lines[-max_lines:]) if data else ""

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._file is not None:
                try:
                    self._file.close()
                except OSError as exc:
                    self.log_error = exc.strerror or str(exc)
                self._file = None
