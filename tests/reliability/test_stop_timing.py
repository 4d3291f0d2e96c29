"""Steps stopped on time whatever else the run is doing: a second Ctrl-C soon after the
first, a shared service slow to shut down, a slow `git status`, output nobody reads or
that takes long to show, many steps at once. Real relcheck processes, real signals,
real records."""

from __future__ import annotations

import signal
import statistics
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.helpers import git, latest_record, spawn_relcheck, start_relcheck, step_record
from tests.reliability.support import (
    check_run,
    communicate,
    read_records,
    record_problems,
    survivors,
    wait_for,
)

# A person who presses Ctrl-C twice may well press it within this.
_SECOND_CTRL_C_AFTER = 0.12
_TRIES = 3  # where the first Ctrl-C lands in a step's wait varies from run to run


def test_a_second_ctrl_c_soon_after_the_first_leaves_the_step_interrupted(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    """Ctrl-C, then Ctrl-C again 0.12 s later: the step was interrupted, and says so.

    The first Ctrl-C must reach the step at once. When it waited for the next look at
    the clock, the second one SIGKILLed the group first, and the step was recorded as
    `failed: killed by signal 9 (SIGKILL)`: a run the user interrupted reported a check
    that failed."""
    pids = tmp_path / "pids"
    pids.mkdir()
    checklist(
        f"""
        version: 1
        steps:
          - id: unit
            run: echo $$ > {pids}/unit.pid; sleep 300
        """
    )
    seen = []
    for _ in range(_TRIES):
        (pids / "unit.pid").unlink(missing_ok=True)
        before = read_records(git_repo)
        proc = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
        wait_for(pids / "unit.pid")
        time.sleep(0.3)  # the step is running and waited for
        proc.send_signal(signal.SIGINT)
        time.sleep(_SECOND_CTRL_C_AFTER)
        proc.send_signal(signal.SIGINT)
        out, err = communicate(proc)
        assert proc.returncode == 130, out + err
        check_run(proc.returncode, out + err, git_repo, before=before, pid_dir=pids)
        record = latest_record(git_repo)
        assert record["outcome"] == "interrupted"
        step = step_record(record, "unit")
        seen.append((step["status"], step["summary"]))
    assert all(status == "interrupted" for status, _ in seen), seen


def test_a_shared_service_stopping_does_not_hold_other_steps_past_their_timeout(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    """A shared service that takes 4 s to shut down is stopped once its last step ends;
    meanwhile a command step with `timeout: 2s` is stopped at its timeout, not 4 s later.

    The service is stopped from the scheduler's thread; the other steps' deadlines,
    output and exits must be looked after whatever that thread is waiting for."""
    python = sys.executable
    checklist(
        f"""
        version: 1
        services:
          web:
            # A graceful shutdown: 4 s between SIGTERM and the exit.
            run: "trap 'sleep 4; exit 0' TERM; {python} -m http.server {{port}} --bind 127.0.0.1 & wait; wait"
            ready: http://127.0.0.1:{{port}}/
            stop_grace: 10s
        steps:
          - id: uses-web
            service: web
            run: [{python}, -c, "import os, urllib.request as u; u.urlopen(os.environ['RELCHECK_SERVICE_URL'])"]
          - id: slow
            timeout: 2s
            run: sleep 30
        """
    )
    before = read_records(git_repo)
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    out, err = communicate(proc)
    assert proc.returncode == 1, out + err
    check_run(proc.returncode, out + err, git_repo, before=before)
    record = latest_record(git_repo)
    assert step_record(record, "uses-web")["status"] == "passed", out + err
    slow = step_record(record, "slow")
    assert slow["status"] == "timed_out"
    # Stopped at its timeout: SIGTERM at 2 s, gone at once (sleep does not linger).
    assert slow["duration"] < 3.0, slow["duration"]


def _lifetime(folder: Path, name: str) -> float:
    """Seconds between a step's `name.start` and `name.stop` stamps (date +%s.%N)."""
    start = float((folder / f"{name}.start").read_text())
    stop = float((folder / f"{name}.stop").read_text())
    return stop - start


def _stamped_sleeper(folder: Path, name: str) -> str:
    """A step's shell command that stamps its start, and its stop when signalled."""
    return (
        f"date +%s.%N > {folder}/{name}.start; echo $$ > {folder}/{name}.pid; "
        f"trap 'date +%s.%N > {folder}/{name}.stop; exit 143' TERM INT; sleep 30 & wait"
    )


def _beside_a_slow_step(checklist, tmp_path: Path, step: str) -> Path:  # type: ignore[no-untyped-def]
    """Commit a checklist of ``step`` (YAML) and `slow`, a step with `timeout: 1s` that
    would sleep 30 s; return the folder of slow's stamps."""
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    slow = _stamped_sleeper(stamps, "slow")
    checklist(
        "version: 1\nsteps:\n"
        + textwrap.indent(textwrap.dedent(step).strip(), "  ")
        + f'\n  - id: slow\n    timeout: 1s\n    run: "{slow}"\n'
    )
    return stamps


def _assert_slow_stopped_at_its_timeout(record: dict[str, Any], stamps: Path) -> None:
    assert step_record(record, "slow")["status"] == "timed_out"
    lived = _lifetime(stamps, "slow")
    assert lived < 2.5, f"a step with `timeout: 1s` ran for {lived:.1f}s"


def test_a_slow_git_status_does_not_hold_other_steps_past_their_timeout(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    """The tree watch asks `git status` when a step that changed a file ends; in a big
    repository (here: an fsmonitor hook that takes 1.5 s) that takes seconds. Meanwhile
    another step with `timeout: 1s` is stopped at its timeout, not when git answers."""
    (git_repo / "gen.txt").write_text("0\n")
    stamps = _beside_a_slow_step(
        checklist,
        tmp_path,
        """
        - id: writes
          writes: [gen.txt]
          run: sleep 0.3; date +%N > gen.txt
        """,
    )
    hook = tmp_path / "fsmonitor-hook"
    hook.write_text("#!/bin/sh\nsleep 1.5\nexit 1\n")
    hook.chmod(0o755)
    git(git_repo, "config", "core.fsmonitor", str(hook))
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    out, err = communicate(proc, timeout=90)
    assert proc.returncode == 1, out + err
    record = latest_record(git_repo)
    assert step_record(record, "writes")["status"] == "passed", out + err
    _assert_slow_stopped_at_its_timeout(record, stamps)


def test_live_output_nobody_reads_does_not_hold_other_steps_past_their_timeout(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    """`relcheck run -v | less`, a terminal paused with Ctrl-S, a CI runner slow to read
    its log pipe: printing a step's output blocks. Only the printing step waits for the
    reader; another step with `timeout: 1s` is stopped at its timeout."""
    stamps = _beside_a_slow_step(
        checklist,
        tmp_path,
        """
        - id: loud
          run: seq 1 300000
        """,
    )
    proc = start_relcheck("run", "--dry-run", "-v", cwd=git_repo, env=run_env)
    try:
        wait_for(stamps / "slow.start")
        time.sleep(6)  # nobody reads relcheck's output meanwhile
    finally:
        _out, err = communicate(proc, timeout=90)
    assert proc.returncode == 1, err
    _assert_slow_stopped_at_its_timeout(latest_record(git_repo), stamps)


def test_a_long_line_shown_live_at_a_terminal_does_not_hold_other_steps_past_their_timeout(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    """`-v` at a terminal: a step prints a 3 MB line (a minified bundle, a JSON blob),
    which takes seconds to lay out for the terminal. Meanwhile another step with
    `timeout: 1s` is stopped at its timeout."""
    stamps = _beside_a_slow_step(
        checklist,
        tmp_path,
        """
        - id: one-long-line
          run: head -c 3000000 /dev/zero | tr '\\0' x; echo
        """,
    )
    child = spawn_relcheck("run", "--dry-run", "-v", cwd=git_repo, env=run_env, timeout=120)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    record = latest_record(git_repo)
    assert step_record(record, "one-long-line")["status"] == "passed"
    _assert_slow_stopped_at_its_timeout(record, stamps)


@pytest.mark.xdist_group("whole-machine")  # each one loads every CPU, disk or memory
def test_ctrl_c_reaches_every_one_of_many_running_steps_at_once(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    """200 command steps run (`--jobs 200`; the default on a 100-CPU machine); Ctrl-C.
    Every step gets its SIGINT promptly: one reached late is SIGKILLed by a second
    Ctrl-C first, and recorded as `failed: killed by signal 9`, not interrupted."""
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    count = 200
    commands = [_stamped_sleeper(stamps, f"s{i}") for i in range(count)]
    steps = "".join(f'\n  - id: s{i}\n    run: "{run}"' for i, run in enumerate(commands))
    (git_repo / "relcheck.yaml").write_text("version: 1\nsteps:" + steps)
    git(git_repo, "add", "relcheck.yaml")
    git(git_repo, "commit", "-q", "-m", "checklist")
    before = read_records(git_repo)
    proc = start_relcheck("run", "--dry-run", "-q", "--jobs", str(count), cwd=git_repo, env=run_env)
    try:
        deadline = time.monotonic() + 60
        while len(list(stamps.glob("*.pid"))) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list(stamps.glob("*.pid"))) == count
        time.sleep(0.5)  # every step is in its `wait`
        sent = time.time()
        proc.send_signal(signal.SIGINT)
    finally:
        out, err = communicate(proc, timeout=90)
    assert proc.returncode == 130, out + err
    assert not any(record_problems(c) for c in read_records(git_repo).values())
    assert len(read_records(git_repo)) == len(before) + 1
    stopped = sorted(float((stamps / f"s{i}.stop").read_text()) - sent for i in range(count))
    median, last = statistics.median(stopped), stopped[-1]
    assert last < 2.0, f"Ctrl-C reached the steps after {median:.2f}s (median), {last:.2f}s (last)"
    record = latest_record(git_repo)
    assert {s["status"] for s in record["steps"]} == {"interrupted"}
    assert not survivors(stamps)
