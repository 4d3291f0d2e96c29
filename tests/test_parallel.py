"""Independent steps run at the same time by default, more of them than there are CPUs."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import latest_record, run_relcheck

# Each step waits (up to 10 s) until all four have started: a barrier that only passes
# when the four run at once.
BARRIER = (
    "touch started-$RELCHECK_STEP; i=0; "
    'while [ "$(ls started-* | wc -l)" -lt 4 ]; do '
    "i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done"
)


def test_four_waiting_steps_run_at_once_by_default(git_repo: Path, checklist) -> None:
    steps = "".join(f"  - id: w{i}\n    run: '{BARRIER}'\n" for i in range(4))
    checklist("version: 1\nsteps:\n" + steps)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {s["status"] for s in latest_record(git_repo)["steps"]} == {"passed"}


def test_jobs_caps_how_many_steps_run_at_once(git_repo: Path, checklist) -> None:
    fast_barrier = BARRIER.replace("-gt 100", "-gt 5")
    steps = "".join(f"  - id: w{i}\n    run: '{fast_barrier}'\n" for i in range(4))
    checklist("version: 1\nsteps:\n" + steps)
    proc = run_relcheck("run", "--dry-run", "--jobs", "2", cwd=git_repo, timeout=60)
    assert proc.returncode == 1
    assert "failed" in {s["status"] for s in latest_record(git_repo)["steps"]}
