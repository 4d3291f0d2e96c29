"""A warm relcheck for the suite: one server per worker imports relcheck once, then forks a
fresh process for each ``relcheck`` a test runs.

Each run is still a real process of its own, with the test's arguments, working folder,
environment and pipes (passed over a Unix socket), so what a test sees is what a user's
shell sees: exit code, stdout, stderr, files, tags. What it skips is the interpreter start
and the imports (about 0.1 to 0.25 s of CPU each, several hundred times a suite). Tests
whose subject is the start itself (which modules load, signals, ``--version``) start
relcheck with ``subprocess`` directly. A run whose environment would change how Python
starts (``PYTHON*`` but PYTHONPATH, locale) gets a real interpreter too, as does every run when
``RELCHECK_TESTS_REAL_PROCESSES=1``.

Run as a script, this file is the server: ``python warm_relcheck.py SOCKET``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import locale
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence

_HEADER = struct.Struct("!Q")
REAL_PROCESSES = os.environ.get("RELCHECK_TESTS_REAL_PROCESSES") == "1"


def _starts_python(name: str) -> bool:
    """Variables read while Python starts: a forked run would not honour a new value.
    PYTHONPATH aside: a forked run puts its folders on ``sys.path`` as Python would."""
    if name == "PYTHONPATH":
        return False
    return name.startswith(("PYTHON", "LC_")) or name in ("LANG", "LANGUAGE")


class WarmRelcheck:
    """The client side: one server process, started on first use, stopped at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: subprocess.Popen[bytes] | None = None
        self._socket = ""
        self._start_env: dict[str, str] = {}

    def serves(self, env: Mapping[str, str]) -> bool:
        if REAL_PROCESSES or not hasattr(socket, "send_fds"):
            return False
        self._ensure_started()
        wanted = {k: v for k, v in env.items() if _starts_python(k)}
        return wanted == {k: v for k, v in self._start_env.items() if _starts_python(k)}

    def _ensure_started(self) -> None:
        with self._lock:
            if self._server is not None and self._server.poll() is None:
                return
            folder = tempfile.mkdtemp(prefix="rc-warm-")
            self._socket = os.path.join(folder, "s")
            self._start_env = dict(os.environ)
            self._server = subprocess.Popen(
                [sys.executable, __file__, self._socket],
                stdin=subprocess.PIPE,  # the server stops when this closes
                stdout=subprocess.DEVNULL,
                stderr=None,  # an import error shows in the suite's output
                env=self._start_env,
            )
            deadline = time.monotonic() + 60
            while not os.path.exists(self._socket):
                if self._server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the warm relcheck server did not start")
                time.sleep(0.01)
            atexit.register(self._stop)

    def _stop(self) -> None:
        server = self._server
        if server is not None and server.poll() is None:
            assert server.stdin is not None
            server.stdin.close()
            try:
                server.wait(5)
            except subprocess.TimeoutExpired:
                server.kill()

    def run(
        self,
        argv: Sequence[str],
        args: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str],
        input: str | None,
        timeout: float,
    ) -> subprocess.CompletedProcess[str]:
        """``relcheck ARGS`` in a process forked from the server, as ``subprocess.run``
        with ``capture_output=True, text=True`` would return it."""
        encoding = locale.getpreferredencoding(False)
        if input is None:
            child_in, feed = os.open(os.devnull, os.O_RDONLY), None
        else:
            child_in, feed = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(self._socket)
            payload = json.dumps(
                {"argv": [argv[-1], *args], "cwd": str(cwd), "env": dict(env)}
            ).encode()
            socket.send_fds(conn, [_HEADER.pack(len(payload))], [child_in, out_w, err_w])
            conn.sendall(payload)
        finally:
            for fd in (child_in, out_w, err_w):
                os.close(fd)
        pending = (input or "").encode(encoding)
        output = _communicate(conn, out_r, err_r, feed, pending, timeout)
        if output is None:
            raise subprocess.TimeoutExpired([*argv, *args], timeout)
        code, out, err = output
        return subprocess.CompletedProcess(
            [*argv, *args], code, _text(out, encoding), _text(err, encoding)
        )


def _text(data: bytes, encoding: str) -> str:
    """What a text-mode pipe reads: universal newlines."""
    return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")


def _communicate(
    conn: socket.socket,
    out_r: int,
    err_r: int,
    feed: int | None,
    pending: bytes,
    timeout: float,
) -> tuple[int, bytes, bytes] | None:
    """Feed stdin, read stdout, stderr and the server's two lines (pid, exit code) until
    all end. None when ``timeout`` passes first (the run is killed)."""
    said = conn.fileno()
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: [], said: []}
    selector = selectors.DefaultSelector()
    for fd in chunks:
        selector.register(fd, selectors.EVENT_READ)
    if feed is not None:
        os.set_blocking(feed, False)
        selector.register(feed, selectors.EVENT_WRITE)
    deadline = time.monotonic() + timeout
    try:
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                _kill(b"".join(chunks[said]))
                return None
            for key, _ in selector.select(left):
                fd = int(key.fd)
                if fd == feed:
                    try:
                        pending = pending[os.write(fd, pending[:65536]) :]
                    except BrokenPipeError:
                        pending = b""
                    if not pending:
                        selector.unregister(fd)
                        os.close(fd)
                        feed = None
                    continue
                data = os.read(fd, 65536)
                if data:
                    chunks[fd].append(data)
                else:
                    selector.unregister(fd)
    finally:
        selector.close()
        for fd in (out_r, err_r, feed):
            if fd is not None:
                os.close(fd)
        conn.close()
    lines = b"".join(chunks[said]).split()
    if len(lines) != 2:
        raise RuntimeError(f"the warm relcheck server answered {lines!r}")
    return int(lines[1]), b"".join(chunks[out_r]), b"".join(chunks[err_r])


def _kill(said: bytes) -> None:
    if said.split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(said.split()[0]), signal.SIGKILL)


# -- the server ------------------------------------------------------------------------------
def _preload() -> None:
    """Every relcheck module and the libraries its commands import on use."""
    import importlib
    import pkgutil

    import relcheck

    for info in pkgutil.walk_packages(relcheck.__path__, "relcheck."):
        importlib.import_module(info.name)
    # Not GitPython: its import asks git for its version, so it must see the run's PATH.
    for name in ("yaml", "pydantic", "httpx", "rich.console", "tomli_w"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


_SERVER_ENV = dict(os.environ)


def _python_path(env: Mapping[str, str]) -> list[str]:
    return [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]


def _serve(path: str) -> None:
    _preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)  # the client waits for this name
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
    while True:
        _reap()  # waited for, so their CPU time counts in the worker's
        for key, _ in selector.select(1.0):
            if key.fd == sys.stdin.fileno():
                return  # the worker has gone
            conn, _ = listener.accept()
            sys.stdout.flush()
            sys.stderr.flush()
            if os.fork() == 0:
                selector.close()
                listener.close()
                _handle(conn)  # never returns
            conn.close()


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _handle(conn: socket.socket) -> None:
    """In a forked handler: start the run, report its pid and exit code, exit."""
    try:
        header, fds, _flags, _addr = socket.recv_fds(conn, _HEADER.size, 3)
        (size,) = _HEADER.unpack(header)
        payload = b""
        while len(payload) < size:
            payload += conn.recv(size - len(payload))
        request = json.loads(payload)
        pid = os.fork()
        if pid == 0:
            conn.close()
            _become_relcheck(fds, request)  # never returns
        for fd in fds:
            os.close(fd)
        conn.sendall(f"{pid}\n".encode())
        _, status = os.waitpid(pid, 0)
        conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
    finally:
        os._exit(0)


def _become_relcheck(fds: list[int], request: dict[str, object]) -> None:
    """What ``python -m relcheck ARGS`` does once Python has started."""
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        cwd = str(request["cwd"])
        os.chdir(cwd)
        env = request["env"]
        assert isinstance(env, dict)
        os.environ.clear()
        os.environ.update(env)
        argv = request["argv"]
        assert isinstance(argv, list)
        sys.argv = [str(a) for a in argv]
        # As `python -m` starts: the working folder first, then PYTHONPATH's folders.
        sys.path[: 1 + len(_python_path(_SERVER_ENV))] = [os.getcwd(), *_python_path(env)]
        from relcheck.__main__ import entry

        try:
            entry()
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except BaseException:  # what the interpreter does with an uncaught exception
            sys.excepthook(*sys.exc_info())
            code = 1
        threading._shutdown()  # type: ignore[attr-defined]  # joins threads, as at exit
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


if __name__ == "__main__":
    _serve(sys.argv[1])
