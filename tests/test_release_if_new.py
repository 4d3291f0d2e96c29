"""`relcheck run --release-if-new` on the release branch (one CI job for every push): a
commit with nothing to release runs the checks, and their verdict is the exit code."""

from __future__ import annotations

import subprocess
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

CHECKLIST = """
version: 1
release:
  branch: main
  push: true
steps:
  - id: repo
    uses: git
  - id: lint
    run: test "$(cat status.txt)" = good
  - id: unit
    run: "true"
  - id: tag
    uses: git-tag
"""


def _setup(repo: Path, version: str = "1.2.0", status: str = "good") -> None:
    write(repo / "relcheck.yaml", CHECKLIST)
    write(repo / "status.txt", f"{status}\n")
    write(repo / "pyproject.toml", f'[project]\nname = "demo"\nversion = "{version}"\n')
    commit_all(repo, "checklist")
    git(repo, "push", "-q", "origin", "main")


def _released_then_fixed(repo: Path, name: str) -> str:
    """1.2.0 released as tag ``name`` and pushed, then a commit without a bump pushed
    after it; the released commit, abbreviated as relcheck names it."""
    _setup(repo)
    git(repo, "tag", "-a", "-m", "release 1.2.0", name)
    git(repo, "push", "-q", "origin", name)
    older = git(repo, "rev-parse", "HEAD")[:9]
    commit_all(repo, "a fix without a bump")
    git(repo, "push", "-q", "origin", "main")
    return older


def _nothing_released(
    repo: Path, proc: subprocess.CompletedProcess[str], says: str, code: int, before: list[str]
) -> None:
    assert_no_traceback(proc)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert says in proc.stdout, proc.stdout
    assert "BLOCKED" not in proc.stdout
    record = latest_record(repo)
    assert step_record(record, "repo")["status"] == "skipped"
    assert says in step_record(record, "repo")["summary"]
    assert step_record(record, "unit")["status"] == "passed"
    assert step_record(record, "lint")["status"] == ("passed" if code == 0 else "failed")
    assert step_record(record, "tag")["status"] == "skipped"
    assert tags(repo) == before
    assert remote_tags(repo) == before


@pytest.mark.parametrize(("status", "code"), [("good", 0), ("bad", 1)])
def test_a_development_version_is_nothing_to_release(
    git_repo: Path, status: str, code: int
) -> None:
    # The release branch between releases, as pallets/flask's main is at 3.2.0.dev.
    _setup(git_repo, "3.2.0.dev", status)
    proc = run_relcheck("run", "--release-if-new", cwd=git_repo)
    says = "nothing to release: 3.2.0.dev is a development version"
    _nothing_released(git_repo, proc, says, code, [])


def test_a_development_version_still_refuses_a_release_by_hand(git_repo: Path) -> None:
    _setup(git_repo, "3.2.0.dev0")
    proc = run_relcheck("run", cwd=git_repo)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "3.2.0.dev0 is a development version, not a release" in proc.stdout
    assert step_record(latest_record(git_repo), "lint")["status"] == "skipped"
    assert tags(git_repo) == []


@pytest.mark.parametrize("name", ["1.2.0", "v1.2.0", "v1.2"])
def test_a_version_released_under_any_spelling_is_nothing_to_release(
    git_repo: Path, name: str
) -> None:
    older = _released_then_fixed(git_repo, name)
    proc = run_relcheck("run", "--release-if-new", cwd=git_repo)
    says = f"nothing to release: v1.2.0 is already released at {older}, an older commit"
    if name != "v1.2.0":
        says = f"nothing to release: 1.2.0 is already released as {name} at {older}, an older"
    _nothing_released(git_repo, proc, says, 0, [name])
    # Without the flag, a person releasing the same version is refused.
    plain = run_relcheck("run", cwd=git_repo)
    assert plain.returncode == 3, plain.stdout + plain.stderr
    assert tags(git_repo) == [name]


@pytest.mark.parametrize("name", ["1.2.0", "v1.2.0"])
def test_a_version_released_is_nothing_to_release_in_a_shallow_clone(
    git_repo: Path, tmp_path: Path, name: str
) -> None:
    # CI's default checkout: one commit, no tags. The remote's tags show the release;
    # the clone cannot show where its commit stands, and the version is released anyway.
    older = _released_then_fixed(git_repo, name)
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{tmp_path / 'remote.git'}", str(clone))
    proc = run_relcheck("run", "--release-if-new", cwd=clone)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "nothing to release: " in proc.stdout
    assert f"at {older} (this shallow clone cannot show that commit)" in proc.stdout
    record = latest_record(clone)
    assert [step_record(record, s)["status"] for s in ("lint", "unit", "tag")] == [
        "passed",
        "passed",
        "skipped",
    ]
    assert remote_tags(clone) == [name]


def test_a_version_released_on_another_line_is_nothing_to_release(git_repo: Path) -> None:
    # 1.2.0 was released from a hotfix branch; main still says 1.2.0.
    _setup(git_repo)
    git(git_repo, "switch", "-q", "-c", "hotfix")
    commit_all(git_repo, "the hotfix")
    git(git_repo, "tag", "-a", "-m", "release 1.2.0", "v1.2.0")
    hotfix = git(git_repo, "rev-parse", "HEAD")[:9]
    git(git_repo, "push", "-q", "origin", "v1.2.0")
    git(git_repo, "switch", "-q", "main")
    commit_all(git_repo, "work on main")
    git(git_repo, "push", "-q", "origin", "main")
    proc = run_relcheck("run", "--release-if-new", cwd=git_repo)
    says = f"v1.2.0 is already released at {hotfix}, a commit outside this branch's history"
    _nothing_released(git_repo, proc, says, 0, ["v1.2.0"])


def test_a_version_released_under_another_spelling_at_this_commit_is_refused(
    git_repo: Path,
) -> None:
    # Not an older commit: a hand-made tag on the checked commit is for a person to settle.
    _setup(git_repo)
    git(git_repo, "tag", "-a", "-m", "release 1.2.0", "1.2.0")
    proc = run_relcheck("run", "--release-if-new", cwd=git_repo)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "1.2.0 is already released as 1.2.0" in proc.stdout
    assert tags(git_repo) == ["1.2.0"]
