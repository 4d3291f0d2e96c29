"""relcheck.git (refs, tags, remotes, work tree) against real repositories and a real bare
remote."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from relcheck.errors import RepoStateError
from relcheck.git import describe as gitdescribe
from relcheck.git import refs as gitrefs
from relcheck.git import remotes as gitremotes
from relcheck.git import tags as gittags
from relcheck.git import worktree
from tests.helpers import commit_all, git, write


def test_changes_lists_tracked_and_untracked_files_but_not_relchecks_own(git_repo: Path) -> None:
    write(git_repo / "pyproject.toml", "[project]\nname = 'demo'\nversion = '1.3.0'\n")
    write(git_repo / "notes.txt", "scratch")
    write(git_repo / ".relcheck" / "runs" / "x.toml", "x = 1")  # ignored anyway
    git(git_repo, "rm", "-q", "--cached", ".gitignore")  # .relcheck/ now shows as untracked

    everything = worktree.changes(str(git_repo), untracked=True, exclude=(".relcheck",))
    by_path = {c.path: c for c in everything}
    assert by_path["pyproject.toml"].tracked
    assert not by_path["notes.txt"].tracked
    assert not any(p.startswith(".relcheck") for p in by_path)

    tracked_only = worktree.changes(str(git_repo), untracked=False)
    assert "notes.txt" not in {c.path for c in tracked_only}


def test_clean_repository_has_no_changes(git_repo: Path) -> None:
    assert worktree.changes(str(git_repo), untracked=True) == []


def test_ahead_and_behind_come_from_local_tracking_refs(git_repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(other))
    commit_all(other, "elsewhere")
    git(other, "push", "-q", "origin", "main")
    commit_all(git_repo, "here")
    root = str(git_repo)
    assert gitrefs.upstream_of(root) == "origin/main"
    assert gitrefs.ahead_behind(root, "origin/main") == (1, 0)  # not fetched yet
    fetched = gitremotes.fetch(root, "origin", timeout=30)
    assert fetched.ok, fetched.error
    assert gitrefs.ahead_behind(root, "origin/main") == (1, 1)


def test_local_tag_tells_annotated_from_lightweight_and_peels_to_the_commit(
    git_repo: Path,
) -> None:
    head = git(git_repo, "rev-parse", "HEAD")
    git(git_repo, "tag", "light")
    git(git_repo, "tag", "-a", "-m", "annotated", "heavy")
    root = str(git_repo)
    light, heavy = gittags.local_tag(root, "light"), gittags.local_tag(root, "heavy")
    assert light and not light.annotated and light.commit == head
    assert heavy and heavy.annotated and heavy.commit == head and heavy.object != head
    assert gittags.local_tag(root, "hea") is None  # a prefix is not a tag


def test_created_tag_keeps_its_message_verbatim_and_is_deleted_only_if_unchanged(
    git_repo: Path,
) -> None:
    root = str(git_repo)
    head = git(git_repo, "rev-parse", "HEAD")
    made = gittags.create_tag(root, "v1.2.0", head, "Release\n\n# not a comment\n", sign=False)
    assert "# not a comment" in git(git_repo, "cat-file", "tag", "v1.2.0")
    read = gittags.read_tag(root, "v1.2.0")
    assert read and read.commit == head and "# not a comment" in read.message and not read.signed

    git(git_repo, "tag", "-f", "-a", "-m", "someone else's", "v1.2.0")  # replaced meanwhile
    assert gittags.delete_tag(root, made) is not None
    assert gittags.local_tag(root, "v1.2.0") is not None
    assert gittags.delete_tag(root, gittags.local_tag(root, "v1.2.0")) is None  # type: ignore[arg-type]
    assert gittags.local_tag(root, "v1.2.0") is None


def test_create_tag_never_moves_an_existing_tag(git_repo: Path) -> None:
    root = str(git_repo)
    first = git(git_repo, "rev-parse", "HEAD")
    git(git_repo, "tag", "-a", "-m", "first", "v1.2.0")
    second = commit_all(git_repo, "more")
    with pytest.raises(RepoStateError, match="already exists"):
        gittags.create_tag(root, "v1.2.0", second, "again", sign=False)
    assert gittags.local_tag(root, "v1.2.0").commit == first  # type: ignore[union-attr]


def test_remote_tag_commit_reads_the_remote_and_peels_annotated_tags(git_repo: Path) -> None:
    root = str(git_repo)
    head = git(git_repo, "rev-parse", "HEAD")
    assert gitremotes.remote_tag_commit(root, "origin", "v1.2.0", timeout=30)[0] is None
    git(git_repo, "tag", "-a", "-m", "x", "v1.2.0")
    assert gitremotes.push_tag(root, "origin", "v1.2.0", timeout=30).ok
    commit, answer = gitremotes.remote_tag_commit(root, "origin", "v1.2.0", timeout=30)
    assert answer.ok and commit == head


def test_a_remote_that_does_not_answer_is_given_up_after_the_timeout(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real ssh transport whose "ssh" never answers, as a dead host would.
    monkeypatch.setenv("GIT_SSH_COMMAND", "sleep 30 #")
    git(git_repo, "remote", "set-url", "origin", "ssh://git@example.invalid/repo.git")
    started = time.monotonic()
    commit, answer = gitremotes.remote_tag_commit(str(git_repo), "origin", "v1.2.0", timeout=1)
    assert commit is None and not answer.ok
    assert answer.error == "no answer within 1s"
    assert time.monotonic() - started < 25  # stopped, not waited out


def test_a_missing_remote_repository_is_a_failure_with_gits_words(git_repo: Path) -> None:
    git(git_repo, "remote", "set-url", "origin", str(git_repo.parent / "gone.git"))
    _, answer = gitremotes.remote_tag_commit(str(git_repo), "origin", "v1.2.0", timeout=30)
    assert not answer.ok
    assert "gone.git" in answer.error


def test_previous_tag_and_commits_since_it(git_repo: Path) -> None:
    root = str(git_repo)
    git(git_repo, "tag", "-a", "-m", "old", "v1.1.0")
    git(git_repo, "tag", "-a", "-m", "other scheme", "nightly-1")
    assert gitdescribe.previous_tag(root, "v*", "v1.2.0") == "v1.1.0"
    assert gitrefs.count_commits(root, "v1.1.0") == 0
    commit_all(git_repo, "one")
    commit_all(git_repo, "two")
    assert gitrefs.count_commits(root, "v1.1.0") == 2
    assert gitdescribe.previous_tag(root, "v*", "v1.1.0") is None


def test_show_file_reads_the_committed_content_not_the_working_copy(git_repo: Path) -> None:
    head = git(git_repo, "rev-parse", "HEAD")
    write(git_repo / "pyproject.toml", "changed")
    committed = gitrefs.show_file(str(git_repo), head, "pyproject.toml")
    assert committed is not None and b'version = "1.2.0"' in committed
    assert gitrefs.show_file(str(git_repo), head, "missing.txt") is None


def test_git_never_sees_hook_variables(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", os.devnull)
    assert gitrefs.head(str(git_repo)).branch == "main"
