"""The release gate: a late pass is shown and recorded as flaky with its attempts; a
step failing every attempt, or timing out, blocks the tag (the test plugin's release
step and the real git-tag step, locally and on the remote); a passing run tags once."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.helpers import git, latest_record, run_relcheck, step_record, tags
from tests.reliability.support import (
    FIGURES,
    check_run,
    read_records,
    remote_tags,
    with_release,
)


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


GIT_TAG_CHECKLIST = """
version: 1
release: {tag: "v{version}", push: true, remote: origin}
hook: {branches: ["main", "refs/tags/v*"]}
steps:
  - id: check
    run: echo checked
  - id: tag
    uses: git-tag
"""


def test_pushing_the_tag_does_not_run_the_pre_push_hook_again(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(GIT_TAG_CHECKLIST)
    installed = run_relcheck("hook", "install", cwd=git_repo, env=run_env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    proc = run_relcheck("run", cwd=git_repo, env=run_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert remote_tags(git_repo) == ["v1.2.0"]
    modes = [tomllib.loads(c.decode())["mode"] for c in read_records(git_repo).values()]
    assert modes == ["run"], "the tag push ran the pre-push hook (a run inside the run)"


def test_a_shallow_clone_without_tags_keeps_no_tag_the_remote_refused(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    # The release was already tagged and pushed elsewhere; a shallow CI clone without
    # tags does not know, builds the same version again, and must end with no tag.
    checklist(GIT_TAG_CHECKLIST)
    git(git_repo, "push", "-q", "origin", "main")
    git(git_repo, "tag", "-a", "-m", "released", "v1.2.0")
    git(git_repo, "push", "-q", "origin", "v1.2.0")
    pushed = git(git_repo, "ls-remote", "--tags", "origin")
    clone = tmp_path / "ci-clone"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-tags",
        f"file://{tmp_path / 'remote.git'}",
        str(clone),
    )
    git(clone, "commit", "-q", "--allow-empty", "-m", "another build")
    assert tags(clone) == []
    proc = run_relcheck("run", cwd=clone, env=run_env)
    FIGURES.add("runs with the git-tag step")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "local tag was removed" in output or "already exists" in output
    assert tags(clone) == []
    assert git(git_repo, "ls-remote", "--tags", "origin") == pushed
    check_run(proc.returncode, output, clone, tags_before=frozenset({"v1.2.0"}))
