"""The one place relcheck starts processes: timeouts, cancellation, bounded output."""

from __future__ import annotations

import codecs
import collections
import contextlib
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from relcheck.errors import RunnerError
from relcheck.system import proctree
from relcheck.system.redact import Redactor, StreamCleaner, StreamRedactor, printable

TAIL_BYTES = 8192
KILL_GRACE = 2.0  # seconds between SIGINT, SIGTERM and SIGKILL
KILL_GRACE_ENV = "RELCHECK_KILL_GRACE"  # overrides KILL_GRACE (seconds, 0 to 60)
_CAPTURE_LIMIT = 64 * 1024 * 1024  # tool output parsed by a runner (ruff JSON, ...)

# leader pid -> (its tree's mark, the thread that waits for it)
_active_groups: dict[int, tuple[str, int]] = {}
_active_lock = threading.Lock()


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
    ) -> None:
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
        self.bytes_seen = 0
        self.log_error: str | None = None  # why the log stopped being written, if it did
        if log_path:
            from relcheck.system.fileio import describe, make_dirs

            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
            try:  # never through a symlink; a log that cannot be made does not stop the step
                make_dirs(os.path.dirname(log_path))
                self._file = os.fdopen(os.open(log_path, flags, 0o600), "wb")
            except OSError as exc:
                self.log_error = f"no log kept: {describe(exc)}"
                self._emit(f"[relcheck] {self.log_error}\n".encode())

    def write(self, chunk: bytes) -> None:
        """Add raw output from a process."""
        with self._lock:
            self.bytes_seen += len(chunk)
            text = self._cleaner.feed(self._decoder.decode(chunk))
            self._emit(self._redactor.feed(text.encode()))

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

    def note(self, text: str) -> None:
        """Add a line of relcheck's own (what it ran, why it stopped); not counted in
        ``bytes_seen``, which measures the step's own output."""
        with self._lock:
            self._emit(self._redactor.feed(f"[relcheck] {printable(text)}\n".encode()))

    def _emit(self, data: bytes) -> None:
        if not data:
            return
        if self._file is not None:
            try:
                self._file.write(data)
            except OSError as exc:
                # A full disk must not stop relcheck from draining the step's pipe (the
                # step would block on it until its timeout): give up on the log, say so
                # in the tail, and go on keeping the tail.
                self._give_up_log(exc)
                data = data + f"\n[relcheck] log incomplete: {self.log_error}\n".encode()
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


def kill_grace() -> float:
    """Seconds to wait between stop signals: KILL_GRACE, or RELCHECK_KILL_GRACE if valid."""
    try:
        value = float(os.environ.get(KILL_GRACE_ENV, ""))
    except ValueError:
        return KILL_GRACE
    return value if 0 <= value <= 60 else KILL_GRACE


def which(program: str, env: Mapping[str, str]) -> str | None:
    """The full path of ``program`` on the PATH of ``env``."""
    return shutil.which(program, path=env.get("PATH", os.defpath))


def run(
    argv: list[str] | str,
    *,
    cwd: str,
    env: Mapping[str, str],
    timeout: float,
    cancel: threading.Event,
    sink: OutputSink,
    shell: bool = False,
    capture_stdout: bool = False,
) -> CommandResult:
    """Run ``argv`` in its own process group; stop the whole group on timeout or cancel.

    A string with ``shell=True`` runs through ``sh -c``; anything else runs as argv with
    no shell. Standard input is closed so a process that reads it gets end-of-file.
    """
    start = time.monotonic()
    if cancel.is_set():
        _check_argv(argv, cwd, env, shell)
        return CommandResult(argv, None, 0.0, cancelled=True)
    proc, token = _spawn(
        argv, cwd=cwd, env=env, sink=sink, shell=shell, capture_stdout=capture_stdout
    )
    with _active_lock:
        _active_groups[proc.pid] = (token, threading.get_ident())
    captured: list[bytes] = []
    captured_err: list[bytes] = []
    readers = [_reader(proc.stdout, captured if capture_stdout else None, sink)]
    if capture_stdout:
        readers.append(_reader(proc.stderr, captured_err, sink))
    timed_out = cancelled = False
    deadline = start + timeout
    exited = _ExitWaiter(proc)
    try:
        while True:
            if exited(max(0.0, min(0.1, deadline - time.monotonic()))):
                break
            if cancel.is_set():
                cancelled = True
                _stop_group(proc, (signal.SIGINT, signal.SIGTERM, signal.SIGKILL))
                break
            if time.monotonic() >= deadline:
                timed_out = True
                _stop_group(proc, (signal.SIGTERM, signal.SIGKILL))
                break
    finally:
        exited.close()
        _kill_leftovers(proc.pid)
        escaped = _stop_tree(proc, token)
        for reader in readers:
            reader.join(timeout=5)
        with _active_lock:
            _active_groups.pop(proc.pid, None)
    duration = time.monotonic() - start
    if escaped:
        sink.note(f"stopped {escaped} process(es) the step left running outside its group")
    if timed_out:
        sink.note(f"timed out after {timeout:.1f}s; stopped the process group")
    elif cancelled:
        sink.note("interrupted; stopped the process group")
    return CommandResult(
        argv,
        proc.returncode,
        duration,
        timed_out=timed_out,
        cancelled=cancelled,
        stdout=b"".join(captured),
        stderr=b"".join(captured_err),
    )


class _ExitWaiter:
    """Waits up to N seconds for a process to exit and says whether it did.

    On Linux it sleeps on a pidfd and wakes the moment the process exits; Popen.wait with
    a timeout polls with sleeps of up to 50 ms, which every step would pay at its end.
    """

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        try:
            self.pidfd: int | None = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):  # not Linux, or an old kernel
            self.pidfd = None

    def __call__(self, seconds: float) -> bool:
        if self.pidfd is not None:
            ready, _, _ = select.select([self.pidfd], [], [], seconds)
            if not ready:
                return False
            self.proc.wait()
            return True
        try:
            self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    def close(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


def _check_argv(argv: list[str] | str, cwd: str, env: Mapping[str, str], shell: bool) -> list[str]:
    """The argv to start (``sh -c`` for a shell string); RunnerError when it cannot start."""
    if not os.path.isdir(cwd):
        raise RunnerError(f"working directory {cwd} does not exist")
    if shell:
        if not isinstance(argv, str):
            raise RunnerError("a shell command must be a string")
        return ["/bin/sh", "-c", argv]
    popen_argv = [argv] if isinstance(argv, str) else list(argv)
    if not popen_argv:
        raise RunnerError("empty command")
    if os.sep not in popen_argv[0] and which(popen_argv[0], env) is None:
        raise RunnerError(f"{popen_argv[0]} not found on PATH")
    return popen_argv


def _spawn(
    argv: list[str] | str,
    *,
    cwd: str,
    env: Mapping[str, str],
    sink: OutputSink,
    shell: bool,
    capture_stdout: bool = False,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``argv`` in a new session, stdin closed, output piped; return it and the mark
    of its process tree (see relcheck.system.proctree)."""
    popen_argv = _check_argv(argv, cwd, env, shell)
    sink.note(f"$ {argv if isinstance(argv, str) else _join(popen_argv)}")
    tree_env = dict(env)
    token = proctree.new_tree(tree_env)
    try:
        proc = subprocess.Popen(
            popen_argv,
            cwd=cwd,
            env=tree_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture_stdout else subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        raise RunnerError(f"cannot start {popen_argv[0]}: {exc.strerror or exc}") from exc
    proctree.started(proc.pid)
    return proc, token


@dataclass
class Background:
    """A process left running while a step works with it (a service for a check)."""

    proc: subprocess.Popen[bytes]
    readers: list[threading.Thread]
    token: str = ""

    @property
    def exited(self) -> bool:
        return self.proc.poll() is not None


def start(
    argv: list[str] | str,
    *,
    cwd: str,
    env: Mapping[str, str],
    sink: OutputSink,
    shell: bool = False,
) -> Background:
    """Start ``argv`` in its own process group and leave it running; its output goes to
    ``sink``. Always pair with :func:`stop`; a second Ctrl-C kills it with the rest."""
    proc, token = _spawn(argv, cwd=cwd, env=env, sink=sink, shell=shell)
    with _active_lock:
        _active_groups[proc.pid] = (token, threading.get_ident())
    return Background(proc, [_reader(proc.stdout, None, sink)], token)  # type: ignore[arg-type]


def stop(process: Background, grace: float = KILL_GRACE) -> None:
    """Stop a background process's whole group: SIGTERM, then SIGKILL after ``grace``."""
    try:
        if process.proc.poll() is None:
            _stop_group(process.proc, (signal.SIGTERM, signal.SIGKILL), grace)
    finally:
        _kill_leftovers(process.proc.pid)
        process.proc.wait()
        _stop_tree(process.proc, process.token)
        for reader in process.readers:
            reader.join(timeout=5)
        with _active_lock:
            _active_groups.pop(process.proc.pid, None)


def kill_all() -> None:
    """SIGKILL every running step's processes at once (the second Ctrl-C)."""
    with _active_lock:
        groups = list(_active_groups.items())
    for pgid, (token, _) in groups:
        _kill_leftovers(pgid)
        proctree.stop(pgid, token)


def busy(thread: int | None) -> bool:
    """Whether ``thread`` is waiting for a process it started (which stops by itself at
    its timeout or on cancel)."""
    with _active_lock:
        return any(owner == thread for _, owner in _active_groups.values())


def stop_time() -> float:
    """The longest :func:`run` takes to stop a process once it must: SIGINT, SIGTERM and
    SIGKILL a grace period apart, then the output drained."""
    return 2 * kill_grace() + 5.0


def _join(argv: list[str]) -> str:
    import shlex

    return shlex.join(argv)


def _reader(
    stream: BinaryIO | None, captured: list[bytes] | None, sink: OutputSink
) -> threading.Thread:
    def pump() -> None:
        assert stream is not None
        size = 0
        fd = stream.fileno()
        while chunk := os.read(fd, 65536):
            if captured is not None and size < _CAPTURE_LIMIT:
                captured.append(chunk)
                size += len(chunk)
            sink.write(chunk)
        stream.close()

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def _stop_group(
    proc: subprocess.Popen[bytes],
    signals: tuple[signal.Signals, ...],
    grace: float | None = None,
) -> None:
    """Send each signal to the group in turn, waiting a grace period between them."""
    for sig in signals:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        if sig == signal.SIGKILL:
            proc.wait()
            return
        try:
            proc.wait(timeout=kill_grace() if grace is None else grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _stop_tree(proc: subprocess.Popen[bytes], token: str) -> int:
    """Kill what the step left outside its group; forget its leader once reaped."""
    try:
        return proctree.stop(proc.pid, token)
    finally:
        if proc.returncode is not None:
            proctree.finished(proc.pid)


def _kill_leftovers(pgid: int) -> None:
    """Kill what the step left behind in its group (background grandchildren)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
