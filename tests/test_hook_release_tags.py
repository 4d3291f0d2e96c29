"""The pre-push hook guards release tags: only a tag relcheck made for a passing run of
its commit may be pushed, checked as `relcheck verify` checks it. Real pushes to a
local bare remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit_all, git, push, remote_tags, run_relcheck, write

CHECKLIST = """
version: 1
steps:
  - id: unit
    run: "true"
  - id: tag
    uses: git-tag
"""


@pytest.fixture
def guarded(git_repo: Path, cli_invoke) -> Path:  # type: ignore[no-untyped-def]
    write(git_repo / "relcheck.yaml", CHECKLIST)
    commit_all(git_repo, "checklist")
    git(git_repo, "push", "-q", "origin", "main")
    result = cli_invoke("hook", "install", cwd=git_repo)
    assert result.exit_code == 0, result.output
    return git_repo


def test_a_lightweight_release_tag_is_refused_with_the_fix(guarded: Path) -> None:
    git(guarded, "tag", "v1.2.0")
    refused = push(guarded, "origin", "v1.2.0")
    assert refused.returncode != 0
    output = refused.stderr
    assert "pre-push refused: v1.2.0 is a release tag" in output
    assert "maker: v1.2.0 is a lightweight tag" in output
    assert "fix: delete it with `git tag -d v1.2.0`, and let `relcheck run` make" in output
    assert remote_tags(guarded) == []


def test_a_release_tag_without_the_v_is_a_release_tag_too(guarded: Path) -> None:
    git(guarded, "tag", "1.2.0")
    refused = push(guarded, "origin", "1.2.0")
    assert refused.returncode != 0
    assert "pre-push refused: 1.2.0 is a release tag (it names version 1.2.0)" in refused.stderr
    assert remote_tags(guarded) == []


def test_a_hand_made_annotated_tag_is_refused(guarded: Path) -> None:
    git(guarded, "tag", "-a", "-m", "Release 1.2.0", "v1.2.0")
    refused = push(guarded, "origin", "v1.2.0")
    assert refused.returncode != 0
    assert "maker: v1.2.0's message carries no relcheck run summary" in refused.stderr
    assert remote_tags(guarded) == []


def test_a_tag_whose_version_is_not_the_project_s_is_refused(guarded: Path) -> None:
    git(guarded, "tag", "v9.9.9")
    refused = push(guarded, "origin", "v9.9.9")
    assert refused.returncode != 0
    assert (
        "version: v9.9.9 names 9.9.9, but the project's version (pyproject.toml at"
        in refused.stderr
    )
    assert remote_tags(guarded) == []


def test_a_relcheck_tag_copied_to_another_version_is_refused(guarded: Path) -> None:
    made = run_relcheck("run", cwd=guarded)
    assert made.returncode == 0, made.stdout + made.stderr
    git(guarded, "tag", "v9.9.9", "v1.2.0")  # the same tag object, under another name
    refused = push(guarded, "origin", "v9.9.9")
    assert refused.returncode != 0
    assert "name: the run made v1.2.0, not v9.9.9" in refused.stderr
    assert remote_tags(guarded) == []


def test_a_tag_relcheck_made_for_a_passing_run_is_accepted(guarded: Path) -> None:
    made = run_relcheck("run", cwd=guarded)
    assert made.returncode == 0, made.stdout + made.stderr
    accepted = push(guarded, "origin", "v1.2.0")
    assert accepted.returncode == 0, accepted.stderr
    assert "v1.2.0: a release tag relcheck made for a passing run of" in accepted.stderr
    assert remote_tags(guarded) == ["v1.2.0"]
    verified = run_relcheck("verify", "v1.2.0", cwd=guarded)
    assert verified.returncode == 0, verified.stdout


def test_the_hook_and_verify_refuse_the_same_tag_for_the_same_reason(guarded: Path) -> None:
    git(guarded, "tag", "-a", "-m", "by hand", "v1.2.0")
    refused = push(guarded, "origin", "v1.2.0")
    verified = run_relcheck("verify", "v1.2.0", cwd=guarded)
    assert verified.returncode == 1
    reason = "maker: v1.2.0's message carries no relcheck run summary"
    assert reason in refused.stderr
    assert reason in verified.stdout


def test_a_tag_that_is_no_release_tag_is_left_to_the_usual_checks(guarded: Path) -> None:
    git(guarded, "tag", "deploy-42")
    accepted = push(guarded, "origin", "deploy-42")
    assert accepted.returncode == 0, accepted.stderr
    assert "pre-push refused" not in accepted.stderr
    assert remote_tags(guarded) == ["deploy-42"]


def test_a_project_without_a_git_tag_step_keeps_its_own_tags(git_repo: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    write(git_repo / "relcheck.yaml", 'version: 1\nsteps:\n  - id: unit\n    run: "true"\n')
    commit_all(git_repo, "checklist")
    assert cli_invoke("hook", "install", cwd=git_repo).exit_code == 0
    git(git_repo, "tag", "v1.2.0")
    accepted = push(git_repo, "origin", "v1.2.0")
    assert accepted.returncode == 0, accepted.stderr
    assert remote_tags(git_repo) == ["v1.2.0"]


def test_verify_says_what_it_checked_and_what_an_unsigned_tag_proves(guarded: Path) -> None:
    made = run_relcheck("run", cwd=guarded)
    assert made.returncode == 0, made.stdout + made.stderr
    verified = run_relcheck("verify", "v1.2.0", cwd=guarded)
    assert "checked: maker, version, commit, name, steps, checklist, signature" in verified.stdout
    assert "they prove nothing about who made the tag" in verified.stdout


@pytest.mark.parametrize("target", ["HEAD^{tree}", "HEAD:pyproject.toml"])
def test_a_release_tag_of_a_tree_or_blob_is_refused_by_name(guarded: Path, target: str) -> None:
    git(guarded, "tag", "-a", "-m", "t", "v9.0.0", target)
    kind = "a tree" if "tree" in target else "a blob"
    refused = push(guarded, "origin", "v9.0.0")
    assert refused.returncode != 0
    assert f"pre-push refused: v9.0.0 points at {kind}, not a commit" in refused.stderr
    assert "fix: delete it with `git tag -d v9.0.0`" in refused.stderr
    assert "does not name a commit in" not in refused.stderr
    assert remote_tags(guarded) == []


def test_a_tag_of_a_tree_that_names_no_release_is_pushed_with_a_notice(guarded: Path) -> None:
    git(guarded, "tag", "-a", "-m", "t", "snapshot", "HEAD^{tree}")
    accepted = push(guarded, "origin", "refs/tags/snapshot")
    assert accepted.returncode == 0, accepted.stderr
    assert remote_tags(guarded) == ["snapshot"]
