"""One run at a time per repository: a second run says who holds the lock, a dead run's
lock is taken over, and many runs racing for the lock never hold it together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import latest_record, run_relcheck, start_relcheck
from tests.reliability.support import (
    FIGURES,
    check_run,
    communicate,
    survivors,
    wait_for,
)


def _waiting_step(tmp_path: Path) -> str:
    return f"""
        version: 1
        steps:
          - id: hold
            run: |
              echo $$ > {tmp_path}/pids/hold.pid
              while [ ! -e {tmp_path}/go ]; do sleep 0.05; done
        """


def test_a_second_run_in_the_same_repository_says_which_pid_holds_the_lock(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "pids").mkdir()
    checklist(_waiting_step(tmp_path))
    first = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    try:
        wait_for(tmp_path / "pids" / "hold.pid")
        second = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    finally:
        (tmp_path / "go").touch()
        out, err = communicate(first)
    FIGURES.add("concurrent runs")
    assert second.returncode == 3, second.stdout + second.stderr
    assert f"locked by pid {first.pid}" in second.stderr
    check_run(second.returncode, second.stdout + second.stderr, git_repo)
    assert first.returncode == 0, out + err
    check_run(first.returncode, out + err, git_repo, pid_dir=tmp_path / "pids")


def test_a_lock_left_by_a_dead_process_is_taken_over(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist("version: 1\nsteps:\n  - id: one\n    run: 'true'\n")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = git_repo / ".relcheck"
    state.mkdir()
    (state / "lock").write_text(str(dead.pid))
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)


def test_the_lock_of_a_run_killed_with_sigkill_is_reclaimed(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "pids").mkdir()
    checklist(_waiting_step(tmp_path))
    first = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    wait_for(tmp_path / "pids" / "hold.pid")
    first.kill()
    communicate(first, 30)
    # SIGKILL gives relcheck no chance to stop its step: stop it here, as a CI runner
    # tearing down the job's process tree would.
    step_pid = int((tmp_path / "pids" / "hold.pid").read_text())
    os.killpg(step_pid, signal.SIGKILL)
    survivors(tmp_path / "pids")
    (tmp_path / "go").touch()
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert latest_record(git_repo)["outcome"] == "passed"


_CONTENDER = textwrap.dedent(
    """
    import os, sys, time
    from relcheck.errors import RepoStateError
    from relcheck.system.lock import run_lock

    state, inside, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    while time.time() < start:
        time.sleep(0.001)
    held = refused = overlaps = 0
    while time.time() < start + 1.5:
        try:
            with run_lock(state):
                held += 1
                mine = os.path.join(inside, str(os.getpid()))
                open(mine, "w").close()
                if len(os.listdir(inside)) > 1:
                    overlaps += 1
                time.sleep(0.002)
                os.unlink(mine)
        except RepoStateError as exc:
            assert "locked by" in str(exc), exc
            refused += 1
    print(held, refused, overlaps)
    """
)


@pytest.mark.xdist_group("whole-machine")  # each one loads every CPU, disk or memory
def test_runs_racing_for_the_lock_never_hold_it_together(tmp_path: Path) -> None:
    state, inside = tmp_path / "state", tmp_path / "inside"
    inside.mkdir()
    start = time.time() + 1.0
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _CONTENDER, str(state), str(inside), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    totals = [0, 0, 0]
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        for i, n in enumerate(out.split()):
            totals[i] += int(n)
    held, refused, overlaps = totals
    FIGURES.add("lock acquisitions under contention", held)
    FIGURES.add("lock overlaps", overlaps)
    assert held > 0
    assert refused > 0
    assert overlaps == 0, f"{overlaps} times two runs held the lock at once"
