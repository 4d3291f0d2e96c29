"""The pre-push hook in a pull-request workflow: every branch is checked, steps that
only make sense for a release never run in the hook, and a blocked push says the one
command that lets it through. Real pushes through the installed hook to a bare remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import (
    commit_all,
    git,
    latest_record,
    push,
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
  - id: on-call
    uses: manual
    with: {{prompt: "On-call has been notified"}}
    {when}
  - id: smoke
    run: "true"
    needs: [on-call]
  - id: tag
    uses: git-tag
"""


def _remote_branches(repo: Path) -> str:
    return git(repo, "ls-remote", "--heads", "origin")


@pytest.fixture
def hooked(git_repo: Path):  # type: ignore[no-untyped-def]
    """git_repo with relcheck's pre-push hook installed; ``hooked(when=...)`` commits the
    checklist with the manual step's ``when:`` line."""

    def make(when: str = "when: release", status: str = "good") -> Path:
        write(git_repo / "relcheck.yaml", CHECKLIST.format(when=when))
        write(git_repo / "status.txt", f"{status}\n")
        commit_all(git_repo, "checklist")
        installed = run_relcheck("hook", "install", cwd=git_repo)
        assert installed.returncode == 0, installed.stderr
        git(git_repo, "switch", "-q", "-c", "feature")
        return git_repo

    return make


def test_a_feature_branch_push_is_checked_and_refused_when_a_check_fails(hooked) -> None:  # type: ignore[no-untyped-def]
    repo = hooked(status="bad")
    refused = push(repo, "origin", "feature")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "refs/heads/feature" not in _remote_branches(repo)
    assert "pre-push refused: required step 'check' failed" in output
    assert "fix: make 'check' pass, commit, and `git push` again" in output
    record = latest_record(repo)
    assert record["mode"] == "hook" and record["branch"] == "feature"


def test_release_only_steps_and_preconditions_are_skipped_in_the_hook(hooked) -> None:  # type: ignore[no-untyped-def]
    repo = hooked()
    write(repo / "work.txt", "change\n")
    commit_all(repo, "work")
    pushed = push(repo, "origin", "feature")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "refs/heads/feature" in _remote_branches(repo)
    record = latest_record(repo)
    assert step_record(record, "check")["status"] == "passed"
    repo_step = step_record(record, "repo")
    assert repo_step["status"] == "skipped"  # not "passed": nothing was checked
    assert "checked by a release, not a push" in repo_step["summary"]
    on_call = step_record(record, "on-call")
    assert on_call["status"] == "skipped"
    assert "runs only for a release (when: release)" in on_call["summary"]
    assert "runs only for a release" in step_record(record, "smoke")["summary"]
    assert tags(repo) == []


def test_an_unmarked_manual_step_blocks_the_push_until_confirmed_by_the_hint(hooked) -> None:  # type: ignore[no-untyped-def]
    repo = hooked(when="")
    refused = push(repo, "origin", "feature")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "fix: `RELCHECK_CONFIRM=on-call git push`" in output
    assert "relcheck run --confirm" not in output  # that would run a whole release
    confirmed = push(repo, "origin", "feature", env={"RELCHECK_CONFIRM": "on-call"})
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    assert "refs/heads/feature" in _remote_branches(repo)
    assert step_record(latest_record(repo), "on-call")["status"] == "passed"
    assert tags(repo) == []


def test_hook_branches_still_choose_what_is_checked(git_repo: Path, hooked) -> None:  # type: ignore[no-untyped-def]
    repo = hooked(status="bad")
    text = (repo / "relcheck.yaml").read_text()
    write(repo / "relcheck.yaml", "hook:\n  branches: [main]\n" + text)
    commit_all(repo, "check only main")
    pushed = push(repo, "origin", "feature")
    assert pushed.returncode == 0, pushed.stderr
    assert "not selected by hook.branches (main)" in pushed.stderr


def test_a_release_only_step_runs_in_a_release_and_not_where_none_follows(hooked) -> None:  # type: ignore[no-untyped-def]
    repo = hooked()
    # On a feature branch no release follows: the confirmation is not asked for.
    ci = run_relcheck("run", "--ci", cwd=repo)
    assert ci.returncode == 0, ci.stdout + ci.stderr
    assert step_record(latest_record(repo), "on-call")["status"] == "skipped"
    # On the release branch it is part of the release.
    git(repo, "switch", "-q", "main")
    unconfirmed = run_relcheck("run", "--ci", cwd=repo)
    assert unconfirmed.returncode == 1, unconfirmed.stdout
    assert tags(repo) == []
    released = run_relcheck("run", "--ci", "--confirm", "on-call", cwd=repo)
    assert released.returncode == 0, released.stdout + released.stderr
    assert step_record(latest_record(repo), "on-call")["status"] == "passed"
    assert tags(repo) == ["v1.2.0"]


def test_an_unknown_when_is_refused_at_load_time_with_its_place(git_repo: Path) -> None:
    write(git_repo / "relcheck.yaml", CHECKLIST.format(when="when: sometimes"))
    proc = run_relcheck("validate", cwd=git_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "relcheck.yaml:12:11: steps[2].when:" in proc.stdout + proc.stderr
