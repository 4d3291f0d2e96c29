"""The one place relcheck starts processes: timeouts, cancellation, bounded output.

No other module uses ``subprocess``, ``os.spawn*``, ``os.exec*`` or ``os.fork`` (the
test in tests/test_doors.py keeps it so): a step's process starts with :func:`run` or
:func:`start`, a quick question to a tool (every local git command, through
relcheck.git.door) with :func:`capture` or :func:`capture_text`.
"""

from __future__ import annotations

import functools
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO

from relcheck.errors import RunnerError
from relcheck.system import process_groups, proctree
from relcheck.system.process_output import OutputSink
from relcheck.system.process_pipes import PipeReader
from relcheck.system.process_result import Captured, CommandResult


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
    since = proctree.window()  # every process of the step starts after this
    proc, token = _spawn(
        argv, cwd=cwd, env=env, sink=sink, shell=shell, capture_stdout=capture_stdout
    )
    process_groups.register(proc.pid, token)
    output = PipeReader(proc.stdout, proc.stderr if capture_stdout else None, sink)
    timed_out = cancelled = False
    deadline = start + timeout
    exited = _ExitWaiter(proc)

    def waiting(seconds: float) -> bool:
        return output.pump_until_exit(exited, exited.pidfd, seconds)

    try:
        while True:
            if waiting(max(0.0, min(0.1, deadline - time.monotonic()))):
                break
            # While it is stopped its output is still read: a process that prints a
            # summary as it stops must not block on a full pipe and lose it.
            if cancel.is_set():
                cancelled = True
                _stop_group(proc, (signal.SIGINT, signal.SIGTERM, signal.SIGKILL), wait=waiting)
                break
            if time.monotonic() >= deadline:
                timed_out = True
                _stop_group(proc, (signal.SIGTERM, signal.SIGKILL), wait=waiting)
                break
        if not timed_out and cancel.is_set() and (proc.returncode or 0) < 0:
            # Killed by a signal once the run was stopped, before this thread looked:
            # relcheck's own stop (a second Ctrl-C kills every group at once), which
            # ended a step the user interrupted, not one that failed.
            cancelled = True
    finally:
        exited.close()
        process_groups.kill_leftovers(proc.pid)
        escaped = process_groups.stop_tree(
            proc.pid, token, reaped=proc.returncode is not None, since=since
        )
        output.drain(timeout=5)
        process_groups.forget(proc.pid)
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
        stdout=output.stdout(),
        stderr=output.stderr(),
    )


def capture(
    argv: list[str], *, cwd: str, env: Mapping[str, str], timeout: float
) -> Captured[bytes]:
    """Run ``argv`` (no shell, stdin closed) to its end and keep its output, as bytes.

    For a quick question to a tool, not a step: it is killed after ``timeout`` seconds
    (``timed_out`` set); FileNotFoundError when the program is not there.
    """
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            capture_output=True,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Captured(None, b"", b"", timed_out=True)
    return Captured(done.returncode, done.stdout, done.stderr)


def capture_text(
    argv: list[str], *, cwd: str, env: Mapping[str, str], timeout: float, input: str | None = None
) -> Captured[str]:
    """:func:`capture` as text (bad UTF-8 replaced), with ``input`` on stdin if given."""
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            env=dict(env),
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Captured(None, "", "", timed_out=True)
    return Captured(done.returncode, done.stdout, done.stderr)


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
            poller = select.poll()
            poller.register(self.pidfd, select.POLLIN)
            if not poller.poll(seconds * 1000):
                return False
            self.proc.wait()
            return True
        return _exits_within(self.proc, seconds)

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


@functools.cache
def _devnull() -> int:
    """/dev/null, opened once for every step's standard input (DEVNULL opens it anew
    for each process)."""
    return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)


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
    sink.header(f"$ {argv if isinstance(argv, str) else _join(popen_argv)}")
    tree_env = dict(env)
    token = proctree.new_tree(tree_env)
    try:
        proc = subprocess.Popen(
            popen_argv,
            bufsize=0,  # the pipes are read by fd (process_pipes): no buffer to set up
            cwd=cwd,
            env=tree_env,
            stdin=_devnull(),
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
    process_groups.register(proc.pid, token)
    return Background(proc, [_reader(proc.stdout, sink)], token)


def stop(process: Background, grace: float = process_groups.KILL_GRACE) -> None:
    """Stop a background process's whole group: SIGTERM, then SIGKILL after ``grace``."""
    try:
        if process.proc.poll() is None:
            _stop_group(process.proc, (signal.SIGTERM, signal.SIGKILL), grace)
    finally:
        process_groups.kill_leftovers(process.proc.pid)
        process.proc.wait()
        process_groups.stop_tree(process.proc.pid, process.token, reaped=True)
        for reader in process.readers:
            reader.join(timeout=5)
        process_groups.forget(process.proc.pid)


def _join(argv: list[str]) -> str:
    import shlex

    return shlex.join(argv)


def _reader(stream: IO[bytes] | None, sink: OutputSink) -> threading.Thread:
    """A thread that passes a background process's output to ``sink`` as it comes."""

    def pump() -> None:
        assert stream is not None
        fd = stream.fileno()
        while chunk := os.read(fd, 65536):
            sink.write(chunk)
        stream.close()

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def _stop_group(
    proc: subprocess.Popen[bytes],
    signals: tuple[signal.Signals, ...],
    grace: float | None = None,
    wait: Callable[[float], bool] | None = None,
) -> None:
    """Send each signal to the group in turn until the process exits, a grace period
    apart. ``wait(seconds)`` says whether it exited within that time (Popen.wait by
    default). After SIGKILL it is waited for as long again, not for ever: a process stuck
    in the kernel (an unreachable network file system) must not hold the run."""
    if wait is None:
        wait = functools.partial(_exits_within, proc)
    pause = process_groups.kill_grace() if grace is None else grace
    for sig in signals:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        if wait(max(pause, process_groups.KILLED_WAIT) if sig == signal.SIGKILL else pause):
            return


def _exits_within(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True
