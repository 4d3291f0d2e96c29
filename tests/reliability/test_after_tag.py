"""After the tag: whatever fails once the release tag exists (a push that outlasts its
timeout, a signal during the push, a closed stdout, a report or record that cannot be
written, a release step after the tag), relcheck asks the remote what is true, says
it, and exits by one rule:

    the exit code says whether the release exists as the checklist asks: 0 when the tag
    is on the remote at the checked commit and every release step completed, whatever
    could not be printed or written afterwards (a warning says what); non-zero when not,
    and then the local tag is removed only when the remote does not have it.

Real repositories, a bare remote with real (slow) hooks, real relcheck processes."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.helpers import (
    RELCHECK,
    commit_all,
    git,
    latest_record,
    run_relcheck,
    start_relcheck,
    tags,
    write,
)
from tests.reliability.support import (
    FIGURES,
    check_run,
    communicate,
    remote_tags,
    wait_for,
)

TAG = "v1.2.0"


def _release_checklist(repo: Path, *, push_timeout: str = "60s", extra: str = "") -> None:
    write(
        repo / "relcheck.yaml",
        f"""
        version: 1
        release:
          push: true
        steps:
          - id: repo
            uses: git
          - id: unit
            run: "true"
          - id: tag
            uses: git-tag
            with: {{push_timeout: {push_timeout}}}
        {extra}""",
    )
    commit_all(repo, "checklist")
    git(repo, "push", "-q", "origin", "main")


def _remote_hook(repo: Path, name: str, body: str) -> None:
    """A hook in the bare remote (after the checklist's push, so it is not slowed)."""
    hook = Path(git(repo, "remote", "get-url", "origin")) / "hooks" / name
    write(hook, f"#!/bin/sh\n{body}\n")
    hook.chmod(0o755)


def _slow_hook(repo: Path, name: str, started: Path) -> None:
    # `exec` so the hook's process is the sleep: stopping git's process group stops it.
    _remote_hook(repo, name, f"echo started > {started}\nexec sleep 60")


def _lies(code: int, output: str, repo: Path) -> list[str]:
    """Where what relcheck said (exit code, words, local tag) disagrees with what is true
    on the remote, by the rule above; each one is counted in the figures."""
    on_remote, here = TAG in remote_tags(repo), TAG in tags(repo)
    found = []
    if on_remote and code != 0:
        found.append(f"exit {code} but the remote has {TAG}")
    if not on_remote and code == 0:
        found.append(f"exit 0 but the remote does not have {TAG}")
    if on_remote and not here:
        found.append("the local tag was removed though the remote has it")
    if not on_remote and here:
        found.append("the local tag was kept though the remote does not have it")
    if on_remote and "local tag was removed" in output:
        found.append("says the local tag was removed")
    if on_remote and "rerun starts clean" in output:
        found.append("says a rerun starts clean")
    if not on_remote and f"origin does not have {TAG}" not in output:
        found.append("does not say the remote lacks the tag")
    FIGURES.add("after the tag: scenarios")
    FIGURES.add("after the tag: lies", len(found))
    return found


def _assert_truth(code: int, output: str, repo: Path) -> None:
    assert not _lies(code, output, repo), output
    check_run(code, output, repo)


# -- the push -------------------------------------------------------------------------


def test_a_post_receive_hook_outlasting_push_timeout_still_makes_the_release(
    git_repo: Path, tmp_path: Path, run_env: dict[str, str]
) -> None:
    _release_checklist(git_repo, push_timeout="3s")
    _slow_hook(git_repo, "post-receive", tmp_path / "post-receive-started")
    proc = run_relcheck("run", "--no-progress", cwd=git_repo, env=run_env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "git push said 'no answer within 3s'" in output
    assert f"`git ls-remote` shows origin has {TAG}" in output
    assert remote_tags(git_repo) == [TAG] and tags(git_repo) == [TAG]
    _assert_truth(proc.returncode, output, git_repo)


def test_a_pre_receive_hook_outlasting_push_timeout_makes_no_release(
    git_repo: Path, tmp_path: Path, run_env: dict[str, str]
) -> None:
    _release_checklist(git_repo, push_timeout="3s")
    _slow_hook(git_repo, "pre-receive", tmp_path / "pre-receive-started")
    proc = run_relcheck("run", "--no-progress", cwd=git_repo, env=run_env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert f"origin does not have {TAG} (`git ls-remote`)" in output
    assert "the local tag was removed, so a rerun starts clean" in output
    assert remote_tags(git_repo) == [] and tags(git_repo) == []
    _assert_truth(proc.returncode, output, git_repo)


@pytest.mark.parametrize(
    ("sig", "hook", "code"),
    [
        (signal.SIGINT, "post-receive", 0),
        (signal.SIGTERM, "post-receive", 0),
        (signal.SIGINT, "pre-receive", 130),
        (signal.SIGTERM, "pre-receive", 143),
    ],
)
def test_a_signal_during_the_push_ends_as_the_remote_says(
    git_repo: Path, tmp_path: Path, run_env: dict[str, str], sig: int, hook: str, code: int
) -> None:
    """After post-receive starts, the remote has the tag (git updates the ref first):
    the release is made, however the push was stopped. During pre-receive it has not."""
    _release_checklist(git_repo)
    started = tmp_path / f"{hook}-started"
    _slow_hook(git_repo, hook, started)
    proc = start_relcheck("run", "--no-progress", cwd=git_repo, env=run_env)
    wait_for(started)
    proc.send_signal(sig)
    out, err = communicate(proc)
    output = out + err
    assert proc.returncode == code, output
    if code == 0:
        assert "git push said 'interrupted'" in output
        assert f"`git ls-remote` shows origin has {TAG}" in output
    else:
        assert f"origin does not have {TAG}" in output
    _assert_truth(proc.returncode, output, git_repo)


# -- what is printed and written after the tag ------------------------------------------


def test_a_pipe_to_head_never_changes_the_release_or_its_exit_code(
    git_repo: Path, run_env: dict[str, str]
) -> None:
    _release_checklist(git_repo)
    shell = f"{' '.join(RELCHECK)} run --no-progress | head -1; exit ${{PIPESTATUS[0]}}"
    proc = subprocess.run(
        ["bash", "-c", shell],
        cwd=git_repo,
        capture_output=True,
        text=True,
        env={**os.environ, **run_env},
        timeout=120,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert len(proc.stdout.splitlines()) == 1
    assert remote_tags(git_repo) == [TAG]
    _assert_truth(proc.returncode, output, git_repo)


def test_a_closed_stdout_loses_the_output_not_the_release(
    git_repo: Path, run_env: dict[str, str]
) -> None:
    _release_checklist(git_repo)
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stdout fails: EPIPE
    try:
        proc = subprocess.run(
            [*RELCHECK, "run", "--no-progress"],
            cwd=git_repo,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **run_env},
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert "relcheck: warning: standard output was lost (the reader closed the pipe)" in (
        proc.stderr
    )
    assert f"the release {TAG} is made (exit 0)" in proc.stderr
    assert "relcheck: passed: created tag v1.2.0" in proc.stderr
    _assert_truth(proc.returncode, proc.stderr, git_repo)


def test_a_junit_file_that_cannot_be_written_after_the_tag_is_a_warning(
    git_repo: Path, tmp_path: Path, run_env: dict[str, str]
) -> None:
    _release_checklist(git_repo)
    junit = tmp_path / "reports" / "relcheck.xml"
    # During the push, something takes the report's name: the file cannot be written.
    _remote_hook(git_repo, "post-receive", f"mkdir -p {junit}")
    proc = run_relcheck("run", "--no-progress", "--junit", str(junit), cwd=git_repo, env=run_env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "relcheck: warning: the report could not be written" in proc.stderr
    assert f"the release {TAG} is made (exit 0)" in proc.stderr
    _assert_truth(proc.returncode, output, git_repo)


def test_a_disk_that_fills_up_after_the_tag_loses_the_record_not_the_release(
    git_repo: Path, run_env: dict[str, str]
) -> None:
    from tests.reliability.test_disk_faults import _mount

    runs = git_repo / ".relcheck" / "runs"
    runs.mkdir(parents=True)
    why = _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(runs))
    if why:
        pytest.skip(f"cannot mount a small tmpfs here ({why}); a full disk needs one")
    try:
        _release_checklist(git_repo)
        # During the push, the disk the records go to fills up.
        _remote_hook(git_repo, "post-receive", f"cat /dev/zero > {runs}/filler 2>/dev/null; exit 0")
        proc = run_relcheck("run", "--no-progress", cwd=git_repo, env=run_env)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, output
        assert "relcheck: warning: the run record could not be written" in proc.stderr
        assert "No space left on device" in proc.stderr
        assert f"the release {TAG} is made (exit 0)" in proc.stderr
        (runs / "filler").unlink()
        _assert_truth(proc.returncode, output, git_repo)
    finally:
        subprocess.run(["umount", "-l", str(runs)], capture_output=True, check=False)


# -- release steps after the tag ------------------------------------------------------


def test_a_failed_release_step_after_the_tag_is_resumed_by_the_next_run(
    git_repo: Path, tmp_path: Path, run_env: dict[str, str]
) -> None:
    published, refused = tmp_path / "published.txt", tmp_path / "index-down"
    _release_checklist(
        git_repo,
        extra=f"""  - id: publish
            uses: reltest-publish
            with: {{published: "{published}", refused_while: "{refused}"}}
        """,
    )
    refused.write_text("the package index is down")
    first = run_relcheck("run", "--no-progress", cwd=git_repo, env=run_env)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "release step 'publish' failed: the package index refused the upload" in first.stdout
    tag_object = git(git_repo, "rev-parse", TAG)
    assert remote_tags(git_repo) == [TAG]
    assert not published.exists()

    planned = run_relcheck("run", "--dry-run", "--no-progress", cwd=git_repo, env=run_env)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "would not tag again; the release would resume with publish" in planned.stdout

    refused.unlink()
    second = run_relcheck("run", "--no-progress", cwd=git_repo, env=run_env)
    output = second.stdout + second.stderr
    assert second.returncode == 0, output
    assert f"{TAG} is made at" in output
    assert "the release resumes with publish" in output
    assert "SKIP    unit" in second.stdout  # the tag proves the checks passed
    assert "PASS    publish" in second.stdout
    assert git(git_repo, "rev-parse", TAG) == tag_object  # not made again
    assert len(published.read_text().splitlines()) == 1

    third = run_relcheck("run", "--no-progress", cwd=git_repo, env=run_env)
    assert third.returncode == 0, third.stdout + third.stderr
    assert f"{TAG} is already released at" in third.stdout
    assert len(published.read_text().splitlines()) == 1  # never published twice
    FIGURES.add("after the tag: scenarios", 3)
    FIGURES.add("after the tag: lies", 0)
    check_run(third.returncode, third.stdout + third.stderr, git_repo)


def test_without_a_git_step_a_completed_release_step_is_not_run_again(
    git_repo: Path, tmp_path: Path, run_env: dict[str, str]
) -> None:
    published, refused = tmp_path / "published.txt", tmp_path / "index-down"
    announced = tmp_path / "announced.txt"
    write(
        git_repo / "relcheck.yaml",
        f"""
        version: 1
        steps:
          - id: unit
            run: "true"
          - id: tag
            uses: git-tag
          - id: announce
            uses: reltest-publish
            with: {{published: "{announced}", refused_while: "{tmp_path / "never"}"}}
          - id: publish
            uses: reltest-publish
            with: {{published: "{published}", refused_while: "{refused}"}}
        """,
    )
    commit_all(git_repo, "checklist")
    refused.write_text("down")
    first = run_relcheck("run", "--no-progress", cwd=git_repo, env=run_env)
    assert first.returncode == 1, first.stdout
    refused.unlink()
    second = run_relcheck("run", "--no-progress", cwd=git_repo, env=run_env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "SKIP    announce" in second.stdout
    assert "completed in run" in second.stdout
    assert len(announced.read_text().splitlines()) == 1
    assert len(published.read_text().splitlines()) == 1
    # The run that completed the release is the release of its tag, though it skipped
    # the release steps the first run had completed: listed, with its notes.
    completed = latest_record(git_repo)["run_id"]
    listed = run_relcheck("history", "--releases", cwd=git_repo, env=run_env)
    assert completed in listed.stdout, listed.stdout
    assert len(list((git_repo / ".relcheck" / "runs").glob("*.md"))) == 1
    FIGURES.add("after the tag: scenarios", 2)
    FIGURES.add("after the tag: lies", 0)


def test_a_release_another_run_made_at_the_same_commit_meanwhile_is_made(
    git_repo: Path, tmp_path: Path
) -> None:
    # Two runs of the same commit race (two CI jobs, two people): the other run pushes
    # its release tag while this one runs its checks, so this push is rejected. The
    # remote has a release tag relcheck made for the checked commit: the release exists.
    other = tmp_path / "other"
    write(
        git_repo / "relcheck.yaml",
        """
        version: 1
        release:
          push: true
        steps:
          - id: meanwhile
            run: 'if [ -n "$OTHER" ]; then cd "$OTHER" && env -u OTHER $RELCHECK run -q; fi'
          - id: tag
            uses: git-tag
        """,
    )
    commit_all(git_repo, "checklist")
    git(git_repo, "push", "-q", "origin", "main")
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(other))
    env = {"OTHER": str(other), "RELCHECK": " ".join(RELCHECK)}
    proc = run_relcheck("run", cwd=git_repo, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    commit = git(git_repo, "rev-parse", "HEAD")
    assert remote_tags(git_repo) == [TAG]
    assert git(git_repo, "ls-remote", "origin", f"refs/tags/{TAG}^{{}}").startswith(commit)
    assert f"origin already has {TAG} at {commit[:9]}" in out
    # This repository keeps no tag of its own making that the remote does not have.
    assert tags(git_repo) == []
    step = next(s for s in latest_record(git_repo)["steps"] if s["id"] == "tag")
    assert step["status"] == "passed"
