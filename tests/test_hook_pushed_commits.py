"""The pre-push hook and pushed commits that have no checklist. Real pushes to a local
bare remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit_all, git, push, write

CHECKLIST = """
version: 1
steps:
  - id: unit
    run: "true"
  - id: tag
    uses: git-tag
"""


@pytest.fixture
def hooked(git_repo: Path, cli_invoke) -> Path:  # type: ignore[no-untyped-def]
    """git_repo (whose first commit has no checklist) with a checklist committed on top,
    pushed, and relcheck's pre-push hook installed."""
    write(git_repo / "relcheck.yaml", CHECKLIST)
    commit_all(git_repo, "adopt relcheck")
    git(git_repo, "push", "-q", "origin", "main")
    assert cli_invoke("hook", "install", cwd=git_repo).exit_code == 0
    return git_repo


def remote_ref(repo: Path, ref: str) -> str | None:
    out = git(repo, "ls-remote", "origin", ref)
    return out.split()[0] if out else None


def test_an_orphan_branch_without_a_checklist_is_pushed_with_a_notice(hooked: Path) -> None:
    git(hooked, "checkout", "-q", "--orphan", "gh-pages")
    git(hooked, "rm", "-rqf", ".")
    write(hooked / "index.html", "x\n")
    pages = commit_all(hooked, "docs")
    pushed = push(hooked, "origin", "gh-pages")
    assert pushed.returncode == 0, pushed.stderr
    assert (
        f"relcheck: nothing to check: refs/heads/gh-pages ({pages[:9]}) has no relcheck.yaml"
        in pushed.stderr
    )
    assert "error" not in pushed.stderr
    assert remote_ref(hooked, "refs/heads/gh-pages") == pages


def test_a_commit_from_before_relcheck_is_pushed_with_a_notice(hooked: Path) -> None:
    old = git(hooked, "rev-parse", "HEAD~1")
    pushed = push(hooked, "origin", f"{old}:refs/heads/old")
    assert pushed.returncode == 0, pushed.stderr
    assert f"nothing to check: refs/heads/old ({old[:9]}) has no relcheck.yaml" in pushed.stderr
    assert "relcheck-checkout-" not in pushed.stderr
    assert remote_ref(hooked, "refs/heads/old") == old


def test_a_commit_with_a_checklist_is_still_checked_in_the_same_push(hooked: Path) -> None:
    old = git(hooked, "rev-parse", "HEAD~1")
    write(hooked / "relcheck.yaml", CHECKLIST.replace('"true"', '"false"'))
    broken = commit_all(hooked, "break the check")
    refused = push(hooked, "origin", f"{old}:refs/heads/old", "main")
    assert refused.returncode != 0
    assert f"nothing to check: refs/heads/old ({old[:9]}) has no relcheck.yaml" in refused.stderr
    assert "pre-push refused: required step 'unit' failed" in refused.stderr
    assert remote_ref(hooked, "refs/heads/main") != broken


def test_a_release_tag_on_a_commit_without_a_checklist_is_refused(hooked: Path) -> None:
    old = git(hooked, "rev-parse", "HEAD~1")
    git(hooked, "tag", "-a", "-m", "Release 1.2.0", "v1.2.0", old)
    refused = push(hooked, "origin", "v1.2.0")
    assert refused.returncode != 0
    assert "pre-push refused: v1.2.0 is a release tag" in refused.stderr
    assert f"{old[:9]} has no relcheck.yaml: no relcheck run can have checked it" in refused.stderr
    assert remote_ref(hooked, "refs/tags/v1.2.0") is None
