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

Run as a script, this file is the server: ``python warm_relcheck.py FOLDER`` (its socket
and the names of the modules it has loaded go there).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import locale
import os
import select
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

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
        self._folder = ""
        self._start_env: dict[str, str] = {}
        self._loaded: frozenset[str] = frozenset()
        atexit.register(self._stop)

    def serves(self, env: Mapping[str, str], cwd: str) -> bool:
        """Whether a forked run of relcheck in ``cwd`` with ``env`` is what a new
        interpreter would be."""
        if REAL_PROCESSES or not hasattr(socket, "send_fds") or not os.path.isdir(cwd):
            return False
        self._ensure_started()
        wanted = {k: v for k, v in env.items() if _starts_python(k)}
        if wanted != {k: v for k, v in self._start_env.items() if _starts_python(k)}:
            return False
        # A module of the run's folder or PYTHONPATH named like one the server has
        # loaded would be imported by a new interpreter instead of the loaded one.
        for given in [cwd, *_python_path(env)]:
            folder = os.path.join(cwd, given)
            with contextlib.suppress(OSError):
                if any(_module_name(folder, e) in self._loaded for e in os.listdir(folder)):
                    return False
        return True

    def _ensure_started(self) -> None:
        with self._lock:
            if self._server is not None and self._server.poll() is None:
                return
            self._stop()
            self._folder = tempfile.mkdtemp(prefix="rc-warm-")
            self._start_env = dict(os.environ)
            self._server = subprocess.Popen(
                [sys.executable, __file__, self._folder],
                stdin=subprocess.PIPE,  # the server stops when this closes
                # A pipe, never written: the runs' stdout is a pipe too, and Python
                # decides once, at start, whether its stdout can seek.
                stdout=subprocess.PIPE,
                stderr=None,  # an import error shows in the suite's output
                env=self._start_env,
            )
            loaded = os.path.join(self._folder, "loaded")
            deadline = time.monotonic() + 60
            while not os.path.exists(loaded):
                if self._server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the warm relcheck server did not start")
                time.sleep(0.01)
            with open(loaded) as fh:
                self._loaded = frozenset(fh.read().split())

    def _stop(self) -> None:
        server = self._server
        if server is not None and server.poll() is None:
            assert server.stdin is not None
            server.stdin.close()
            try:
                server.wait(5)
            except subprocess.TimeoutExpired:
                server.kill()
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)

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
            child_in, feed = os.open(os.devnull, os.O_RDWR), None
        else:
            child_in, feed = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        payload = json.dumps({"cwd": os.path.abspath(cwd), "env": dict(env), "args": list(args)})
        try:
            conn.connect(os.path.join(self._folder, "socket"))
            data = payload.encode()
            socket.send_fds(conn, [_HEADER.pack(len(data))], [child_in, out_w, err_w])
            conn.sendall(data)
        except OSError:
            for fd in (out_r, err_r, feed):
                if fd is not None:
                    os.close(fd)
            conn.close()
            raise
        finally:
            for fd in (child_in, out_w, err_w):
                os.close(fd)
        pending = (input or "").encode(encoding)
        code, out, err = _communicate(conn, out_r, err_r, feed, pending, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(
                [*argv, *args], timeout, _text(out, encoding), _text(err, encoding)
            )
        return subprocess.CompletedProcess(
            [*argv, *args], code, _text(out, encoding), _text(err, encoding)
        )


def _module_name(folder: str, entry: str) -> str | None:
    """The top-level module ``entry`` in ``folder`` would be imported as, if any."""
    if entry.endswith((".py", ".pyc")):
        return entry.rsplit(".", 1)[0]
    if entry.endswith(".so"):
        return entry.split(".", 1)[0]
    if os.path.isfile(os.path.join(folder, entry, "__init__.py")):
        return entry
    return None


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
) -> tuple[int | None, bytes, bytes]:
    """Feed stdin, read stdout, stderr and the handler's two lines (pid, exit code)
    until all end. The code is None when ``timeout`` passed first: closing the socket
    makes the handler kill the run, as it does if this is left in any other way."""
    said = conn.fileno()
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: [], said: []}
    selector = selectors.DefaultSelector()
    for fd in chunks:
        selector.register(fd, selectors.EVENT_READ)
    if feed is not None:
        os.set_blocking(feed, False)
        selector.register(feed, selectors.EVENT_WRITE)
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
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
    out, err = b"".join(chunks[out_r]), b"".join(chunks[err_r])
    if timed_out:
        return None, out, err
    lines = b"".join(chunks[said]).split()
    if len(lines) != 2:
        raise RuntimeError(f"the warm relcheck server answered {lines!r}")
    return int(lines[1]), out, err


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


def _python_path(env: Mapping[str, str]) -> list[str]:
    return env.get("PYTHONPATH", "").split(os.pathsep) if env.get("PYTHONPATH") else []


def _search_path(cwd: str, env: Mapping[str, str], standard: list[str]) -> list[str]:
    """``sys.path`` as ``python -m`` builds it: the working folder, PYTHONPATH's folders
    (an empty one is the working folder; each made absolute), then the standard ones,
    without repeats."""
    folders = [cwd, *(os.path.abspath(p) if p else cwd for p in _python_path(env)), *standard]
    return list(dict.fromkeys(folders))


def _standard_path() -> list[str]:
    """The server's ``sys.path`` from the standard library's zip or folder on."""
    stdlib = os.path.dirname(os.__file__)
    for i, folder in enumerate(sys.path):
        if folder == stdlib or os.path.basename(folder).startswith("python3"):
            return sys.path[i:]
    return sys.path[1:]


def _serve(folder: str) -> None:
    _preload()
    standard = _standard_path()
    # The server and its handlers leave Ctrl-C to the worker, and stop when it has gone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.path.join(folder, "socket"))
    listener.listen(64)
    loaded = sorted({name.split(".")[0] for name in sys.modules})
    with open(os.path.join(folder, "loaded.tmp"), "w") as fh:
        fh.write("\n".join(loaded))
    os.rename(os.path.join(folder, "loaded.tmp"), os.path.join(folder, "loaded"))
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
    while True:
        _reap()  # waited for, so their CPU time counts in the worker's
        for key, _ in selector.select(1.0):
            if key.fd == sys.stdin.fileno():
                _reap()
                return  # the worker has gone
            conn, _ = listener.accept()
            sys.stdout.flush()
            sys.stderr.flush()
            if os.fork() == 0:
                selector.close()
                listener.close()
                _handle(conn, standard)  # never returns
            conn.close()


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _handle(conn: socket.socket, standard: list[str]) -> None:
    """In a forked handler: start the run, report its pid and exit code, and kill the
    run if the client goes first (its timeout, or it was stopped)."""
    try:
        header, fds, _flags, _addr = socket.recv_fds(conn, _HEADER.size, 3)
        if len(header) != _HEADER.size or len(fds) != 3:
            return
        (size,) = _HEADER.unpack(header)
        payload = b""
        while len(payload) < size:
            chunk = conn.recv(size - len(payload))
            if not chunk:
                return  # the client went away mid-request
            payload += chunk
        request = json.loads(payload)
        pid = os.fork()
        if pid == 0:
            conn.close()
            _become_relcheck(fds, request, standard)  # never returns
        for fd in fds:
            os.close(fd)
        conn.sendall(f"{pid}\n".encode())
        exited = os.pidfd_open(pid)
        ready, _, _ = select.select([exited, conn], [], [])
        if exited not in ready:  # the client closed its end first
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        with contextlib.suppress(OSError):
            conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
    finally:
        os._exit(0)


def _become_relcheck(fds: list[int], request: dict[str, Any], standard: list[str]) -> None:
    """What ``python -m relcheck ARGS`` does once Python has started."""
    code = 1
    try:
        import relcheck.__main__ as main_module

        signal.signal(signal.SIGINT, main_module._interrupted_early)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        env = request["env"]
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(env)
        sys.argv = [main_module.__file__, *request["args"]]
        sys.path[:] = _search_path(os.getcwd(), env, standard)
        try:
            main_module.main()
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except KeyboardInterrupt:  # as the interpreter ends on one: killed by SIGINT
            sys.excepthook(*sys.exc_info())
            sys.stderr.flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        except BaseException:  # what the interpreter does with an uncaught exception
            sys.excepthook(*sys.exc_info())
            code = 1
        threading._shutdown()  # type: ignore[attr-defined]  # joins threads, as at exit
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        traceback.print_exc()
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
