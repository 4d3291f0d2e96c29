"""A shallow clone (a CI checkout of one commit) finds the previous release on the remote:
it never takes a release it cannot see for a first release."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import (
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    remote_tags,
    run_relcheck,
    step_record,
    tags,
    write,
)

GATED = """
version: 1
release: {push: true, changelog: null}
steps:
  - id: repo
    uses: git
  - id: slow
    run: "true"
    baseline: {duration: "+50%"}
  - id: tag
    uses: git-tag
"""
UNGATED = GATED.replace('    baseline: {duration: "+50%"}\n', "")
FIRST = "first release"


def set_version(repo: Path, version: str) -> None:
    write(repo / "pyproject.toml", f'[project]\nname = "demo"\nversion = "{version}"\n')


def released_then_bumped(git_repo: Path, text: str) -> Path:
    """v1.0.0 released (and pushed) by relcheck from ``git_repo``; 1.1.0 committed and
    pushed after it. Returns the bare remote."""
    write(git_repo / "relcheck.yaml", text)
    set_version(git_repo, "1.0.0")
    commit_all(git_repo, "release 1.0.0")
    git(git_repo, "push", "-q", "origin", "main")
    first = run_relcheck("run", "--no-progress", cwd=git_repo)
    assert first.returncode == 0, first.stdout + first.stderr
    set_version(git_repo, "1.1.0")
    commit_all(git_repo, "bump to 1.1.0")
    git(git_repo, "push", "-q", "origin", "main")
    remote = git_repo.parent / "remote.git"
    assert remote_tags(git_repo) == ["v1.0.0"]
    return remote


def shallow_clone(remote: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", "--depth", "1", f"file://{remote}", str(where))
    assert git(where, "rev-parse", "--is-shallow-repository") == "true"
    assert tags(where) == []  # the earlier release tag is not in a depth-1 clone
    return where


def github(tmp_path: Path) -> tuple[dict[str, str], Path]:
    summary = tmp_path / "step-summary.md"
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}, summary


def test_a_shallow_clone_fails_a_gate_it_cannot_judge_and_tags_nothing(
    git_repo: Path, tmp_path: Path
) -> None:
    remote = released_then_bumped(git_repo, GATED)
    clone = shallow_clone(remote, tmp_path / "shallow")
    env, summary = github(tmp_path)
    proc = run_relcheck("run", "--no-progress", cwd=clone, env=env)
    out = proc.stdout + proc.stderr
    assert_no_traceback(proc)
    assert proc.returncode == 1, out
    assert remote_tags(clone) == ["v1.0.0"]  # no v1.1.0 on doubt
    assert tags(clone) == []
    assert "baseline gate failed: duration: the previous release v1.0.0" in out
    assert "fetch-depth: 0" in out and "git fetch --tags --unshallow" in out
    assert FIRST not in out
    slow = step_record(latest_record(clone), "slow")
    assert slow["status"] == "failed"
    kept = latest_record(clone)["baseline"]
    assert kept["previous"] == "v1.0.0"
    assert "v1.0.0" in kept["note"] and FIRST not in kept["note"]
    assert FIRST not in (summary.read_text() if summary.exists() else "")


def test_a_shallow_clone_given_the_history_judges_by_the_previous_release(
    git_repo: Path, tmp_path: Path
) -> None:
    remote = released_then_bumped(git_repo, GATED)
    clone = shallow_clone(remote, tmp_path / "shallow")
    git(clone, "fetch", "-q", "--tags", "--unshallow")  # the fix the message gives
    proc = run_relcheck("run", "--no-progress", "--dry-run", cwd=clone)
    assert "compared with v1.0.0 (run " in proc.stdout, proc.stdout + proc.stderr
    gates = step_record(latest_record(clone), "slow")["metrics"]["baseline_gates"]
    assert len(gates) == 1 and "against v1.0.0" in gates[0], gates


def test_a_shallow_release_without_gates_names_the_previous_release_in_its_notes(
    git_repo: Path, tmp_path: Path
) -> None:
    remote = released_then_bumped(git_repo, UNGATED)
    clone = shallow_clone(remote, tmp_path / "shallow")
    env, summary = github(tmp_path)
    proc = run_relcheck("run", "--no-progress", cwd=clone, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert remote_tags(clone) == ["v1.0.0", "v1.1.0"]
    assert FIRST not in out
    assert "baseline: the previous release v1.0.0" in out
    [notes] = (clone / ".relcheck" / "runs").glob("*.md")
    text = notes.read_text()
    assert "## Changes since v1.0.0" in text
    assert "shallow" in text
    assert FIRST not in text
    assert "## Changes since v1.0.0" in summary.read_text()
    assert FIRST not in summary.read_text()


def test_a_first_release_from_a_shallow_clone_is_still_the_first(
    git_repo: Path, tmp_path: Path
) -> None:
    write(git_repo / "relcheck.yaml", GATED)
    set_version(git_repo, "1.0.0")
    commit_all(git_repo, "release 1.0.0")
    git(git_repo, "push", "-q", "origin", "main")
    clone = shallow_clone(git_repo.parent / "remote.git", tmp_path / "shallow")
    proc = run_relcheck("run", "--no-progress", cwd=clone)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert remote_tags(clone) == ["v1.0.0"]
    assert "baseline: no previous release to compare with (first release)" in proc.stdout


def test_a_shallow_clone_whose_remote_cannot_be_asked_fails_its_gates(
    git_repo: Path, tmp_path: Path
) -> None:
    remote = released_then_bumped(git_repo, GATED)
    clone = shallow_clone(remote, tmp_path / "shallow")
    git(clone, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    proc = run_relcheck("run", "--no-progress", "--dry-run", "--only", "slow", cwd=clone)
    out = proc.stdout + proc.stderr
    assert_no_traceback(proc)
    assert proc.returncode == 1, out
    assert "baseline gate failed: duration: relcheck cannot tell which release came before" in out
    assert "could not be asked" in out
    assert FIRST not in out


@pytest.mark.parametrize(
    ("tag", "released"),
    [
        ("1.2.0", "1.2.0 is already released as 1.2.0"),  # another spelling
        ("v1.2.0", "v1.2.0 is already released at"),  # the template's, made by hand
    ],
)
def test_a_release_of_this_version_on_an_older_commit_is_no_first_release(
    git_repo: Path, tag: str, released: str
) -> None:
    # The template's version 1.2.0, released before (by hand): not a first release.
    write(git_repo / "relcheck.yaml", GATED.replace(", push: true", ""))
    commit_all(git_repo, "checklist")
    git(git_repo, "tag", tag)
    commit_all(git_repo, "after the release")
    git(git_repo, "push", "-q", "origin", "main")
    proc = run_relcheck("run", "--no-progress", "--dry-run", cwd=git_repo)
    out = proc.stdout + proc.stderr
    assert released in out, out
    assert FIRST not in out
    assert f"baseline: the previous release {tag} was not made by relcheck" in out
