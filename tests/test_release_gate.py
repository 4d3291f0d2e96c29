"""The release gate at its edges: what may skip, select, interrupt or crash around the
release steps, through real `relcheck` processes on real repositories."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import assert_no_traceback, commit_all, run_relcheck, tags, write


def _tag_checklist(repo: Path, extra: str = "") -> None:
    write(
        repo / "relcheck.yaml",
        f"""
        version: 1
        steps:
          - id: unit
            run: "true"
          - id: tag
            uses: git-tag
        {extra}""",
    )
    commit_all(repo, "checklist")


def test_skipping_a_release_step_is_refused_and_no_tag_is_made(git_repo: Path) -> None:
    _tag_checklist(git_repo)
    proc = run_relcheck("run", "--skip", "tag", "--reason", "not today", cwd=git_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--skip cannot skip release step 'tag'" in proc.stderr
    assert "--dry-run" in proc.stderr
    assert tags(git_repo) == []
    assert_no_traceback(proc)


def test_only_naming_a_release_step_is_refused_with_exit_2(git_repo: Path) -> None:
    _tag_checklist(git_repo)
    proc = run_relcheck("run", "--only", "tag", cwd=git_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--only cannot select release step 'tag'" in proc.stderr
    assert "relcheck release --from-records" in proc.stderr
    assert tags(git_repo) == []
    assert_no_traceback(proc)
