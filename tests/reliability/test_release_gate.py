"""The release gate: a late pass is shown and recorded as flaky with its attempts; a
step failing every attempt, or timing out, blocks the tag (the test plugin's release
step and the real git-tag step, locally and on the remote); a passing run tags once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import latest_record, run_relcheck, step_record, tags
from tests.reliability.support import FIGURES, check_run, remote_tags, with_release


def test_a_late_pass_shows_as_flaky_in_output_and_record(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    marker = tmp_path / "attempted"
    checklist(
        f"""
        version: 1
        steps:
          - id: wobbly
            retries: 2
            run: |
              if [ -e {marker} ]; then echo second try; exit 0; fi
              touch {marker}; echo first try; exit 1
        """
    )
    junit = tmp_path / "junit.xml"
    proc = run_relcheck("run", "--dry-run", "--junit", str(junit), cwd=git_repo, env=run_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert "passed (flaky, 2 attempts)" in proc.stdout
    assert "passed (flaky, 2 attempts)" in junit.read_text()
    step = step_record(latest_record(git_repo), "wobbly")
    assert step["status"] == "passed"
    assert step["attempts"] == 2
    assert step["summary"].startswith("passed (flaky, 2 attempts)")
    assert step["metrics"]["flaky"] is True
    log = Path(step["log"]).read_text()
    assert "first try" in log
    assert "second try" in log


def test_a_step_failing_every_attempt_blocks_the_release(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    sentinel, count = tmp_path / "released", tmp_path / "count"
    checklist(
        with_release(
            f"""
        version: 1
        steps:
          - id: broken
            retries: 3
            run: echo attempt >> {count}; exit 1
        """,
            sentinel,
        )
    )
    proc = run_relcheck("run", cwd=git_repo, env=run_env)
    FIGURES.add("retry runs")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert count.read_text().split() == ["attempt"] * 4
    step = step_record(latest_record(git_repo), "broken")
    assert step["status"] == "failed"
    assert step["attempts"] == 4
    assert "flaky" not in step["summary"]
    assert not sentinel.exists()
    assert not tags(git_repo)


def test_a_passing_release_run_makes_exactly_one_tag(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    # The control case: the same release step does tag when every check passed, so the
    # "no tag" assertions elsewhere cannot pass merely because tagging is broken.
    sentinel = tmp_path / "released"
    checklist(
        with_release(
            """
        version: 1
        steps:
          - id: fine
            run: 'true'
        """,
            sentinel,
        )
    )
    proc = run_relcheck("run", cwd=git_repo, env=run_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert tags(git_repo) == ["v1.2.0"]
    assert sentinel.read_text() == "v1.2.0\n"


@pytest.mark.parametrize("check", ["exit 1", "sleep 5"])
def test_the_real_git_tag_step_makes_no_tag_locally_or_remotely_after_a_failure(
    git_repo: Path, checklist, run_env: dict[str, str], check: str
) -> None:
    checklist(
        f"""
        version: 1
        release: {{tag: "v{{version}}", push: true, remote: origin}}
        steps:
          - id: check
            run: {check}
            timeout: 1s
          - id: tag
            uses: git-tag
        """
    )
    proc = run_relcheck("run", cwd=git_repo, env=run_env)
    FIGURES.add("runs with the git-tag step")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert step_record(latest_record(git_repo), "tag")["status"] == "skipped"


def test_the_real_git_tag_step_tags_and_pushes_when_every_check_passed(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(
        """
        version: 1
        release: {tag: "v{version}", push: true, remote: origin}
        steps:
          - id: check
            run: 'true'
          - id: tag
            uses: git-tag
        """
    )
    proc = run_relcheck("run", cwd=git_repo, env=run_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert tags(git_repo) == ["v1.2.0"]
    assert remote_tags(git_repo) == ["v1.2.0"]
