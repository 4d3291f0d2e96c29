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


def _forked_and_reaped(count: int) -> list[int]:
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        pids.append(pid)
    return pids


def test_the_window_s_counters_are_read_afresh_each_time_also_after_a_fork() -> None:
    # The two counters are read from files held open (one pread from their start): a
    # stale value would make the window miss every process a step left running.
    from relcheck.system import proctree

    first = proctree.window()
    assert first is not None
    made = _forked_and_reaped(3)
    second = proctree.window()
    assert second is not None
    assert second.forks >= first.forks + 3
    assert second.last_pid >= max(made) or second.last_pid < first.last_pid  # wrapped
    # A forked relcheck shares the open files: its reads are fresh too, and so are the
    # parent's after it.
    ours, theirs = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            made_there = _forked_and_reaped(2)
            seen = proctree.window()
            ok = seen is not None and seen.forks >= second.forks + 3
            ok = ok and (seen.last_pid >= max(made_there) or seen.last_pid < second.last_pid)
            os.write(theirs, b"ok" if ok else b"stale")
        finally:
            os._exit(0)
    os.close(theirs)
    os.waitpid(child, 0)
    assert os.read(ours, 16) == b"ok"
    os.close(ours)
    third = proctree.window()
    assert third is not None and third.forks >= second.forks + 3


def test_a_counters_file_of_64_kib_or_more_is_read_whole(tmp_path: Path) -> None:
    # /proc/stat of a machine with many CPUs: the pread of 64 KiB is not the whole file.
    from relcheck.system import proctree

    for size in (65535, 65536, 200_000):
        path = tmp_path / f"stat-{size}"
        tail = b"\nprocesses 4242\nprocs_running 1\n"
        path.write_bytes(b"c" * (size - len(tail)) + tail)
        assert proctree._Kept(str(path)).read() == path.read_bytes()


def test_threads_that_read_a_counter_first_at_once_open_it_once() -> None:
    from relcheck.system import proctree

    kept = proctree._Kept("/proc/stat")
    start = threading.Barrier(16)
    seen: list[bytes] = []

    def read() -> None:
        start.wait()
        seen.append(kept.read())

    threads = [threading.Thread(target=read) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 16 and all(b"\nprocesses " in s for s in seen)
    held = [
        fd
        for fd in os.listdir("/proc/self/fd")
        if os.path.realpath(f"/proc/self/fd/{fd}") == "/proc/stat"
    ]
    assert len(held) <= 2  # this one, and the module's own if a step ran here before


def test_a_step_killed_once_the_run_is_stopped_is_interrupted_not_failed(
    tmp_path: Path,
) -> None:
    # A second Ctrl-C soon after the first kills every step's group from the main
    # thread; a step's thread that had not yet seen the first must still say the user
    # stopped it, not that its check failed.
    from relcheck.models import Status
    from relcheck.runners._support import from_exit

    cancel = threading.Event()
    pid_file = tmp_path / "pid"
    done: list[process.CommandResult] = []
    waiter = threading.Thread(
        target=lambda: done.append(
            process.run(
                f"echo $$ > {pid_file}; exec sleep 300",
                cwd=str(tmp_path),
                env=dict(os.environ),
                timeout=120,
                cancel=cancel,
                sink=OutputSink(None),
                shell=True,
            )
        )
    )
    waiter.start()
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.01)
    cancel.set()
    os.killpg(int(pid_file.read_text()), signal.SIGKILL)
    waiter.join(30)
    assert done, "process.run did not return"
    assert from_exit(done[0], (0,), 120).status is Status.INTERRUPTED, done[0]
