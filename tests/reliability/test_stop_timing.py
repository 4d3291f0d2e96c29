"""A run stopped while command steps run (relcheck.engine.steploop waits for them from
the scheduler's thread), and a run that prints steps' output live: real relcheck
processes, real signals, real records."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from tests.helpers import latest_record, start_relcheck, step_record
from tests.reliability.support import check_run, communicate, read_records, wait_for

# A person who presses Ctrl-C twice may well press it within this.
_SECOND_CTRL_C_AFTER = 0.12
_TRIES = 3  # where the first Ctrl-C lands between two polls varies from run to run


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

    The service is stopped from the scheduler's thread; the command steps' deadlines,
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
