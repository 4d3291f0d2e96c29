"""A run stopped while command steps run (relcheck.engine.steploop waits for them from
the scheduler's thread), and a run that prints steps' output live: real relcheck
processes, real signals, real records."""

from __future__ import annotations

import signal
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
