"""The installed command answers as a user expects."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import assert_no_traceback, latest_record, run_relcheck


def test_help_runs_as_a_real_process(tmp_path: Path) -> None:
    proc = run_relcheck("--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "relcheck run" in proc.stdout
    assert_no_traceback(proc)


def test_passing_checklist_exits_zero_and_writes_a_record(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: hello
            run: echo hello
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = latest_record(git_repo)
    assert record["outcome"] == "passed"
    assert record["steps"][0]["id"] == "hello"
