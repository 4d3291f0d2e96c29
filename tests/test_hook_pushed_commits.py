"""The pre-push hook and pushed commits that have no checklist, or a broken one: what
the pusher reads names the commit and the file as committed. Real pushes to a local
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


@pytest.fixture
def hooked_in_ci(git_repo: Path, cli_invoke) -> Path:  # type: ignore[no-untyped-def]
    """git_repo whose checklist is ci/relcheck.yaml (named in pyproject.toml), with a
    check that fails, pushed before the check was made to fail; the hook installed."""
    with (git_repo / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.relcheck]\nchecklist = "ci/relcheck.yaml"\n')
    write(git_repo / "ci" / "relcheck.yaml", CHECKLIST)
    commit_all(git_repo, "adopt relcheck")
    git(git_repo, "push", "-q", "origin", "main")
    write(git_repo / "ci" / "relcheck.yaml", CHECKLIST.replace('run: "true"', "run: exit 1"))
    commit_all(git_repo, "a check that fails")
    assert cli_invoke("hook", "install", cwd=git_repo).exit_code == 0
    return git_repo


def test_a_commit_that_removes_the_checklist_is_checked_all_the_same(
    hooked_in_ci: Path,
) -> None:
    # Its parent had one: a deleted (or moved) checklist never lets a push through
    # unchecked. The working tree's checklist checks it.
    repo = hooked_in_ci
    git(repo, "rm", "-q", "--cached", "ci/relcheck.yaml")
    gone = commit_all(repo, "drop the checklist from the commit")
    pushed = push(repo, "origin", "main")
    assert pushed.returncode != 0, pushed.stderr
    assert "nothing to check" not in pushed.stderr
    assert remote_ref(repo, "refs/heads/main") != gone


def test_a_commit_whose_pyproject_does_not_parse_is_checked(hooked_in_ci: Path) -> None:
    # Its pyproject.toml cannot say where its checklist is: never "nothing to check".
    repo = hooked_in_ci
    with (repo / "pyproject.toml").open("a") as fh:
        fh.write("[broken\n")
    broken = commit_all(repo, "a pyproject.toml that does not parse")
    pushed = push(repo, "origin", "main")
    assert pushed.returncode != 0, pushed.stderr
    assert "nothing to check" not in pushed.stderr
    assert remote_ref(repo, "refs/heads/main") != broken


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


def test_a_broken_checklist_is_named_as_committed_with_the_pushed_commit(hooked: Path) -> None:
    git(hooked, "checkout", "-q", "-b", "badyaml")
    write(hooked / "relcheck.yaml", "version: 1\nsteps:\n  - id: unit\n    run: [unclosed\n")
    bad = commit_all(hooked, "break the checklist")
    git(hooked, "checkout", "-q", "main")  # the check runs in a temporary worktree
    refused = push(hooked, "origin", "badyaml")
    assert refused.returncode != 0
    assert f"relcheck.yaml:5:1 (in {bad[:9]}, refs/heads/badyaml): YAML syntax error" in (
        refused.stderr
    )
    assert "relcheck-checkout-" not in refused.stderr
    assert remote_ref(hooked, "refs/heads/badyaml") is None


def test_an_invalid_checklist_at_head_is_named_with_the_pushed_commit(hooked: Path) -> None:
    write(hooked / "relcheck.yaml", 'version: 1\nsteps:\n  - id: unit\n    runn: "true"\n')
    bad = commit_all(hooked, "misspell a key")
    refused = push(hooked, "origin", "main")
    assert refused.returncode != 0
    where = f"relcheck.yaml:4:5 (in {bad[:9]}, refs/heads/main)"
    assert f"{where}: steps[0]: unknown key 'runn'" in refused.stderr
    assert remote_ref(hooked, "refs/heads/main") != bad
