"""A service started for a step: a free port, a ready check, and a stop afterwards."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from relcheck.errors import ServiceFailed
from relcheck.models import ServiceConfig, Status, Step, StepResult
from relcheck.system import process
from relcheck.system.process_output import OutputSink
from relcheck.system.redact import Redactor

_OUTPUT_LINES = 20  # last lines of the service's output kept when it fails


_LOWEST_PORT = 10000  # above the ports well-known services are configured on
_PORT_TRIES = 64


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, below the range the
    kernel hands out to outgoing connections: a port from that range (what binding
    port 0 gives) can be taken by any connection made between this choice and the
    service's own bind, and the service then fails with "address already in use"."""
    low = _ephemeral_low()
    if low - _LOWEST_PORT >= 1024:
        for _ in range(_PORT_TRIES):
            port = _LOWEST_PORT + int.from_bytes(os.urandom(2), "big") % (low - _LOWEST_PORT)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ephemeral_low() -> int:
    """The first port of the kernel's range for outgoing connections (Linux's file;
    elsewhere the IANA range's start)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as fh:
            return int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 49152


def with_port(text: str, port: int) -> str:
    return text.replace("{port}", str(port))


@dataclass
class Running:
    """A started, ready service."""

    handle: process.Background
    env: dict[str, str]  # what a step that uses it gets: PORT, RELCHECK_SERVICE_URL
    sink: OutputSink
    stop_grace: float


def start(
    config: ServiceConfig,
    *,
    workdir: str,
    env: Mapping[str, str],
    cancel: threading.Event,
    sink: OutputSink,
    deadline: float,
) -> Running:
    """Start the service and wait until ``ready`` answers; :class:`ServiceFailed` (with the
    service stopped) when it exits first, is not ready in time, or the run is cancelled."""
    import os

    port = free_port()
    ready = with_port(config.ready, port)
    parts = urlsplit(ready)
    shell = isinstance(config.run, str)
    argv: str | list[str] = (
        with_port(config.run, port)
        if isinstance(config.run, str)
        else [with_port(a, port) for a in config.run]
    )
    cwd = os.path.join(workdir, config.cwd) if config.cwd else workdir
    service_env = {**env, **config.env, "PORT": str(port)}
    handle = process.start(argv, cwd=cwd, env=service_env, sink=sink, shell=shell)
    try:
        _wait_ready(handle, ready, config.ready_timeout, cancel, deadline)
    except _NotReady as why:
        process.stop(handle, grace=config.stop_grace)
        # Only now, with the service stopped and its output read to the end, is its last
        # output all in the sink: a service that printed why and exited must show it.
        sink.note(why.summary)
        result = StepResult(why.status, why.summary, output_tail=sink.tail(_OUTPUT_LINES))
        raise ServiceFailed(result) from None
    except BaseException:
        process.stop(handle, grace=config.stop_grace)
        raise
    sink.note(f"service ready at {ready}")
    step_env = {"PORT": str(port), "RELCHECK_SERVICE_URL": f"{parts.scheme}://{parts.netloc}"}
    return Running(handle, step_env, sink, config.stop_grace)


def stop(service: Running) -> None:
    """Stop the service's whole process group: SIGTERM, then SIGKILL after its grace."""
    handle = service.handle
    running_still = not handle.exited
    process.stop(handle, grace=service.stop_grace)
    if running_still:
        killed = handle.proc.returncode == -9
        service.sink.note(
            f"service did not stop within {service.stop_grace:g}s of SIGTERM; killed"
            if killed
            else "service stopped"
        )


@contextmanager
def running(
    config: ServiceConfig,
    *,
    workdir: str,
    env: Mapping[str, str],
    cancel: threading.Event,
    sink: OutputSink,
    deadline: float,
) -> Iterator[dict[str, str]]:
    """A service for one step: started and ready on entry, stopped on exit however the
    step ends. Yields the variables the step gets."""
    service = start(
        config,
        workdir=workdir,
        env=env,
        cancel=cancel,
        sink=sink,
        deadline=deadline,
    )
    try:
        yield service.env
    finally:
        stop(service)


# A service that answers its ready check with a server error this many times in a row
# is failing, not starting: the step fails with that status instead of waiting out
# ready_timeout.
SERVER_ERRORS = 5


def _wait_ready(
    handle: process.Background,
    ready: str,
    ready_timeout: float,
    cancel: threading.Event,
    deadline: float,
) -> None:
    import httpx

    limit = time.monotonic() + ready_timeout
    interval = 0.05
    last = "no answer yet"
    errors = 0  # server errors (5xx) answered in a row
    # verify=False: this asks a process relcheck just started on this machine whether it
    # is up, and sends nothing secret; the check itself verifies TLS as configured.
    with httpx.Client(verify=False, follow_redirects=False) as client:
        while True:
            if handle.exited:
                code = handle.proc.returncode
                raise _NotReady(
                    Status.FAILED,
                    f"service exited ({_exit_text(code)}) before {ready} answered",
                )
            if cancel.is_set():
                raise _NotReady(Status.INTERRUPTED, "interrupted while the service started")
            now = time.monotonic()
            if now >= deadline:
                raise _NotReady(Status.TIMED_OUT, f"timed out waiting for the service at {ready}")
            if now >= limit:
                raise _NotReady(
                    Status.FAILED,
                    f"service not ready within {ready_timeout:g}s: {ready} gave {last}",
                )
            wait = max(0.01, min(2.0, limit - now, deadline - now))
            try:
                answer = client.get(ready, timeout=wait)
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            else:
                if answer.status_code < 400:
                    return
                last = f"status {answer.status_code}"
                errors = errors + 1 if answer.status_code >= 500 else 0
                if errors >= SERVER_ERRORS:
                    # It is up and answering, with an error: waiting longer will not help.
                    raise _NotReady(
                        Status.FAILED,
                        f"service not ready: {ready} answered {last} {errors} times in a row",
                    )
            cancel.wait(interval)
            interval = min(interval * 2, 0.5)


class _NotReady(Exception):
    """Why a starting service will not get ready; :func:`start` turns it into
    :class:`ServiceFailed` once the service is stopped."""

    def __init__(self, status: Status, summary: str) -> None:
        super().__init__(summary)
        self.status = status
        self.summary = summary


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by signal {-code}"
    return f"exit {code}"


class SharedServices:
    """Services declared under the checklist's ``services:``, shared by the steps that name
    them: started when the first of those steps runs, stopped once the last has finished
    (ran, was skipped, or came from cache), and in any case when the run ends."""

    def __init__(
        self,
        steps: Iterable[Step],
        *,
        workdir: str,
        cancel: threading.Event,
        log_dir: str | None,
        redactor: Redactor,
    ) -> None:
        self._users: dict[str, set[str]] = {}  # service name -> steps that have not finished
        self._configs: dict[str, ServiceConfig] = {}
        for step in steps:
            if step.service is not None and step.service.name is not None:
                self._users.setdefault(step.service.name, set()).add(step.id)
                self._configs[step.service.name] = step.service
        self._locks = {name: threading.Lock() for name in self._users}
        self._running: dict[str, Running] = {}
        self._broken: dict[str, StepResult] = {}  # exited early or never got ready
        self._workdir = workdir
        self._cancel = cancel
        self._log_dir = log_dir
        self._redactor = redactor

    def acquire(
        self, name: str, *, env: Mapping[str, str], sink: OutputSink, deadline: float
    ) -> dict[str, str]:
        """The variables a step gets from service ``name``, starting it if need be."""
        with self._locks[name]:
            if name in self._broken:
                sink.note(f"service {name!r} could not be started earlier")
                raise ServiceFailed(self._broken[name])
            if name not in self._running:
                # In a folder of their own: `service-web.log` beside the steps' logs was
                # also the log of a step with that id.
                log = (
                    os.path.join(self._log_dir, "services", f"{name}.log")
                    if self._log_dir
                    else None
                )
                sink.note(f"starting service {name!r}" + (f" (log: {log})" if log else ""))
                service_sink = OutputSink(log, self._redactor)
                try:
                    self._running[name] = start(
                        self._configs[name],
                        workdir=self._workdir,
                        env=env,
                        cancel=self._cancel,
                        sink=service_sink,
                        deadline=deadline,
                    )
                except ServiceFailed as exc:
                    service_sink.close()
                    if exc.result.status is Status.FAILED:  # a timeout may be the step's own
                        self._broken[name] = exc.result
                    raise
            sink.note(f"using service {name!r}")
            return dict(self._running[name].env)

    def finished(self, step_id: str) -> None:
        """``step_id`` is done; stop the services no other step still needs."""
        for name, users in self._users.items():
            if step_id in users:
                users.discard(step_id)
                if not users:
                    self._stop(name)

    def stop_all(self) -> None:
        """Stop every service still running (the run is over)."""
        for name in list(self._running):
            self._stop(name)

    def _stop(self, name: str) -> None:
        with self._locks[name]:
            service = self._running.pop(name, None)
        if service is not None:
            stop(service)
            service.sink.close()
