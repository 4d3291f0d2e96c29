"""Many steps: a long `needs` chain, hundreds of parallel steps, more parallel steps than
file descriptors allow, and more steps than terminal lines. Each run completes, every
step is in the record, and nothing crashes. (How long they take is measured by
``bench/bench.py --scale``, not here.)"""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pexpect
import pytest

from tests.helpers import RELCHECK, latest_record, run_relcheck, spawn_relcheck, transcript
from tests.reliability.support import FIGURES, check_run


def _steps(count: int, *, chain: bool = False, last_first: bool = False) -> str:
    lines = ["version: 1", "steps:"]
    for i in range(count):
        lines += [f"  - id: s{i}", '    run: "true"']
        if chain and last_first and i + 1 < count:
            lines.append(f"    needs: [s{i + 1}]")
        elif chain and not last_first and i:
            lines.append(f"    needs: [s{i - 1}]")
    return "\n".join(lines) + "\n"


def _all_recorded(repo: Path, count: int) -> None:
    steps = latest_record(repo)["steps"]
    passed = {s["id"] for s in steps if s["status"] == "passed"}
    missing = count - len(passed)
    FIGURES.add("scale: scenarios")
    FIGURES.add("scale: steps lost or not passed", missing)
    assert len(steps) == count
    assert missing == 0


def test_a_300_step_needs_chain_runs_in_order_and_is_recorded(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(_steps(300, chain=True))
    proc = run_relcheck("run", "--dry-run", "-q", cwd=git_repo, env=run_env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    _all_recorded(git_repo, 300)
    steps = latest_record(git_repo)["steps"]
    starts = [s["started_at"] for s in steps]
    assert starts == sorted(starts)  # each waited for the one before


@pytest.mark.xdist_group("whole-machine")  # each one loads every CPU, disk or memory
def test_500_independent_steps_with_200_jobs_all_finish(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(_steps(500))
    proc = run_relcheck(
        "run", "--dry-run", "-q", "--jobs", "200", cwd=git_repo, env=run_env, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    _all_recorded(git_repo, 500)


def test_more_jobs_than_file_descriptors_allow_are_capped_not_a_crash(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    # Before: under `ulimit -n 256`, --jobs 200 ran out of descriptors, steps could not
    # start and relcheck exited 70.
    checklist(_steps(200).replace('run: "true"', 'run: "sleep 0.2"'))

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

    proc = subprocess.run(
        [*RELCHECK, "run", "--dry-run", "-q", "--jobs", "200"],
        cwd=git_repo,
        env={**os.environ, **run_env},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=low_limit,  # the child's own limit, set before it starts relcheck
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    _all_recorded(git_repo, 200)


def test_a_long_chain_written_last_first_validates_and_a_cycle_in_it_is_named(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    # Before: checking it for cycles recursed once per step and crashed (exit 70).
    text = _steps(2000, chain=True, last_first=True)
    checklist(text)
    proc = run_relcheck("validate", cwd=git_repo, env=run_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checklist(
        text.replace(
            '  - id: s1999\n    run: "true"\n', '  - id: s1999\n    run: "true"\n    needs: [s0]\n'
        )
    )
    proc = run_relcheck("validate", cwd=git_repo, env=run_env)
    FIGURES.add("scale: scenarios", 2)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "needs form a cycle: s0 -> s1 -> s2" in proc.stdout + proc.stderr


def test_the_live_view_fits_more_steps_than_the_terminal_has_lines(
    git_repo: Path, checklist
) -> None:
    checklist(_steps(60).replace('run: "true"', "run: while [ ! -e go ]; do sleep 0.05; done", 1))
    child = spawn_relcheck("run", "--dry-run", "--jobs", "1", cwd=git_repo, rows=12)
    child.expect("not shown")  # s0 waits for the file: 59 steps cannot fit in 12 lines
    (git_repo / "go").touch()
    child.expect(pexpect.EOF)
    child.close()
    seen = transcript(child)
    assert child.exitstatus == 0, seen
    assert "relcheck: passed: 60 passed" in seen
    FIGURES.add("scale: scenarios")
    _all_recorded(git_repo, 60)
