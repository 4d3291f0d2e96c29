"""Checks run on every branch; release preconditions decide only whether to release."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import (
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    run_relcheck,
    step_record,
    tags,
    write,
)

CHECKLIST = """
version: 1
release:
  branch: main
steps:
  - id: repo
    uses: git
  - id: check
    run: test "$(cat status.txt)" = good
  - id: tag
    uses: git-tag
"""


def _setup(repo: Path, status: str = "good") -> None:
    write(repo / "relcheck.yaml", CHECKLIST)
    write(repo / "status.txt", f"{status}\n")
    commit_all(repo, "checklist")
    git(repo, "push", "-q", "origin", "main")


def test_checks_decide_the_exit_code_on_a_feature_branch(git_repo: Path) -> None:
    _setup(git_repo)
    git(git_repo, "switch", "-q", "-c", "feature")
    proc = run_relcheck("run", cwd=git_repo)
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the release would be refused" in proc.stdout
    assert "on branch 'feature'" in proc.stdout
    record = latest_record(git_repo)
    assert step_record(record, "check")["status"] == "passed"
    assert step_record(record, "repo")["status"] == "skipped"
    # Switching to the release branch is not advice for a feature branch's checks.
    assert "git switch" not in step_record(record, "repo")["summary"]
    assert step_record(record, "tag")["status"] == "skipped"
    assert tags(git_repo) == []


def test_a_failing_check_on_a_feature_branch_exits_1_not_3(git_repo: Path) -> None:
    _setup(git_repo, status="bad")
    git(git_repo, "switch", "-q", "-c", "feature")
    proc = run_relcheck("run", cwd=git_repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert step_record(latest_record(git_repo), "check")["status"] == "failed"


def test_a_dry_run_on_the_release_branch_runs_the_checks_despite_a_dirty_tree(
    git_repo: Path,
) -> None:
    _setup(git_repo)
    write(git_repo / "pyproject.toml", '[project]\nname = "demo"\nversion = "1.2.0"\n# edit\n')
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the release would be refused" in proc.stdout
    assert step_record(latest_record(git_repo), "check")["status"] == "passed"


def test_a_release_run_on_the_release_branch_still_stops_at_a_precondition(
    git_repo: Path,
) -> None:
    _setup(git_repo)
    write(git_repo / "pyproject.toml", '[project]\nname = "demo"\nversion = "1.2.0"\n# edit\n')
    proc = run_relcheck("run", cwd=git_repo)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert step_record(latest_record(git_repo), "check")["status"] == "skipped"
    assert tags(git_repo) == []


def test_release_if_new_passes_with_a_notice_when_the_version_is_released(
    git_repo: Path,
) -> None:
    _setup(git_repo)
    first = run_relcheck("run", "--release-if-new", cwd=git_repo)
    assert first.returncode == 0, first.stdout + first.stderr
    assert tags(git_repo) == ["v1.2.0"]
    commit_all(git_repo, "a fix without a bump")
    again = run_relcheck("run", "--release-if-new", cwd=git_repo)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to release: v1.2.0 is already released at" in again.stdout
    assert step_record(latest_record(git_repo), "check")["status"] == "passed"
    # Without the flag, a person releasing the same version is refused.
    plain = run_relcheck("run", cwd=git_repo)
    assert plain.returncode == 3, plain.stdout + plain.stderr


def test_without_a_git_step_a_feature_branch_still_runs_checks_and_releases_nothing(
    git_repo: Path,
) -> None:
    write(git_repo / "relcheck.yaml", CHECKLIST.replace("  - id: repo\n    uses: git\n", ""))
    write(git_repo / "status.txt", "good\n")
    commit_all(git_repo, "checklist without preconditions")
    git(git_repo, "switch", "-q", "-c", "feature")
    proc = run_relcheck("run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = latest_record(git_repo)
    assert step_record(record, "check")["status"] == "passed"
    tag = step_record(record, "tag")
    assert tag["status"] == "skipped"
    assert "the release would be refused: branch: on branch 'feature'" in tag["summary"]
    assert tags(git_repo) == []
    dry = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert dry.returncode == 0, dry.stdout + dry.stderr


def test_a_release_from_records_on_a_feature_branch_is_still_refused(git_repo: Path) -> None:
    _setup(git_repo)
    git(git_repo, "switch", "-q", "-c", "feature")
    job = run_relcheck("run", "--only", "check", "--record-dir", "records", cwd=git_repo)
    assert job.returncode == 0, job.stdout + job.stderr
    proc = run_relcheck("release", "--from-records", "records", cwd=git_repo)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert tags(git_repo) == []
