"""Services started for a step: port, readiness, output, and always stopped afterwards."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from relcheck.engine import service
from relcheck.errors import ServiceFailed
from relcheck.models import ServiceConfig
from relcheck.system.process_output import OutputSink
from tests.helpers import latest_record, records, start_relcheck, step_record, write

REPO = Path(__file__).resolve().parents[1]

# A service for the tests: writes its pid to pids/, then behaves as `mode` says.
SERVICE = """
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

pids, mode, port = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
pids.mkdir(exist_ok=True)
(pids / f"{os.getpid()}.pid").write_text(str(os.getpid()))
print(f"service {mode} starting on {port}", flush=True)
if mode == "exit":
    print("error: DATABASE_URL is not set", flush=True)
    sys.exit(3)
if mode == "hang":
    time.sleep(120)
if mode == "stubborn":  # ignores SIGTERM: only SIGKILL stops it
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode == "child":  # a grandchild in the same process group
    import subprocess
    child = subprocess.Popen([sys.executable, sys.argv[0], str(pids), "hang", "0"])
    while not (pids / f"{child.pid}.pid").exists():  # serve once the grandchild is there
        time.sleep(0.01)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        print("request", self.path, flush=True)

    def do_GET(self):
        body = json.dumps({"status": "ok", "port": port, "PORT": os.environ["PORT"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def pids(tmp_path: Path) -> Iterator[Path]:
    """Where test services write their pids; after the test, every one must be gone."""
    folder = tmp_path / "pids"
    yield folder
    left = [int(p.read_text()) for p in folder.glob("*.pid") if _alive(int(p.read_text()))]
    for pid in left:  # do not leave them behind, but fail the test
        os.kill(pid, signal.SIGKILL)
    assert not left, f"service processes left running: {left}"


def _service_argv(script: Path, pids: Path, mode: str) -> list[str]:
    return [sys.executable, str(script), str(pids), mode, "{port}"]


@pytest.fixture
def service_checklist(checklist, git_repo: Path, pids: Path):  # type: ignore[no-untyped-def]
    """Write a checklist whose `check` step starts the test service in ``mode``."""
    script = write(git_repo / "service.py", SERVICE)

    def make(mode: str, step: dict[str, Any], **service: Any) -> None:
        spec = {
            "run": _service_argv(script, pids, mode),
            "ready": "http://127.0.0.1:{port}/health",
            "ready_timeout": "10s",
            **service,
        }
        doc = {"version": 1, "steps": [{"id": "check", "service": spec, **step}]}
        checklist(yaml.safe_dump(doc, sort_keys=False))
        for old in records(git_repo):
            old.unlink()

    return make


def _started_pids(pids: Path) -> list[int]:
    # A service may be between creating its pid file and writing the number.
    return [int(text) for p in pids.glob("*.pid") if (text := p.read_text().strip())]


def test_a_service_is_started_on_a_free_port_checked_and_stopped(
    service_checklist: Any, cli_invoke: Any, git_repo: Path, pids: Path
) -> None:
    service_checklist(
        "serve",
        {
            "uses": "http",
            "with": {
                "url": "${RELCHECK_SERVICE_URL}/health",
                "expect": {"json": {"status": "ok"}},
            },
        },
    )
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 0, result.output
    step = step_record(latest_record(git_repo), "check")
    assert step["status"] == "passed"
    log = Path(step["log"]).read_text()
    assert "service serve starting on " in log  # the service's output is in the step log
    assert "request /health" in log
    assert "[relcheck] service stopped" in log
    # Below the range outgoing connections take their ports from, so none of them can
    # take it between relcheck's choice and the service's bind.
    port = int(log.split("service serve starting on ")[1].split()[0])
    ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ephemeral.read_text().split()[0]) if ephemeral.exists() else 49152
    assert 10000 <= port < low
    started = _started_pids(pids)
    assert len(started) == 1
    assert not _alive(started[0])


def test_the_port_reaches_the_command_as_placeholder_and_as_port(
    service_checklist: Any, cli_invoke: Any, git_repo: Path
) -> None:
    service_checklist(
        "serve",
        {
            "run": 'test "$PORT" = "${RELCHECK_SERVICE_URL##*:}" && '
            'python -c "import os, urllib.request as u; '
            "print(u.urlopen(os.environ['RELCHECK_SERVICE_URL'] + '/x').read().decode())\""
        },
    )
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 0, result.output
    log = Path(step_record(latest_record(git_repo), "check")["log"]).read_text()
    port = log.split("service serve starting on ", 1)[1].split()[0]
    assert f'"port": {port}, "PORT": "{port}"' in log


def test_the_service_is_stopped_when_the_check_fails(
    service_checklist: Any, cli_invoke: Any, git_repo: Path, pids: Path
) -> None:
    service_checklist(
        "serve",
        {"uses": "http", "with": {"url": "${RELCHECK_SERVICE_URL}/x", "expect": {"status": 500}}},
    )
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 1
    assert "status: expected 500, got 200" in result.output
    assert [p for p in _started_pids(pids) if _alive(p)] == []


def test_a_service_that_exits_early_fails_the_step_with_its_last_output(
    service_checklist: Any, cli_invoke: Any, git_repo: Path
) -> None:
    service_checklist("exit", {"run": "true"})
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 1
    step = step_record(latest_record(git_repo), "check")
    assert step["status"] == "failed"
    assert step["summary"].startswith("service exited (exit 3) before http://127.0.0.1:")
    assert "error: DATABASE_URL is not set" in step["output_tail"]
    assert "error: DATABASE_URL is not set" in result.output


def test_a_secret_learned_after_the_command_line_is_masked_in_it(tmp_path: Path) -> None:
    log = tmp_path / "step.log"
    sink = OutputSink(str(log))
    sink.header("$ serve --key key-1234-abcd")
    sink.write(b"serving\n")
    sink.add_secrets(["key-1234-abcd"])  # as the http runner does, once it has started
    sink.close()
    assert sink.tail() == "[relcheck] $ serve --key ***\nserving"
    assert log.read_text() == "[relcheck] $ serve --key ***\nserving\n"
    assert sink.kept_log == str(log)


def test_a_command_line_alone_makes_no_log_and_is_kept_in_the_tail(tmp_path: Path) -> None:
    log = tmp_path / "step.log"
    sink = OutputSink(str(log))
    sink.header("$ true")
    sink.close()
    assert sink.tail() == "[relcheck] $ true"
    assert not log.exists()
    assert sink.kept_log is None


class _LateSink(OutputSink):
    """A sink whose reader falls behind, as on a loaded machine: each chunk of output
    arrives a while after the service wrote it."""

    def write(self, chunk: bytes) -> None:
        time.sleep(0.5)
        super().write(chunk)


def test_a_service_that_exits_early_keeps_its_last_output_when_reading_lags(
    git_repo: Path, pids: Path
) -> None:
    script = write(git_repo / "service.py", SERVICE)
    config = ServiceConfig(
        run=tuple(_service_argv(script, pids, "exit")),
        ready="http://127.0.0.1:{port}/health",
        ready_timeout=10.0,
    )
    sink = _LateSink(None)
    with pytest.raises(ServiceFailed) as failed:
        service.start(
            config,
            workdir=str(git_repo),
            env=dict(os.environ),
            cancel=threading.Event(),
            sink=sink,
            deadline=time.monotonic() + 30,
        )
    assert failed.value.result.summary.startswith("service exited (exit 3) before")
    assert "error: DATABASE_URL is not set" in failed.value.result.output_tail


def test_a_service_that_never_gets_ready_fails_in_its_ready_timeout(
    service_checklist: Any, cli_invoke: Any, git_repo: Path, pids: Path
) -> None:
    service_checklist("hang", {"run": "true"}, ready_timeout="1s")
    started = time.monotonic()
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    took = time.monotonic() - started
    assert result.exit_code == 1
    step = step_record(latest_record(git_repo), "check")
    assert step["status"] == "failed"
    assert step["summary"].startswith("service not ready within 1s: http://127.0.0.1:")
    assert step["summary"].endswith("/health gave ConnectError")
    assert "service hang starting on" in step["output_tail"]
    assert took < 120  # it gave up at its ready_timeout, not at the step's 10m
    assert len(_started_pids(pids)) == 1


def test_the_whole_process_group_of_the_service_is_stopped(
    service_checklist: Any, cli_invoke: Any, git_repo: Path, pids: Path
) -> None:
    service_checklist("child", {"uses": "http", "with": {"url": "${RELCHECK_SERVICE_URL}/"}})
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 0, result.output
    assert len(_started_pids(pids)) == 2  # the service and its grandchild


def test_a_service_that_ignores_sigterm_is_killed_after_its_stop_grace(
    service_checklist: Any, cli_invoke: Any, git_repo: Path, pids: Path
) -> None:
    service_checklist("stubborn", {"run": "true"}, stop_grace="300ms")
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 0, result.output
    log = Path(step_record(latest_record(git_repo), "check")["log"]).read_text()
    assert "[relcheck] service did not stop within 0.3s of SIGTERM; killed" in log
    assert len(_started_pids(pids)) == 1  # and the pids fixture checks it is gone


def test_a_service_under_a_shell_string_gets_the_port(
    checklist: Any, cli_invoke: Any, git_repo: Path, pids: Path
) -> None:
    write(git_repo / "service.py", SERVICE)
    checklist(
        f"""
        version: 1
        steps:
          - id: check
            uses: http
            service:
              run: exec {sys.executable} service.py {pids} serve $PORT
              ready: http://127.0.0.1:{{port}}/health
              ready_timeout: 10s
            with:
              url: ${{RELCHECK_SERVICE_URL}}/health
        """
    )
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 0, result.output


def test_a_mistake_in_service_is_reported_at_load_time(
    checklist: Any, cli_invoke: Any, git_repo: Path
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: check
            run: "true"
            service:
              run: ./serve
              ready: 127.0.0.1:8000/health
              ready_timout: 5s
        """
    )
    result = cli_invoke("validate", cwd=git_repo)
    assert result.exit_code == 2
    assert (
        "relcheck.yaml:7:14: steps[0].service.ready: expected a URL starting with http:// "
        "or https://, got '127.0.0.1:8000/health'"
    ) in result.output
    assert "relcheck.yaml:8:7: steps[0].service: unknown key 'ready_timout'; did you mean" in (
        result.output
    )


def test_ctrl_c_stops_the_service_and_records_the_interruption(
    service_checklist: Any, git_repo: Path, pids: Path
) -> None:
    marker = git_repo / "check-started"
    service_checklist("serve", {"run": f"touch {marker} && sleep 60"})
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, merge_stderr=True)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():  # wait until the check runs beside its service
            assert time.monotonic() < deadline, "the check never started"
            assert proc.poll() is None, proc.communicate()[0]
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, output
    started = _started_pids(pids)
    assert len(started) == 1
    assert not _alive(started[0])
    step = step_record(latest_record(git_repo), "check")
    assert step["status"] == "interrupted"
    assert "[relcheck] service stopped" in Path(step["log"]).read_text()


def test_the_example_service_passes_the_integration_step_of_relcheck_yaml(
    checklist: Any, cli_invoke: Any, git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import socket

    # The project's environment is the one with uvicorn: the tests' own, as when relcheck
    # checks itself from its .venv.
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)

    shutil.copytree(
        REPO / "examples" / "service",
        git_repo / "examples" / "service",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    ours = yaml.safe_load((REPO / "relcheck.yaml").read_text())
    step = next(s for s in ours["steps"] if s["id"] == "integration")
    step.pop("needs")
    checklist(yaml.safe_dump({"version": 1, "steps": [step]}, sort_keys=False))
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 0, result.output
    record = step_record(latest_record(git_repo), "integration")
    assert record["summary"].startswith("3 requests as expected")
    assert record["metrics"]["responses"] == 22
    log = Path(record["log"]).read_text()
    port = int(log.split("--port ", 1)[1].split()[0])
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))  # the service is gone


GONE = """
import os, sys
from pathlib import Path
for pid_file in Path(sys.argv[1]).glob("*.pid"):
    pid = int(pid_file.read_text())
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
        sys.exit(f"service {pid} still runs")
print("every service is gone")
"""


def _shared_checklist(git_repo: Path, pids: Path, mode: str) -> str:
    script = write(git_repo / "service.py", SERVICE)
    write(git_repo / "gone.py", GONE)
    doc = {
        "version": 1,
        "services": {
            "api": {
                "run": _service_argv(script, pids, mode),
                "ready": "http://127.0.0.1:{port}/health",
                "ready_timeout": "10s",
            }
        },
        "steps": [
            {
                "id": "health",
                "uses": "http",
                "service": "api",
                "with": {"url": "${RELCHECK_SERVICE_URL}/health"},
            },
            {
                "id": "port",
                "service": "api",
                "run": 'test "$RELCHECK_SERVICE_URL" = "http://127.0.0.1:$PORT"',
            },
            {
                "id": "after",
                "needs": ["health", "port"],
                "run": [sys.executable, "gone.py", str(pids)],
            },
        ],
    }
    return yaml.safe_dump(doc, sort_keys=False)


def test_a_checklist_service_is_shared_and_stopped_after_its_last_step(
    checklist: Any, cli_invoke: Any, git_repo: Path, pids: Path
) -> None:
    checklist(_shared_checklist(git_repo, pids, "serve"))
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 0, result.output
    assert len(_started_pids(pids)) == 1  # started once for both steps
    record = latest_record(git_repo)
    assert step_record(record, "after")["status"] == "passed"  # gone before `after` ran
    log = Path(step_record(record, "health")["log"])
    service_log = (log.parent / "services" / "api.log").read_text()
    assert "service serve starting on" in service_log
    assert "[relcheck] service stopped" in service_log


def test_a_broken_checklist_service_fails_every_step_that_uses_it_once_started(
    checklist: Any, cli_invoke: Any, git_repo: Path, pids: Path
) -> None:
    checklist(_shared_checklist(git_repo, pids, "exit"))
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 1
    record = latest_record(git_repo)
    for step_id in ("health", "port"):
        step = step_record(record, step_id)
        assert step["status"] == "failed"
        assert step["summary"].startswith("service exited (exit 3) before")
        assert "error: DATABASE_URL is not set" in step["output_tail"]
    assert step_record(record, "after")["status"] == "skipped"
    assert len(_started_pids(pids)) == 1  # not started again for the second step


def test_a_step_naming_an_unknown_service_is_a_load_error(
    checklist: Any, cli_invoke: Any, git_repo: Path
) -> None:
    checklist(
        """
        version: 1
        services:
          api: {run: ./serve, ready: "http://127.0.0.1:{port}/health"}
        steps:
          - id: check
            run: "true"
            service: apj
        """
    )
    result = cli_invoke("validate", cwd=git_repo)
    assert result.exit_code == 2
    assert "relcheck.yaml:7:14: unknown service 'apj'; did you mean 'api'?" in result.output


def test_ctrl_c_while_a_service_starts_stops_it(
    service_checklist: Any, git_repo: Path, pids: Path
) -> None:
    service_checklist("hang", {"run": "true"}, ready_timeout="60s")
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, merge_stderr=True)
    try:
        deadline = time.monotonic() + 30
        while not _started_pids(pids):  # the service runs and is not ready
            assert time.monotonic() < deadline, "the service never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, output
    step = step_record(latest_record(git_repo), "check")
    assert step["status"] == "interrupted"
    assert step["summary"] == "interrupted while the service started"


def test_the_example_deploy_configs_pass_the_config_check_its_readme_shows(
    checklist: Any, cli_invoke: Any, git_repo: Path
) -> None:
    import shutil

    shutil.copytree(REPO / "examples" / "service" / "deploy", git_repo / "examples/service/deploy")
    readme = (REPO / "examples" / "service" / "README.md").read_text()
    step = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    checklist("version: 1\nsteps:\n" + step)
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 0, result.output
    record = step_record(latest_record(git_repo), "staging-config")
    assert record["summary"].endswith("0 drifted, 0 rules failed (12 allowed differences)")


def test_a_step_whose_log_name_is_a_services_keeps_its_own_log(
    checklist: Any, cli_invoke: Any, git_repo: Path
) -> None:
    # Step ids and `service-<name>` share the run's log folder: the step `service-web`
    # and the service `web` would both log to service-web.log. Neither may remove the
    # other's log (a log is made anew, whatever is at its name is removed).
    server = [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
    doc = {
        "version": 1,
        "services": {"web": {"run": server, "ready": "http://127.0.0.1:{port}/"}},
        "steps": [{"id": "service-web", "service": "web", "run": "echo own words of the step"}],
    }
    checklist(yaml.safe_dump(doc, sort_keys=False))
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 0, result.output
    step = step_record(latest_record(git_repo), "service-web")
    assert "own words of the step" in step["output_tail"]
    assert "own words of the step" in Path(step["log"]).read_text(), "the step's log is lost"


def test_a_service_name_cannot_put_its_log_outside_the_runs_services_folder(
    checklist: Any, cli_invoke: Any, git_repo: Path
) -> None:
    # A service's name is a key under `services:`, unchecked; its log is
    # <run>/services/<name>.log. Once services/ exists (another service started), a name
    # with `..` has relcheck create its log anywhere: here an untracked file in the work
    # tree; `../first` would be <run>/first.log, a step's log, made anew.
    server = [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
    service = {"run": server, "ready": "http://127.0.0.1:{port}/"}
    escape = "../../../../outside"
    doc = {
        "version": 1,
        "services": {"web": service, escape: service},
        "steps": [
            {"id": "first", "service": "web", "run": "echo first ran"},
            {"id": "unit", "needs": ["first"], "service": escape, "run": "echo unit ran"},
        ],
    }
    checklist(yaml.safe_dump(doc, sort_keys=False))
    cli_invoke("run", "--dry-run", "--jobs", "1", cwd=git_repo)
    assert not (git_repo / "outside.log").exists(), "the service's log was written in the work tree"
