"""Processes that leave the step's process group or session are stopped too: at a timeout,
at Ctrl-C, at SIGTERM and when the step ends. Each escape technique writes the pid of
the process that escaped; afterwards /proc must not show it running."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import latest_record, run_relcheck, start_relcheck, step_record
from tests.reliability.support import FIGURES, check_run, communicate, pid_alive, wait_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

# Each starts, in the background, a `sleep` that is outside the step's process group,
# and writes its pid to $PIDS/<technique>.pid.
TECHNIQUES = {
    # coreutils timeout puts itself and its command in a group of their own
    "timeout": "timeout 300 sh -c 'echo $$ > \"$PIDS/timeout.pid\"; exec sleep 3001' &",
    # a job-control shell gives each background job its own group
    "set-m": "set -m; sh -c 'echo $$ > \"$PIDS/set-m.pid\"; exec sleep 3002' & set +m",
    # a plain double fork: the grandchild is orphaned at once
    "double-fork": 'sh -c "sh -c \'echo \\$\\$ > \\"$PIDS/double-fork.pid\\"; exec sleep 3003\' &"',
    # a session of its own
    "setsid": "setsid sh -c 'echo $$ > \"$PIDS/setsid.pid\"; exec sleep 3004' &",
    # a daemon: fork, setsid, fork again, the middle process exits
    "daemon": f"{sys.executable} -c '"
    "import os, sys\n"
    "if os.fork(): os._exit(0)\n"
    "os.setsid()\n"
    "if os.fork(): os._exit(0)\n"
    'open(os.environ["PIDS"] + "/daemon.pid", "w").write(str(os.getpid()))\n'
    'os.execvp("sleep", ["sleep", "3005"])\n'
    "' &",
}


def _script(tmp_path: Path, then: str) -> Path:
    wait = " ".join(f'"$PIDS/{name}.pid"' for name in TECHNIQUES)
    body = "\n".join(TECHNIQUES.values())
    script = tmp_path / "escape.sh"
    script.write_text(
        textwrap.dedent(
            """\
            set -e
            {body}
            for f in {wait}; do
              while [ ! -s "$f" ]; do sleep 0.02; done
            done
            echo started > "$PIDS/../all-started"
            {then}
            """
        ).format(body=body, wait=wait, then=then)
    )
    return script


def _escaped_alive(pids: Path) -> list[str]:
    """Techniques whose process still runs after a short, bounded wait."""

    found = {f.stem: int(f.read_text()) for f in pids.glob("*.pid")}
    assert sorted(found) == sorted(TECHNIQUES), found
    deadline = time.monotonic() + 3
    alive = dict(found)
    while alive and time.monotonic() < deadline:
        alive = {n: p for n, p in alive.items() if pid_alive(p)}
        time.sleep(0.05)
    for pid in alive.values():  # leave nothing behind for the next test
        os.kill(pid, signal.SIGKILL)
    FIGURES.add("process trees: scenarios", len(found))
    FIGURES.add("orphaned processes", len(alive))
    return sorted(alive)


@pytest.fixture
def pids(tmp_path: Path) -> Path:
    folder = tmp_path / "pids"
    folder.mkdir()
    return folder


def _checklist(checklist, script: Path, pids: Path, timeout: str = "5m") -> None:  # type: ignore[no-untyped-def]
    checklist(
        f"""
        version: 1
        steps:
          - id: escape
            timeout: {timeout}
            env: {{PIDS: "{pids}"}}
            run: sh {script}
        """
    )


def test_processes_that_left_the_group_are_stopped_when_the_step_ends(
    git_repo: Path, checklist, run_env: dict[str, str], pids: Path, tmp_path: Path
) -> None:
    _checklist(checklist, _script(tmp_path, "exit 0"), pids)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert _escaped_alive(pids) == []
    check_run(proc.returncode, out, git_repo)
    assert step_record(latest_record(git_repo), "escape")["status"] == "passed"


def test_processes_that_left_the_group_are_stopped_at_the_timeout(
    git_repo: Path, checklist, run_env: dict[str, str], pids: Path, tmp_path: Path
) -> None:
    _checklist(checklist, _script(tmp_path, "sleep 300"), pids, timeout="3s")
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert _escaped_alive(pids) == []
    check_run(proc.returncode, out, git_repo)
    assert step_record(latest_record(git_repo), "escape")["status"] == "timed_out"


@pytest.mark.parametrize(
    ("signum", "code", "outcome"),
    [
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGTERM, 143, "terminated"),
        (signal.SIGHUP, 129, "terminated"),
    ],
)
def test_processes_that_left_the_group_are_stopped_when_relcheck_is_signalled(
    git_repo: Path,
    checklist,
    run_env: dict[str, str],
    pids: Path,
    tmp_path: Path,
    signum: int,
    code: int,
    outcome: str,
) -> None:
    _checklist(checklist, _script(tmp_path, "sleep 300"), pids)
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    wait_for(tmp_path / "all-started")
    proc.send_signal(signum)
    out, err = communicate(proc)
    assert proc.returncode == code, out + err
    assert _escaped_alive(pids) == []
    check_run(proc.returncode, out + err, git_repo)
    assert latest_record(git_repo)["outcome"] == outcome


SERVER = """
import os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

open(os.path.join(sys.argv[1], "server.pid"), "w").write(str(os.getpid()))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[2])), Handler).serve_forever()
"""


def test_a_service_outside_its_group_lives_until_the_last_step_that_uses_it(
    git_repo: Path, checklist, run_env: dict[str, str], pids: Path, tmp_path: Path
) -> None:
    server = tmp_path / "server.py"
    server.write_text(SERVER)
    ask = f"{sys.executable} -c 'import os, urllib.request as u; u.urlopen(os.environ[\"RELCHECK_SERVICE_URL\"])'"
    checklist(
        f"""
        version: 1
        services:
          api:
            run: "setsid {sys.executable} {server} {pids} {{port}} & wait"
            ready: "http://127.0.0.1:{{port}}/"
        steps:
          - id: first
            service: api
            run: |
              setsid sleep 3006 &
              echo $! > {pids}/step.pid
              {ask}
          - id: second
            service: api
            needs: [first]
            run: {ask}
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    out = proc.stdout + proc.stderr
    FIGURES.add("process trees: scenarios", 2)
    assert proc.returncode == 0, out
    record = latest_record(git_repo)
    assert step_record(record, "second")["status"] == "passed", record
    check_run(proc.returncode, out, git_repo)
    left = [f.stem for f in pids.glob("*.pid") if pid_alive(int(f.read_text()))]
    FIGURES.add("orphaned processes", len(left))
    for f in pids.glob("*.pid"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(f.read_text()), signal.SIGKILL)
    assert left == []


# A step's shell that exits at once, leaving one `sleep` in its process group and one in
# a session of its own; then relcheck's search for the step's processes, before the
# group is stopped. Prints how many it reported as having left the group.
_SEARCH = """
import os, subprocess, sys, time
from relcheck.system import proctree

env = dict(os.environ)
token = proctree.new_tree(env)
proc = subprocess.Popen(
    ["sh", "-c", "sleep 300 & setsid sleep 301 & echo $! > started; sleep 0.5"],
    start_new_session=True, env=env, stdout=subprocess.DEVNULL,
)
proctree.started(proc.pid)
proc.wait()
print(proctree.stop(proc.pid, token))
"""


def test_only_processes_that_left_the_group_are_counted_as_escaped(tmp_path: Path) -> None:
    # A process still in the step's group when the search runs was only slow to die of
    # the SIGKILL the group got: saying the step left it running outside would be false.
    script = tmp_path / "search.py"
    script.write_text(_SEARCH)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"  # the setsid one; both are stopped
    assert not pid_alive(int((tmp_path / "started").read_text()))
