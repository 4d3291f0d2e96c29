"""The engine: needs, optional steps, fail-fast, selection, parallelism, the release gate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.helpers import latest_record, release_plugin, run_relcheck, step_record


def _times(step: dict) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.fromisoformat(step["started_at"]), dt.datetime.fromisoformat(
        step["ended_at"]
    )


PARALLEL = """
version: 1
steps:
  - id: one
    run: sleep 0.4
  - id: two
    run: sleep 0.4
"""


def test_independent_steps_overlap_with_two_jobs(git_repo: Path, checklist) -> None:
    checklist(PARALLEL)
    proc = run_relcheck("run", "--dry-run", "--jobs", "2", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = latest_record(git_repo)
    one, two = _times(step_record(record, "one")), _times(step_record(record, "two"))
    assert one[0] < two[1] and two[0] < one[1], "the steps did not overlap"


def test_independent_steps_do_not_overlap_with_one_job(git_repo: Path, checklist) -> None:
    checklist(PARALLEL)
    proc = run_relcheck("run", "--dry-run", "--jobs", "1", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = latest_record(git_repo)
    one, two = _times(step_record(record, "one")), _times(step_record(record, "two"))
    assert one[1] <= two[0] or two[1] <= one[0], "the steps overlapped with --jobs 1"


def test_step_whose_dependency_failed_is_skipped_with_the_reason(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: build
            run: exit 1
          - id: test
            run: echo never
            needs: [build]
          - id: after-test
            run: echo never
            needs: [test]
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 1
    record = latest_record(git_repo)
    assert step_record(record, "test")["status"] == "skipped"
    assert step_record(record, "test")["reason"] == "needs 'build', which failed"
    assert step_record(record, "after-test")["reason"] == "needs 'test', which was skipped"


def test_optional_failure_is_reported_but_does_not_block(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    env = release_plugin(tmp_path / "plugins")
    sentinel = tmp_path / "released"
    checklist(
        f"""
        version: 1
        steps:
          - id: flaky-extra
            run: exit 1
            optional: true
          - id: required
            run: "true"
          - id: tag
            uses: sentinel-release
            with: {{sentinel: {sentinel}}}
        """
    )
    proc = run_relcheck("run", cwd=git_repo, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "optional: does not block the release" in proc.stdout
    assert sentinel.exists()
    record = latest_record(git_repo)
    assert step_record(record, "flaky-extra")["status"] == "failed"
    assert step_record(record, "flaky-extra")["optional"] is True


def test_release_step_never_runs_after_a_required_failure(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    env = release_plugin(tmp_path / "plugins")
    sentinel = tmp_path / "released"
    checklist(
        f"""
        version: 1
        steps:
          - id: tag
            uses: sentinel-release
            with: {{sentinel: {sentinel}}}
          - id: unit
            run: exit 1
        """
    )
    proc = run_relcheck("run", cwd=git_repo, env=env)
    assert proc.returncode == 1
    assert not sentinel.exists()
    record = latest_record(git_repo)
    assert record["outcome"] == "failed"
    assert step_record(record, "tag")["status"] == "skipped"
    assert "required step 'unit' failed" in step_record(record, "tag")["reason"]
    # Release steps run last, whatever their place in the file.
    assert [s["id"] for s in record["steps"]] == ["tag", "unit"]


def test_dry_run_says_what_the_release_step_would_do(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    env = release_plugin(tmp_path / "plugins")
    sentinel = tmp_path / "released"
    checklist(
        f"""
        version: 1
        steps:
          - id: unit
            run: "true"
          - id: tag
            uses: sentinel-release
            with: {{sentinel: {sentinel}}}
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"dry run: would write {sentinel}" in proc.stdout
    assert not sentinel.exists()


def test_skipped_required_step_blocks_the_release_and_is_recorded(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    env = release_plugin(tmp_path / "plugins")
    sentinel = tmp_path / "released"
    checklist(
        f"""
        version: 1
        steps:
          - id: slow-suite
            run: "true"
          - id: tag
            uses: sentinel-release
            with: {{sentinel: {sentinel}}}
        """
    )
    proc = run_relcheck(
        "run", "--skip", "slow-suite", "--reason", "flaky infra", cwd=git_repo, env=env
    )
    assert proc.returncode == 1
    assert not sentinel.exists()
    record = latest_record(git_repo)
    assert record["skipped"] == {"slow-suite": "flaky infra"}
    assert step_record(record, "slow-suite")["reason"] == "skipped on request: flaky infra"


def test_skip_without_reason_is_a_usage_error(git_repo: Path, checklist) -> None:
    checklist(PARALLEL)
    proc = run_relcheck("run", "--skip", "one", cwd=git_repo)
    assert proc.returncode == 2
    assert "--skip needs --reason" in proc.stderr


def test_only_runs_the_named_steps_and_records_the_selection(git_repo: Path, checklist) -> None:
    checklist(PARALLEL)
    proc = run_relcheck("run", "--dry-run", "--only", "two", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = latest_record(git_repo)
    assert record["only"] == ["two"]
    assert [s["id"] for s in record["steps"]] == ["two"]


def test_unknown_step_in_only_is_a_usage_error(git_repo: Path, checklist) -> None:
    checklist(PARALLEL)
    proc = run_relcheck("run", "--only", "three", cwd=git_repo)
    assert proc.returncode == 2
    assert "--only names unknown step(s): three" in proc.stderr


def test_fail_fast_starts_nothing_after_a_required_failure(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: first
            run: exit 1
          - id: second
            run: "true"
        """
    )
    proc = run_relcheck("run", "--dry-run", "--fail-fast", "--jobs", "1", cwd=git_repo)
    assert proc.returncode == 1
    record = latest_record(git_repo)
    assert step_record(record, "second")["status"] == "skipped"
    assert "--fail-fast after 'first' failed" in step_record(record, "second")["reason"]


def test_retries_record_the_attempts_and_mark_a_late_pass_flaky(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    counter = tmp_path / "count"
    checklist(
        f"""
        version: 1
        steps:
          - id: wobbly
            run: 'echo x >> {counter}; [ $(wc -l < {counter}) -ge 2 ]'
            retries: 2
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    step = step_record(latest_record(git_repo), "wobbly")
    assert step["attempts"] == 2
    assert "(flaky, 2 attempts)" in step["summary"]
