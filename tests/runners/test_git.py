"""The `git` precondition runner, through real `relcheck run` processes on real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def _checklist(sentinel: Path, release: str = "", with_: str = "") -> str:
    """A checklist: the git preconditions, a check that proves it ran, the tag."""
    return f"""
version: 1
release:
  tag: "v{{version}}"
  branch: [main, "release/*"]
{release}
steps:
  - id: repo
    uses: git
    with: {{{with_}}}
  - id: unit
    run: [touch, "{sentinel}"]
  - id: tag
    uses: git-tag
"""


@pytest.fixture
def release(git_repo: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Commit a release checklist; run relcheck; return (process, record, sentinel)."""
    sentinel = tmp_path / "unit-ran"

    def make(release: str = "", with_: str = "", commit: bool = True) -> Path:
        write(git_repo / "relcheck.yaml", _checklist(sentinel, release, with_))
        if commit:
            commit_all(git_repo, "checklist")
            if "push: true" in release:  # a pushed tag needs its commit on the remote
                git(git_repo, "push", "-q", "origin", "main")
        return sentinel

    def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        proc = run_relcheck("run", *args, cwd=git_repo, env=env)
        assert_no_traceback(proc)
        return proc, latest_record(git_repo)

    make.run = run  # type: ignore[attr-defined]
    return make


def _blocked(proc, record, sentinel: Path, repo: Path) -> str:  # type: ignore[no-untyped-def]
    """Assert the run was blocked by its preconditions; return what the user saw."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert record["outcome"] == "blocked"
    assert step_record(record, "repo")["status"] == "failed"
    assert step_record(record, "unit")["status"] == "skipped"
    assert not sentinel.exists(), "a check ran after a failed precondition"
    assert (
        "v1.2.0" not in tags(repo) or git(repo, "rev-parse", "v1.2.0^{commit}") != record["commit"]
    )
    return out


def test_preconditions_hold_on_a_fresh_release_commit(git_repo: Path, release) -> None:
    sentinel = release()
    proc, record = release.run("--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    repo = step_record(record, "repo")
    assert repo["status"] == "passed"
    assert repo["summary"] == "9 release preconditions hold; no earlier release"
    assert any("changelog: CHANGELOG.md:3 is the section for 1.2.0" in d for d in repo["details"])
    assert sentinel.exists()
    assert tags(git_repo) == []


def test_dirty_tree_blocks_with_exit_3_and_says_to_stash(git_repo: Path, release) -> None:
    sentinel = release()
    write(git_repo / "CHANGELOG.md", "edited\n")
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert "clean: 1 tracked file changed and not committed (CHANGELOG.md)" in out
    assert "git stash" in out
    assert tags(git_repo) == []


def test_untracked_files_block_unless_allowed(git_repo: Path, release) -> None:
    sentinel = release()
    write(git_repo / "scratch.txt", "notes")
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert "untracked: 1 untracked file (scratch.txt)" in out
    assert "untracked: allow" in out

    release(with_="untracked: allow")  # the checklist change is committed; scratch stays
    proc, record = release.run("--dry-run")
    assert proc.returncode == 0, proc.stdout


def _refused(proc, record, sentinel: Path, repo: Path) -> str:  # type: ignore[no-untyped-def]
    """Assert the checks ran and passed while the release was refused; return the output."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert record["outcome"] == "passed"
    assert step_record(record, "repo")["status"] == "skipped"
    assert step_record(record, "unit")["status"] == "passed"
    assert step_record(record, "tag")["status"] == "skipped"
    assert sentinel.exists(), "the checks did not run"
    assert tags(repo) == []
    return out


def test_wrong_branch_refuses_the_release_and_runs_the_checks(git_repo: Path, release) -> None:
    sentinel = release()
    git(git_repo, "switch", "-q", "-c", "feature")
    proc, record = release.run()
    out = _refused(proc, record, sentinel, git_repo)
    assert (
        "the release would be refused: branch: on branch 'feature', but releases are made "
        "from main or release/*" in out
    )
    assert "git switch main" not in out


def test_a_branch_matching_a_release_glob_is_a_release_branch(git_repo: Path, release) -> None:
    release()
    git(git_repo, "switch", "-q", "-c", "release/1.2")
    proc, record = release.run("--dry-run")
    assert proc.returncode == 0, proc.stdout
    assert "branch: on release/1.2" in step_record(record, "repo")["details"]


def test_detached_head_refuses_the_release_and_runs_the_checks(git_repo: Path, release) -> None:
    sentinel = release()
    git(git_repo, "switch", "-q", "--detach", "HEAD")
    proc, record = release.run()
    out = _refused(proc, record, sentinel, git_repo)
    assert "the release would be refused: branch: HEAD is detached at" in out


def _push_from_another_clone(tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(other))
    commit_all(other, "someone else's change")
    git(other, "push", "-q", "origin", "main")


def test_behind_upstream_blocks_and_says_to_pull(git_repo: Path, release, tmp_path: Path) -> None:
    sentinel = release()
    git(git_repo, "push", "-q", "origin", "main")
    _push_from_another_clone(tmp_path)
    git(git_repo, "fetch", "-q", "origin")
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert "upstream: 1 commit behind origin/main" in out
    assert "git pull --ff-only" in out


def test_unpushed_commits_block_a_release_that_pushes_its_tag(git_repo: Path, release) -> None:
    sentinel = release(release="  push: true")
    commit_all(git_repo, "one more, not pushed")  # HEAD is ahead of origin/main
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert "upstream: 1 commit not pushed to origin/main, and the tag is pushed" in out
    assert "`git push` the branch first" in out
    assert "v1.2.0" not in git(git_repo, "ls-remote", "--tags", "origin")


def test_unpushed_commits_are_fine_when_the_tag_stays_local(git_repo: Path, release) -> None:
    release()
    proc, record = release.run("--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 commit not pushed yet" in "\n".join(step_record(record, "repo")["details"])


def test_fetch_true_finds_new_upstream_commits_first(
    git_repo: Path, release, tmp_path: Path
) -> None:
    release()
    git(git_repo, "push", "-q", "origin", "main")
    _push_from_another_clone(tmp_path)
    proc, _ = release.run("--dry-run")
    assert proc.returncode == 0, proc.stdout  # the local tracking ref does not know yet
    sentinel = release(with_="fetch: true")
    sentinel.unlink()
    proc, _ = release.run()
    out = proc.stdout
    assert proc.returncode == 3, out
    assert "upstream: the branch and origin/main have diverged" in out
    assert not sentinel.exists()


def test_existing_local_tag_elsewhere_blocks_naming_both_commits(git_repo: Path, release) -> None:
    old = git(git_repo, "rev-parse", "HEAD")
    git(git_repo, "tag", "-a", "-m", "earlier", "v1.2.0")
    sentinel = release()
    head = git(git_repo, "rev-parse", "HEAD")
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert f"v1.2.0 already exists at {old[:9]}, not at the checked commit {head[:9]}" in out
    assert "bump the version" in out
    assert git(git_repo, "rev-parse", "v1.2.0^{commit}") == old  # never moved


def test_existing_remote_tag_elsewhere_blocks_naming_both_commits(
    git_repo: Path, release, tmp_path: Path
) -> None:
    old = git(git_repo, "rev-parse", "HEAD")
    git(git_repo, "tag", "-a", "-m", "earlier", "v1.2.0")
    git(git_repo, "push", "-q", "origin", "v1.2.0")
    git(git_repo, "tag", "-d", "v1.2.0")
    sentinel = release()
    head = git(git_repo, "rev-parse", "HEAD")
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert (
        f"v1.2.0 already exists on origin at {old[:9]}, not at the checked commit {head[:9]}" in out
    )
    assert tags(git_repo) == []


def test_unreachable_remote_is_a_clear_failure_not_a_hang(git_repo: Path, release) -> None:
    sentinel = release(with_="network_timeout: 1s")
    git(git_repo, "remote", "set-url", "origin", "ssh://git@example.invalid/repo.git")
    proc, record = release.run(env={"GIT_SSH_COMMAND": "sleep 60 #"})
    out = _blocked(proc, record, sentinel, git_repo)
    assert "tag: could not ask 'origin' whether v1.2.0 exists there: no answer within 1s" in out
    assert "remote_tag: false" in out


def test_version_mismatch_blocks_and_says_to_bump(git_repo: Path, release) -> None:
    sentinel = release()
    proc, record = release.run("--version", "1.3.0")
    out = _blocked(proc, record, sentinel, git_repo)
    assert "version: the release version is 1.3.0 but pyproject.toml says 1.2.0" in out
    assert "bump the version in pyproject.toml to 1.3.0" in out


def test_missing_changelog_section_blocks(git_repo: Path, release) -> None:
    write(git_repo / "CHANGELOG.md", "# Changelog\n\n## [1.1.0] - 2026-01-01\n")
    sentinel = release()
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert "changelog: CHANGELOG.md has no section for 1.2.0" in out
    assert "## [1.2.0] - YYYY-MM-DD" in out


def test_changelog_path_is_configurable_and_can_be_switched_off(git_repo: Path, release) -> None:
    git(git_repo, "mv", "CHANGELOG.md", "HISTORY.md")
    release(release="  changelog: HISTORY.md")
    proc, _ = release.run("--dry-run")
    assert proc.returncode == 0, proc.stdout
    assert "would be refused" not in proc.stdout, proc.stdout
    release(release="  changelog: docs/CHANGES.md")
    proc, record = release.run("--dry-run")
    assert proc.returncode == 0, proc.stdout  # a dry run's exit code is the checks'
    assert "would be refused: changelog: docs/CHANGES.md does not exist" in proc.stdout
    assert step_record(record, "repo")["status"] == "skipped"
    release(release="  changelog: null")
    proc, _ = release.run("--dry-run")
    assert proc.returncode == 0, proc.stdout


def test_no_commit_since_the_previous_release_blocks(git_repo: Path, release) -> None:
    sentinel = release()
    git(git_repo, "tag", "-a", "-m", "previous", "v1.1.0")
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert "new-commits: no commits since v1.1.0: nothing new to release" in out


def test_every_failed_precondition_is_reported_in_one_run(git_repo: Path, release) -> None:
    write(git_repo / "CHANGELOG.md", "# Changelog\n")
    sentinel = release()
    git(git_repo, "switch", "-q", "-c", "feature")
    write(git_repo / "pyproject.toml", "[project]\nname = 'demo'\nversion = '1.2.0'\n# edit\n")
    proc, record = release.run("--version", "1.3.0")
    out = _refused(proc, record, sentinel, git_repo)  # not on the release branch
    assert "the release would be refused: clean: 1 tracked file changed" in out
    details = step_record(record, "repo")["details"]
    assert [d.split(":")[0] for d in details] == ["clean", "branch", "version", "changelog"]
    assert all("; fix: " in d for d in details)


def test_already_released_commit_passes_without_running_anything(git_repo: Path, release) -> None:
    sentinel = release()
    proc, _ = release.run()  # relcheck makes the release
    assert proc.returncode == 0, proc.stdout + proc.stderr
    before = git(git_repo, "rev-parse", "v1.2.0")
    sentinel.unlink()
    proc, record = release.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "v1.2.0 is already released at" in proc.stdout
    assert "nothing to do" in proc.stdout
    assert record["outcome"] == "passed"
    assert step_record(record, "tag")["status"] == "skipped"
    assert not sentinel.exists()
    assert git(git_repo, "rev-parse", "v1.2.0") == before


def _blocked_by_tag(proc, record, sentinel: Path) -> str:  # type: ignore[no-untyped-def]
    """Assert the run was blocked by an existing tag, which stays; return the output."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert record["outcome"] == "blocked"
    assert step_record(record, "repo")["summary"].endswith("failed: tag")
    assert not sentinel.exists(), "a check ran after a failed precondition"
    return out


def _lightweight(repo: Path) -> None:
    git(repo, "tag", "v1.2.0")


def _annotated_by_hand(repo: Path) -> None:
    git(repo, "tag", "-a", "-m", "made by hand", "v1.2.0")


@pytest.mark.parametrize(
    ("make_tag", "what"),
    [
        (_lightweight, "a lightweight tag"),
        (_annotated_by_hand, "an annotated tag without relcheck's Relcheck-* trailers"),
    ],
    ids=["lightweight", "annotated-by-hand"],
)
def test_a_tag_relcheck_did_not_make_at_head_is_a_precondition_failure(
    git_repo: Path, release, make_tag, what: str
) -> None:
    sentinel = release()
    make_tag(git_repo)
    before = git(git_repo, "rev-parse", "v1.2.0")
    proc, record = release.run()
    out = _blocked_by_tag(proc, record, sentinel)
    assert f"tag: v1.2.0 is at the checked commit but is {what}" in out
    assert "fix: delete it with `git tag -d v1.2.0` and let relcheck make it" in out
    assert "already released" not in out
    assert git(git_repo, "rev-parse", "v1.2.0") == before


def test_a_release_tag_that_never_reached_the_remote_is_not_a_release(
    git_repo: Path, release, tmp_path: Path
) -> None:
    sentinel = release()  # push: false: relcheck makes the tag here only
    proc, _ = release.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sentinel = release(release="  push: true")
    git(git_repo, "tag", "-d", "v1.2.0")
    git(git_repo, "commit", "-q", "--amend", "--no-edit")  # same content, new commit
    git(git_repo, "push", "-q", "--force", "origin", "main")
    proc, _ = release.run()  # made and pushed: on the remote too
    assert proc.returncode == 0, proc.stdout + proc.stderr
    git(tmp_path / "remote.git", "tag", "-d", "v1.2.0")  # the remote lost it
    sentinel.unlink()
    proc, record = release.run()
    out = _blocked_by_tag(proc, record, sentinel)
    assert "v1.2.0 was made at" in out and "but is not on origin" in out
    assert "push it with `git push origin refs/tags/v1.2.0`" in out
    assert git(tmp_path / "remote.git", "tag", "--list") == ""  # nothing pushed on its own


def test_release_already_on_the_remote_counts_as_released(git_repo: Path, release) -> None:
    sentinel = release(release="  push: true")
    proc, _ = release.run()  # made and pushed by relcheck
    assert proc.returncode == 0, proc.stdout + proc.stderr
    git(git_repo, "tag", "-d", "v1.2.0")
    sentinel.unlink()
    proc, _ = release.run()
    assert proc.returncode == 0, proc.stdout
    assert "already released on origin" in proc.stdout
    assert not sentinel.exists()
    assert tags(git_repo) == []  # nothing changed here either


def test_a_hand_made_tag_on_the_remote_at_head_is_not_a_release(git_repo: Path, release) -> None:
    sentinel = release()
    git(git_repo, "tag", "-a", "-m", "made in CI by hand", "v1.2.0")
    git(git_repo, "push", "-q", "origin", "v1.2.0")
    git(git_repo, "tag", "-d", "v1.2.0")
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert "tag: v1.2.0 on origin is at the checked commit but is an annotated tag" in out
    assert "`git push --delete origin v1.2.0`" in out
    assert tags(git_repo) == []  # the remote's tag was read, not made a ref here


@pytest.mark.parametrize("version", ["v1;rm -rf ~", "--upload-pack=x"])
def test_a_version_that_is_not_a_version_is_refused_with_exit_2(
    git_repo: Path, release, version: str
) -> None:
    sentinel = release()
    proc = run_relcheck("run", "--version", version, cwd=git_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"--version {version!r}" in proc.stderr
    assert not sentinel.exists()
    assert tags(git_repo) == []


def test_a_bad_version_in_pyproject_blocks_the_release(git_repo: Path, release) -> None:
    write(git_repo / "pyproject.toml", "[project]\nname = 'demo'\nversion = '1.2.0;id'\n")
    sentinel = release(release="  changelog: null")
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert "version: version '1.2.0;id' is not a version" in out
    assert tags(git_repo) == []


def test_checks_can_be_switched_off_one_by_one(git_repo: Path, release) -> None:
    release(with_="branch: false, clean: false")
    git(git_repo, "switch", "-q", "--detach", "HEAD")
    write(git_repo / "CHANGELOG.md", "# Changelog\n\n## 1.2.0\n- edited\n")
    proc, record = release.run("--dry-run")
    assert proc.returncode == 0, proc.stdout
    assert (
        step_record(record, "repo")["summary"] == "7 release preconditions hold; no earlier release"
    )


def test_unknown_check_name_is_a_load_error_with_its_line(git_repo: Path, release) -> None:
    release(with_="clen: false", commit=False)
    proc = run_relcheck("run", cwd=git_repo)
    assert proc.returncode == 2
    assert (
        "relcheck.yaml:9:12: steps[0].with: unknown key 'clen'" in proc.stderr
        and "did you mean 'clean'" in proc.stderr
    )


@pytest.mark.parametrize("dry_run", [(), ("--dry-run",)])
def test_version_from_the_command_line_must_be_given_before_any_step_runs(
    git_repo: Path, release, dry_run: tuple[str, ...]
) -> None:
    sentinel = release(release="  version_from: cli")
    proc = run_relcheck("run", *dry_run, cwd=git_repo)
    assert_no_traceback(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "version_from: cli needs --version VERSION" in proc.stderr
    assert "no version" not in proc.stdout
    assert not sentinel.exists()
    assert tags(git_repo) == []

    proc, _ = release.run("--dry-run", "--version", "1.2.0")
    assert proc.returncode == 0, proc.stdout
    assert "would tag v1.2.0" in proc.stdout


def test_a_push_checked_by_the_hook_is_not_held_to_release_preconditions(
    git_repo: Path, release, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from relcheck.engine.session import RunRequest, execute
    from relcheck.report.text import TextReporter
    from relcheck.system.interrupts import Cancellation

    sentinel = release()
    git(git_repo, "tag", "-a", "-m", "last release", "v1.2.0", "HEAD~1")  # main moved on
    monkeypatch.chdir(git_repo)
    out = io.StringIO()
    result, _ = execute(
        RunRequest(root=str(git_repo), mode="hook"), TextReporter(out), Cancellation()
    )
    assert str(result.outcome) == "passed", out.getvalue()
    repo = result.result("repo")
    assert repo is not None and repo.status == "skipped"  # not "passed": never checked
    assert "checked by a release, not a push" in repo.summary
    assert sentinel.exists()  # the checks ran
    assert result.result("tag").status == "skipped"  # type: ignore[union-attr]


def test_records_written_inside_the_repository_do_not_make_it_dirty(
    git_repo: Path, release
) -> None:
    release()
    proc = run_relcheck("run", "--dry-run", "--record-dir", "records", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "would be refused" not in proc.stdout, proc.stdout
    assert (git_repo / "records").is_dir()
    write(git_repo / "scratch.txt", "but this counts")
    proc = run_relcheck("run", "--dry-run", "--record-dir", "records", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout  # a dry run's exit code is the checks'
    assert "would be refused: untracked: 1 untracked file (scratch.txt)" in proc.stdout


@pytest.mark.parametrize("branch", ["[]", '""'])
def test_a_release_branch_that_names_no_branch_is_refused_at_load_time(
    git_repo: Path, tmp_path: Path, branch: str
) -> None:
    sentinel = tmp_path / "unit-ran"
    write(
        git_repo / "relcheck.yaml",
        f"""
version: 1
release:
  branch: {branch}
steps:
  - id: repo
    uses: git
  - id: unit
    run: [touch, "{sentinel}"]
  - id: tag
    uses: git-tag
""",
    )
    commit_all(git_repo, "checklist")
    proc = run_relcheck("run", cwd=git_repo)
    assert_no_traceback(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "relcheck.yaml:3:11: release.branch: give at least one branch name or glob" in (
        proc.stderr
    )
    assert "IndexError" not in proc.stdout + proc.stderr
    assert not sentinel.exists()
    assert tags(git_repo) == []


def test_git_describe_finds_the_previous_release_and_version_names_the_new_one(
    git_repo: Path, release
) -> None:
    git(git_repo, "tag", "-a", "-m", "earlier", "v1.1.0")
    sentinel = release(release="  version_from: git-describe\n  changelog: null")
    git(git_repo, "tag", "deploy-2026-11-26")  # not a release tag: never a version
    proc = run_relcheck("run", cwd=git_repo)
    assert_no_traceback(proc)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "version_from: git-describe needs --version VERSION" in proc.stderr
    assert "the previous release is v1.1.0" in proc.stderr
    assert not sentinel.exists()

    head = git(git_repo, "rev-parse", "HEAD")
    proc, record = release.run("--version", "1.2.0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "new-commits: 1 commit since v1.1.0" in step_record(record, "repo")["details"]
    assert git(git_repo, "rev-parse", "v1.2.0^{commit}") == head

    sentinel.unlink()
    proc, record = release.run("--version", "1.2.0")  # the same release again: nothing to do
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "v1.2.0 is already released at" in proc.stdout
    assert not sentinel.exists()


def test_a_check_switched_off_in_the_git_step_is_not_asked_again_when_tagging(
    git_repo: Path, release
) -> None:
    release(with_="branch: false, clean: false")
    git(git_repo, "switch", "-q", "--detach", "HEAD")
    write(git_repo / "CHANGELOG.md", "# Changelog\n\n## 1.2.0\n- edited\n")
    proc, record = release.run()
    assert proc.returncode == 0, proc.stdout
    assert step_record(record, "tag")["status"] == "passed"
    assert git(git_repo, "rev-parse", "v1.2.0^{commit}") == record["commit"]


def test_git_describe_refuses_a_version_that_is_not_newer_than_the_previous_release(
    git_repo: Path, release
) -> None:
    git(git_repo, "tag", "-a", "-m", "earlier", "v1.10.0")
    sentinel = release(release="  version_from: git-describe\n  changelog: null")
    proc, record = release.run("--version", "1.2.0")
    out = _blocked(proc, record, sentinel, git_repo)
    assert "version: 1.2.0 is not newer than the last release v1.10.0" in out


def test_a_junit_report_left_by_the_last_run_does_not_make_it_dirty(
    git_repo: Path, release
) -> None:
    release()
    proc = run_relcheck("run", "--dry-run", "--junit", "reports/junit.xml", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "would be refused" not in proc.stdout, proc.stdout
    assert (git_repo / "reports" / "junit.xml").is_file()
    proc = run_relcheck("run", "--dry-run", "--junit", "reports/junit.xml", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "would be refused" not in proc.stdout, proc.stdout
    proc = run_relcheck("run", cwd=git_repo)  # without it, it is the user's file
    assert proc.returncode == 3
    assert "untracked: 1 untracked file (reports/)" in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    ("ci", "fix"),
    [
        ({}, "git switch main"),
        ({"CI": "true", "GITLAB_CI": "true"}, 'git checkout -B main "$CI_COMMIT_SHA"'),
        ({"CI": "true", "GITHUB_ACTIONS": "true"}, 'git checkout -B main "$GITHUB_SHA"'),
    ],
)
def test_a_detached_head_names_the_fix_for_where_relcheck_runs(
    git_repo: Path, release, ci: dict[str, str], fix: str
) -> None:
    release()
    git(git_repo, "switch", "-q", "--detach", "HEAD")
    proc, _ = release.run(env=ci)
    assert "HEAD is detached at" in proc.stdout, proc.stdout
    assert fix in proc.stdout, proc.stdout


def test_a_development_version_is_looked_for_in_the_changelog_as_its_release(
    git_repo: Path, release
) -> None:
    # The changelog has the section of 1.2.0, the release that 1.2.0.dev0 leads to: the
    # one fix is to drop .dev0, not to add a section for a version nobody releases.
    pyproject = git_repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"1.2.0"', '"1.2.0.dev0"'))
    sentinel = release()
    proc, record = release.run()
    out = _blocked(proc, record, sentinel, git_repo)
    assert "1.2.0.dev0 is a development version, not a release" in out
    assert "has no section" not in out
