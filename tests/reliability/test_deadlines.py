"""Every step has a deadline, runners written in Python included: an HTTP server that
sends a byte a second, config-drift reading a FIFO or a URL that never answers, a plugin
that sleeps for ever. At the deadline the step is reported as timed out, the record is
complete and relcheck exits; SIGTERM during such a step still ends the run."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.helpers import QuietHTTPServer, latest_record, run_relcheck, start_relcheck, step_record
from tests.reliability.support import FIGURES, check_run, communicate, wait_for

# Far above the 2 s timeouts used here, so a loaded machine cannot fail the test; a run
# that hangs is still caught (it would never end).
BOUND = 30.0


class _Trickle(BaseHTTPRequestHandler):
    """Answers one byte a second: the status line (``/head``) or the body (``/body``)."""

    def do_GET(self) -> None:
        stop: threading.Event = self.server.stop  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            if self.path == "/head":
                data = b"HTTP/1.1 200 OK\r\n"
            else:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                data = b"x" * 1000
            for byte in data:
                if stop.wait(1.0):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def trickle() -> Iterator[str]:
    server = QuietHTTPServer(("127.0.0.1", 0), _Trickle)
    server.stop = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent() -> Iterator[str]:
    """A URL whose server accepts connections and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/config.json"


def _timed_run(git_repo: Path, run_env: dict[str, str]) -> tuple[int, str, float]:
    began = time.monotonic()
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=120)
    took = time.monotonic() - began
    FIGURES.add("deadlines: scenarios")
    FIGURES.add("hangs", int(took >= BOUND))
    return proc.returncode, proc.stdout + proc.stderr, took


def _assert_timed_out(git_repo: Path, code: int, out: str, took: float) -> dict[str, object]:
    assert code == 1, out
    assert took < BOUND, f"the step took {took:.1f}s to time out"
    check_run(code, out, git_repo)
    record = latest_record(git_repo)
    assert record["outcome"] == "failed"
    step = step_record(record, "slow")
    assert step["status"] == "timed_out", step
    return step


@pytest.mark.parametrize("where", ["body", "head"])
def test_an_http_server_sending_a_byte_a_second_times_out_at_the_step_timeout(
    git_repo: Path, checklist, run_env: dict[str, str], trickle: str, where: str
) -> None:
    checklist(
        f"""
        version: 1
        steps:
          - id: slow
            uses: http
            timeout: 2s
            with: {{url: "{trickle}/{where}"}}
        """
    )
    code, out, took = _timed_run(git_repo, run_env)
    _assert_timed_out(git_repo, code, out, took)


def test_config_drift_given_a_fifo_refuses_it_at_once(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    # A FIFO is never opened for reading (it could block forever): the step ends at
    # once with an error that names it, long before its timeout.
    os.mkfifo(git_repo / "staging.json")
    (git_repo / "production.json").write_text("{}")
    checklist(
        """
        version: 1
        steps:
          - id: slow
            uses: config-drift
            timeout: 2s
            with: {staging: staging.json, production: production.json}
        """,
        commit=False,
    )
    code, out, took = _timed_run(git_repo, run_env)
    assert code == 1, out
    assert took < BOUND, f"the step took {took:.1f}s"
    check_run(code, out, git_repo)
    step = step_record(latest_record(git_repo), "slow")
    assert step["status"] == "error", step
    assert "FIFO" in str(step["summary"]), step


@pytest.mark.parametrize("url", ["silent", "trickle"])
def test_config_drift_reading_a_url_that_never_answers_times_out(
    git_repo: Path, checklist, run_env: dict[str, str], url: str, request: pytest.FixtureRequest
) -> None:
    base = request.getfixturevalue(url)
    target = base if url == "silent" else f"{base}/body"
    (git_repo / "production.json").write_text("{}")
    checklist(
        f"""
        version: 1
        steps:
          - id: slow
            uses: config-drift
            timeout: 2s
            with:
              staging: {{url: "{target}", format: json}}
              production: production.json
        """,
        commit=False,
    )
    code, out, took = _timed_run(git_repo, run_env)
    _assert_timed_out(git_repo, code, out, took)


@pytest.mark.parametrize("block", ["sleep", "fifo"])
def test_a_plugin_runner_that_never_returns_is_abandoned_at_its_deadline(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path, block: str
) -> None:
    fifo = ""
    if block == "fifo":
        os.mkfifo(tmp_path / "fifo")
        fifo = f', fifo: "{tmp_path / "fifo"}"'
    checklist(
        f"""
        version: 1
        steps:
          - id: slow
            uses: reltest-block
            timeout: 2s
            with: {{started: "{tmp_path / "started"}"{fifo}}}
          - id: after
            run: echo still running
        """
    )
    code, out, took = _timed_run(git_repo, run_env)
    step = _assert_timed_out(git_repo, code, out, took)
    assert "abandoned" in str(step["summary"])
    # The run went on past the abandoned step.
    assert step_record(latest_record(git_repo), "after")["status"] == "passed"


def test_a_subclass_of_the_command_runner_is_held_to_its_deadline(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    # The command runner's own run() keeps its deadline without a watching thread; a
    # plugin's subclass with a run() of its own gets the watching thread again.
    checklist(
        """
        version: 1
        steps:
          - id: slow
            uses: reltest-slow-command
            timeout: 2s
            with: {run: "true"}
        """
    )
    code, out, took = _timed_run(git_repo, run_env)
    step = _assert_timed_out(git_repo, code, out, took)
    assert "abandoned" in str(step["summary"])


def test_sigterm_during_a_step_stuck_in_python_ends_the_run(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    started = tmp_path / "started"
    checklist(
        f"""
        version: 1
        steps:
          - id: slow
            uses: reltest-block
            with: {{started: "{started}"}}
        """
    )
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    wait_for(started)
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = communicate(proc)
    took = time.monotonic() - began
    FIGURES.add("deadlines: scenarios")
    FIGURES.add("hangs", int(took >= BOUND))
    assert proc.returncode == 143, out + err
    assert took < BOUND
    check_run(proc.returncode, out + err, git_repo)
    record = latest_record(git_repo)
    assert record["outcome"] == "terminated"
    assert step_record(record, "slow")["status"] == "interrupted"
