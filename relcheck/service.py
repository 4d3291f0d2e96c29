"""A service started for a step: a free port, a ready check, and a stop afterwards."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import urlsplit

from relcheck import process
from relcheck.errors import RunnerError
from relcheck.models import ServiceConfig, Status, StepResult
from relcheck.process import OutputSink

STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL: let a web server drain
_OUTPUT_LINES = 20  # last lines of the service's output kept when it fails


class ServiceFailed(RunnerError):
    """The service exited early or never got ready; ``result`` is what the step gets."""

    def __init__(self, result: StepResult) -> None:
        super().__init__(result.summary)
        self.result = result


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_port(text: str, port: int) -> str:
    return text.replace("{port}", str(port))


@contextmanager
def running(
    config: ServiceConfig,
    *,
    workdir: str,
    env: Mapping[str, str],
    cancel: threading.Event,
    sink: OutputSink,
    deadline: float,
    stop_grace: float = STOP_GRACE,
) -> Iterator[dict[str, str]]:
    """Start the service, wait until ``ready`` answers, and stop its process group on exit.

    Yields the variables a step gets: ``PORT`` and ``RELCHECK_SERVICE_URL`` (the base URL
    of ``ready``). Raises :class:`ServiceFailed` when the service cannot be used.
    """
    import os

    port = free_port()
    ready = with_port(config.ready, port)
    parts = urlsplit(ready)
    base_url = f"{parts.scheme}://{parts.netloc}"
    shell = isinstance(config.run, str)
    argv = with_port(config.run, port) if shell else [with_port(a, port) for a in config.run]
    cwd = os.path.join(workdir, config.cwd) if config.cwd else workdir
    service_env = {**env, **config.env, "PORT": str(port)}
    handle = process.start(argv, cwd=cwd, env=service_env, sink=sink, shell=shell)
    try:
        _wait_ready(handle, ready, config.ready_timeout, cancel, sink, deadline)
        sink.note(f"service ready at {ready}")
        yield {"PORT": str(port), "RELCHECK_SERVICE_URL": base_url}
    finally:
        running_still = not handle.exited
        process.stop(handle, grace=stop_grace)
        if running_still:
            sink.note("service stopped")


def _wait_ready(
    handle: process.Background,
    ready: str,
    ready_timeout: float,
    cancel: threading.Event,
    sink: OutputSink,
    deadline: float,
) -> None:
    import httpx

    limit = time.monotonic() + ready_timeout
    interval = 0.05
    last = "no answer yet"
    # verify=False: this asks a process relcheck just started on this machine whether it
    # is up, and sends nothing secret; the check itself verifies TLS as configured.
    with httpx.Client(verify=False, follow_redirects=False) as client:
        while True:
            if handle.exited:
                code = handle.proc.returncode
                _fail(
                    sink,
                    Status.FAILED,
                    f"service exited ({_exit_text(code)}) before {ready} answered",
                )
            if cancel.is_set():
                _fail(sink, Status.INTERRUPTED, "interrupted while the service started")
            now = time.monotonic()
            if now >= deadline:
                _fail(sink, Status.TIMED_OUT, f"timed out waiting for the service at {ready}")
            if now >= limit:
                _fail(
                    sink,
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
            cancel.wait(interval)
            interval = min(interval * 2, 0.5)


def _fail(sink: OutputSink, status: Status, summary: str) -> None:
    sink.note(summary)
    raise ServiceFailed(StepResult(status, summary, output_tail=sink.tail(_OUTPUT_LINES)))


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by signal {-code}"
    return f"exit {code}"
