"""Every signal a terminal or CI sends ends the run the same way: steps stopped, no
release step, a record that says how the run ended (never 'running'), and 128 + the
signal's number as the exit code. A relcheck that dies without a word (SIGKILL) leaves a
record that readers show as interrupted."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers import latest_record, records, run_relcheck, start_relcheck, step_record, tags
from tests.reliability.support import (
    FIGURES,
    check_run,
    communicate,
    read_records,
    wait_for,
    with_release,
)


def _running_step(pids: Path) -> str:
    return f"""
        version: 1
        steps:
          - id: long
            run: |
              echo $$ > {pids}/step.pid
              sleep 300
    """


def _count(record_outcome: str) -> None:
    FIGURES.add("signals: scenarios")
    FIGURES.add("records left running", int(record_outcome == "running"))


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGHUP, 129), (signal.SIGQUIT, 131), (signal.SIGTERM, 143)],
)
def test_hangup_and_quit_stop_the_run_like_sigterm(
    git_repo: Path,
    checklist,
    run_env: dict[str, str],
    tmp_path: Path,
    signum: int,
    code: int,
) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    sentinel = tmp_path / "released"
    checklist(with_release(_running_step(pids), sentinel))
    before = read_records(git_repo)
    proc = start_relcheck("run", cwd=git_repo, env=run_env)
    wait_for(pids / "step.pid")
    proc.send_signal(signum)
    out, err = communicate(proc)
    record = latest_record(git_repo)
    _count(record["outcome"])
    assert proc.returncode == code, out + err
    check_run(proc.returncode, out + err, git_repo, before=before, pid_dir=pids)
    assert record["outcome"] == "terminated"
    assert step_record(record, "long")["status"] == "interrupted"
    assert step_record(record, "tag")["status"] == "skipped"
    assert not sentinel.exists()
    assert not tags(git_repo)


def test_a_record_whose_relcheck_was_killed_reads_as_interrupted(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    checklist(_running_step(pids))
    proc = start_relcheck("run", cwd=git_repo, env=run_env)
    wait_for(pids / "step.pid")
    proc.send_signal(signal.SIGKILL)  # nothing can be written: the reader must cope
    communicate(proc)
    with (records(git_repo)[-1]).open("rb") as fh:
        raw = tomllib.load(fh)
    assert raw["outcome"] == "running"
    assert raw["pid"] == proc.pid
    # The step's own process is still there (relcheck was given no chance): clean up.
    os.kill(int((pids / "step.pid").read_text()), signal.SIGKILL)
    shown = run_relcheck("show", "--format", "json", cwd=git_repo, env=run_env)
    data = json.loads(shown.stdout)
    _count(data["outcome"])
    assert data["outcome"] == "interrupted", shown.stdout
    assert f"process {proc.pid}" in data["message"]
    history = run_relcheck("history", cwd=git_repo, env=run_env)
    assert "running" not in history.stdout.lower(), history.stdout


def test_a_closed_output_pipe_leaves_a_finished_record(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    # `relcheck run | head -1`: the reader goes away while relcheck still reports.
    checklist(
        """
        version: 1
        steps:
          - id: first
            run: 'true'
          - id: second
            run: sleep 0.5
            needs: [first]
        """
    )
    from tests.helpers import RELCHECK

    reader, writer = os.pipe()
    os.close(reader)
    proc = subprocess.run(
        [*RELCHECK, "run", "--dry-run"],
        cwd=git_repo,
        env={**os.environ, **run_env},
        stdout=writer,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=60,
        check=False,
    )
    os.close(writer)
    record = latest_record(git_repo)
    _count(record["outcome"])
    assert record["outcome"] != "running", record
    assert "Traceback" not in proc.stderr, proc.stderr


def test_closing_the_terminal_stops_the_run_and_its_steps(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    # relcheck in a pseudo-terminal it controls (the live view draws there); closing the
    # terminal's other end is what closing the window or losing ssh does: SIGHUP, and
    # every later write to the terminal fails.
    import fcntl
    import termios
    import threading

    from tests.helpers import RELCHECK

    pids = tmp_path / "pids"
    pids.mkdir()
    sentinel = tmp_path / "released"
    checklist(with_release(_running_step(pids), sentinel))
    master, slave = os.openpty()

    def take_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [*RELCHECK, "run"],
        cwd=git_repo,
        env={**os.environ, **run_env, "TERM": "xterm"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=take_terminal,  # noqa: PLW1509 (the test starts no threads before)
    )
    os.close(slave)

    def drain() -> None:
        with contextlib.suppress(OSError):
            while os.read(master, 65536):
                pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        wait_for(pids / "step.pid")
    finally:
        os.close(master)
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("relcheck did not end after its terminal closed") from None
    record = latest_record(git_repo)
    _count(record["outcome"])
    assert code == 129
    check_run(code, "", git_repo, pid_dir=pids)
    assert record["outcome"] == "terminated"
    assert step_record(record, "long")["status"] == "interrupted"
    assert not sentinel.exists()


LAST_RESORT = """
import os, signal, sys, time
from relcheck.system.interrupts import Cancellation, handle_signals

cancellation = Cancellation()
cancellation.last_words = lambda: open(sys.argv[1], "w").write("final record")
with handle_signals(cancellation):
    for _ in range(3):  # the main thread is stuck where no signal can stop it
        os.kill(os.getpid(), signal.SIG{name})
        time.sleep(0.2)
    time.sleep(60)
"""


@pytest.mark.parametrize(("name", "code"), [("INT", 130), ("TERM", 143), ("HUP", 129)])
def test_the_third_signal_writes_the_record_before_exiting_at_once(
    tmp_path: Path, name: str, code: int
) -> None:
    written = tmp_path / "record"
    proc = subprocess.run(
        [sys.executable, "-c", LAST_RESORT.replace("{name}", name), str(written)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    FIGURES.add("signals: scenarios")
    FIGURES.add("records left running", int(not written.exists()))
    assert proc.returncode == code, proc.stderr
    assert written.read_text() == "final record"
    assert "stopped at once; the record says so" in proc.stderr
