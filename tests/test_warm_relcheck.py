"""The suite's warm relcheck (tests/warm_relcheck.py) shows a test what a real process
shows: the same exit code and output, the test's folder, environment and stdin, and a
run that outlasts its timeout is stopped."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import WARM, git, run_relcheck, run_relcheck_anew
from tests.warm_relcheck import REAL_PROCESSES


@pytest.mark.skipif(REAL_PROCESSES, reason="RELCHECK_TESTS_REAL_PROCESSES=1")
def test_runs_are_warm_here(tmp_path: Path) -> None:
    assert WARM.serves(dict(os.environ), str(tmp_path))


def test_a_checklist_error_reads_the_same(git_repo: Path, checklist) -> None:
    checklist("version: 1\nsteps:\n  - id: a\n    rnu: 'true'\n")
    warm, cold = run_relcheck("validate", cwd=git_repo), run_relcheck_anew("validate", cwd=git_repo)
    assert (warm.returncode, warm.stdout, warm.stderr) == (
        cold.returncode,
        cold.stdout,
        cold.stderr,
    )
    assert warm.returncode == 2
    assert "relcheck.yaml:4:5:" in warm.stderr


def test_the_run_sees_the_tests_folder_environment_and_stdin(git_repo: Path, checklist) -> None:
    checklist(
        "version: 1\nsteps:\n"
        "  - id: look\n"
        '    run: \'printf "%s|%s" "$WARM_PROBE" "$PWD" > "$WARM_OUT"\'\n'
    )
    out = git_repo.parent / "seen.txt"
    env = {"WARM_PROBE": "x1", "WARM_OUT": str(out)}
    proc = run_relcheck("run", "--dry-run", "-q", cwd=git_repo, env=env)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == f"x1|{git_repo}"
    # stdin: hook mode reads git's pre-push lines; a deleted branch is nothing to check
    line = f"(delete) {'0' * 40} refs/heads/gone {git(git_repo, 'rev-parse', 'HEAD')}\n"
    warm = run_relcheck("run", "--hook", "pre-push", cwd=git_repo, env=env, input=line)
    cold = run_relcheck_anew("run", "--hook", "pre-push", cwd=git_repo, env=env, input=line)
    assert (warm.returncode, warm.stderr) == (cold.returncode, cold.stderr)
    without = run_relcheck("run", "--hook", "pre-push", cwd=git_repo, env=env)
    assert warm.stderr != without.stderr  # the line was read


def test_a_run_past_its_timeout_is_stopped(git_repo: Path, checklist) -> None:
    checklist(
        "version: 1\nsteps:\n  - id: slow\n    run: 'sleep 30'\n  - id: quick\n    run: 'true'\n"
    )
    start = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        run_relcheck("run", "--dry-run", "-q", cwd=git_repo, timeout=1)
    assert time.monotonic() - start < 10
    # The run holds the repository's lock while it lives: a second run starts only if
    # the first was stopped.
    again = run_relcheck("run", "--dry-run", "--skip", "slow", "--reason", "t", cwd=git_repo)
    assert "1 passed" in again.stdout, again.stdout + again.stderr


def test_a_module_of_the_project_named_like_a_loaded_one_gets_a_new_interpreter(
    git_repo: Path, checklist
) -> None:
    checklist("version: 1\nsteps:\n  - id: a\n    run: 'true'\n")
    (git_repo / "yaml.py").write_text("raise SystemExit('the project\\'s own yaml.py')\n")
    assert not WARM.serves(dict(os.environ), str(git_repo))
    warm, cold = run_relcheck("validate", cwd=git_repo), run_relcheck_anew("validate", cwd=git_repo)
    assert (warm.returncode, warm.stderr) == (cold.returncode, cold.stderr)
