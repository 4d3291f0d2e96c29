"""At a step's end relcheck looks for what it left running among the processes started
since the step began (the ids handed out since), not among every process on the machine;
what escaped is stopped just the same, counted once per process, and a step that forked
more than that window holds is searched the old way."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from relcheck.system import process
from relcheck.system.process_output import OutputSink
from tests.reliability.support import pid_alive

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

# A process in a session of its own, with three threads, that writes its pid and waits.
THREADED = (
    "import os, sys, threading, time\n"
    "os.setsid()\n"
    "for _ in range(2): threading.Thread(target=time.sleep, args=(300,), daemon=True).start()\n"
    "open(sys.argv[1], 'w').write(str(os.getpid()))\n"
    "time.sleep(300)\n"
)


def _run(command: str, cwd: Path) -> str:
    sink = OutputSink(None)
    done = process.run(
        command,
        cwd=str(cwd),
        env=dict(os.environ),
        timeout=120,
        cancel=threading.Event(),
        sink=sink,
        shell=True,
    )
    assert done.returncode == 0, sink.tail()
    return sink.tail()


def _gone(pid_file: Path) -> bool:
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 3
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        return False
    return True


def _leave_threaded(tmp_path: Path, before: str = "") -> str:
    script = tmp_path / "threaded.py"
    script.write_text(THREADED)
    pid_file = tmp_path / "threaded.pid"
    wait = f'while [ ! -s "{pid_file}" ]; do sleep 0.02; done'
    out = _run(f'{before}{sys.executable} {script} "{pid_file}" & {wait}', tmp_path)
    assert _gone(pid_file)
    return out


def test_a_threaded_process_that_left_the_session_is_stopped_and_counted_once(
    tmp_path: Path,
) -> None:
    out = _leave_threaded(tmp_path)
    assert "stopped 1 process(es) the step left running outside its group" in out


def test_a_step_that_forked_past_the_window_is_searched_in_full(tmp_path: Path) -> None:
    forks = "i=0; while [ $i -lt 2100 ]; do /bin/true; i=$((i+1)); done; "
    out = _leave_threaded(tmp_path, before=forks)
    assert "stopped 1 process(es) the step left running outside its group" in out


def test_a_process_started_before_the_step_is_left_alone(tmp_path: Path) -> None:
    pid_file = tmp_path / "before.pid"
    script = tmp_path / "threaded.py"
    script.write_text(THREADED)
    earlier = process.start(
        f'{sys.executable} {script} "{pid_file}"', cwd=str(tmp_path), env=dict(os.environ),
        sink=OutputSink(None), shell=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        out = _run("true", tmp_path)
        assert "stopped" not in out
        assert pid_alive(int(pid_file.read_text()))
    finally:
        process.stop(earlier, grace=0.1)
    assert _gone(pid_file)
