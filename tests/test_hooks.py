"""The installed pre-push hook, through real `git push`es to a local bare remote."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from relcheck.git import hooks
from tests.helpers import commit_all, git, latest_record, push, records, write

CHECKLIST = """
version: 1
release:
  branch: main
steps:
  - id: status
    run: test "$(cat status.txt)" = good
    owner: release-team
  - id: where
    run: 'if [ -n "$WHERE" ]; then pwd > "$WHERE"; fi'
"""


@pytest.fixture
def hooked(git_repo: Path, cli_invoke) -> Path:  # type: ignore[no-untyped-def]
    """git_repo with a checklist whose `status` step passes while status.txt says good,
    and relcheck's pre-push hook installed through the command line."""
    write(git_repo / "status.txt", "good\n")
    write(git_repo / "relcheck.yaml", CHECKLIST)
    commit_all(git_repo, "checklist")
    result = cli_invoke("hook", "install", cwd=git_repo)
    assert result.exit_code == 0, result.output
    assert "installed the pre-push hook" in result.output
    return git_repo


def remote_head(repo: Path, branch: str = "main") -> str:
    return git(repo, "ls-remote", "origin", f"refs/heads/{branch}").split()[0]


def worktrees(repo: Path) -> list[str]:
    return [
        line
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


def test_push_is_refused_when_a_step_fails_and_goes_through_when_it_passes(
    hooked: Path,
) -> None:
    write(hooked / "status.txt", "bad\n")
    bad = commit_all(hooked, "break it")
    refused = push(hooked, "origin", "main")
    assert refused.returncode != 0
    assert remote_head(hooked) != bad
    output = refused.stdout + refused.stderr
    assert "FAIL    status" in output
    assert "pre-push refused: required step 'status' failed" in output
    record = latest_record(hooked)
    assert f"relcheck show {record['run_id']}" in output
    assert record["mode"] == "hook"
    assert record["commit"] == bad

    write(hooked / "status.txt", "good\n")
    good = commit_all(hooked, "fix it")
    accepted = push(hooked, "origin", "main")
    assert accepted.returncode == 0, accepted.stderr
    assert remote_head(hooked) == good
    assert latest_record(hooked)["outcome"] == "passed"


def test_deleting_a_remote_branch_runs_nothing(hooked: Path) -> None:
    git(hooked, "push", "-q", "--no-verify", "origin", "main:refs/heads/old")
    write(hooked / "status.txt", "bad\n")  # would fail, if anything ran
    before = len(records(hooked))
    deleted = push(hooked, "origin", "--delete", "old")
    assert deleted.returncode == 0, deleted.stderr
    assert "nothing to check: the push only deletes refs" in deleted.stderr
    assert len(records(hooked)) == before
    assert git(hooked, "ls-remote", "origin", "refs/heads/old") == ""


def test_no_verify_and_relcheck_skip_bypass_the_hook(hooked: Path) -> None:
    write(hooked / "status.txt", "bad\n")
    commit_all(hooked, "break it")
    before = len(records(hooked))
    skipped = push(hooked, "origin", "main", env={"RELCHECK_SKIP": "1"})
    assert skipped.returncode == 0, skipped.stderr
    assert "RELCHECK_SKIP is set: the pre-push checks are skipped" in skipped.stderr

    commit_all(hooked, "another")
    unverified = push(hooked, "--no-verify", "origin", "main")
    assert unverified.returncode == 0, unverified.stderr
    assert "relcheck:" not in unverified.stderr
    assert len(records(hooked)) == before
    assert remote_head(hooked) == git(hooked, "rev-parse", "HEAD")


def test_a_push_to_a_branch_the_hook_does_not_watch_runs_nothing(hooked: Path) -> None:
    text = (hooked / "relcheck.yaml").read_text()
    write(hooked / "relcheck.yaml", "hook:\n  branches: [main, refs/tags/v*]\n" + text)
    git(hooked, "switch", "-q", "-c", "feature")
    write(hooked / "status.txt", "bad\n")
    commit_all(hooked, "work in progress")
    pushed = push(hooked, "origin", "feature")
    assert pushed.returncode == 0, pushed.stderr
    assert "refs/heads/feature not selected by hook.branches (main, refs/tags/v*)" in (
        pushed.stderr
    )


def test_by_default_a_push_to_any_branch_is_checked(hooked: Path) -> None:
    git(hooked, "switch", "-q", "-c", "feature/login")
    write(hooked / "status.txt", "bad\n")
    commit_all(hooked, "work in progress")
    refused = push(hooked, "origin", "feature/login")
    assert refused.returncode != 0
    assert "pre-push refused: required step 'status' failed" in refused.stderr
    assert git(hooked, "ls-remote", "origin", "refs/heads/feature/login") == ""


def test_core_hooks_path_is_honoured(git_repo: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    write(git_repo / "status.txt", "bad\n")
    write(git_repo / "relcheck.yaml", CHECKLIST)
    commit_all(git_repo, "checklist")
    git(git_repo, "config", "core.hooksPath", "githooks")
    result = cli_invoke("hook", "install", cwd=git_repo)
    assert result.exit_code == 0, result.output
    assert (git_repo / "githooks" / "pre-push").is_file()
    assert not (git_repo / ".git" / "hooks" / "pre-push").exists()
    refused = push(git_repo, "origin", "main")
    assert refused.returncode != 0
    assert "pre-push refused" in refused.stderr


def test_hook_file_is_an_executable_posix_sh_script(hooked: Path) -> None:
    path = hooked / ".git" / "hooks" / "pre-push"
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    text = path.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert f"RELCHECK_PYTHON={sys.executable}" in text
    subprocess.run(["sh", "-n", str(path)], check=True)  # parses as POSIX sh


def test_installing_twice_replaces_relcheck_s_own_hook(hooked: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    again = cli_invoke("hook", "install", cwd=hooked)
    assert again.exit_code == 0, again.output
    assert not (hooked / ".git" / "hooks" / "pre-push.relcheck-backup").exists()


def test_a_foreign_hook_is_refused_without_force(git_repo: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    foreign = write(git_repo / ".git" / "hooks" / "pre-push", "#!/bin/sh\nexit 0\n")
    result = cli_invoke("hook", "install", cwd=git_repo)
    assert result.exit_code == 2  # a refusal of what was asked, as for a usage error
    assert "was not written by relcheck; left unchanged" in result.output
    assert "--force" in result.output
    assert foreign.read_text() == "#!/bin/sh\nexit 0\n"
    status = cli_invoke("hook", "status", cwd=git_repo)
    assert status.exit_code == 1
    assert "a hook relcheck did not write" in status.output
    refused = cli_invoke("hook", "uninstall", cwd=git_repo)
    assert refused.exit_code == 2
    assert foreign.exists()


def test_a_foreign_hook_is_kept_chained_and_restored_on_uninstall(
    git_repo: Path,
    cli_invoke,  # type: ignore[no-untyped-def]
) -> None:
    write(git_repo / "status.txt", "good\n")
    write(git_repo / "relcheck.yaml", CHECKLIST)
    commit_all(git_repo, "checklist")
    seen = git_repo.parent / "foreign-saw.txt"
    foreign_text = (
        "#!/bin/sh\n"
        f'cat > "{seen}"\n'
        'if [ -e "$(git rev-parse --show-toplevel)/block" ]; then exit 7; fi\n'
    )
    foreign = write(git_repo / ".git" / "hooks" / "pre-push", foreign_text)
    foreign.chmod(0o755)

    result = cli_invoke("hook", "install", "--force", cwd=git_repo)
    assert result.exit_code == 0, result.output
    backup = git_repo / ".git" / "hooks" / "pre-push.relcheck-backup"
    assert backup.read_text() == foreign_text
    status = cli_invoke("hook", "status", cwd=git_repo)
    assert status.exit_code == 0
    assert "runs first: .git/hooks/pre-push.relcheck-backup" in status.output

    # The foreign hook runs first, gets git's input, and its failure blocks the push.
    commit_all(git_repo, "one")
    (git_repo / "block").write_text("")
    refused = push(git_repo, "origin", "main")
    assert refused.returncode != 0
    assert "the previous pre-push hook" in refused.stderr
    assert "failed with exit code 7" in refused.stderr
    head = git(git_repo, "rev-parse", "HEAD")
    assert seen.read_text().split() == [
        "refs/heads/main",
        head,
        "refs/heads/main",
        remote_head(git_repo),
    ]
    (git_repo / "block").unlink()
    accepted = push(git_repo, "origin", "main")
    assert accepted.returncode == 0, accepted.stderr
    assert latest_record(git_repo)["commit"] == head  # relcheck got the same input

    removed = cli_invoke("hook", "uninstall", cwd=git_repo)
    assert removed.exit_code == 0
    assert "restored the previous pre-push hook" in removed.output
    hook = git_repo / ".git" / "hooks" / "pre-push"
    assert hook.read_text() == foreign_text
    assert os.access(hook, os.X_OK)
    assert not backup.exists()


def test_uninstall_without_a_hook_says_so(git_repo: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    result = cli_invoke("hook", "uninstall", cwd=git_repo)
    assert result.exit_code == 0
    assert "no pre-push hook installed" in result.output
    status = cli_invoke("hook", "status", cwd=git_repo)
    assert status.exit_code == 1
    assert "not installed" in status.output


def test_uncommitted_breakage_does_not_fail_a_push_of_a_good_commit(hooked: Path) -> None:
    good = commit_all(hooked, "good work")
    write(hooked / "status.txt", "bad\n")  # uncommitted, and would fail
    write(hooked / "untracked.txt", "not committed\n")
    where = hooked.parent / "where.txt"
    pushed = push(hooked, "origin", "main", env={"WHERE": str(where)})
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "in a clean temporary worktree" in pushed.stderr
    record = latest_record(hooked)
    assert record["commit"] == good
    assert record["outcome"] == "passed"
    ran_in = where.read_text().strip()
    assert ran_in != str(hooked)  # the steps ran in the worktree, not the working tree
    assert not Path(ran_in).exists()  # which is gone
    assert worktrees(hooked) == [f"worktree {hooked}"]
    assert (hooked / "status.txt").read_text() == "bad\n"  # the work in progress is kept


def test_committed_breakage_is_caught_though_the_working_tree_is_fixed(hooked: Path) -> None:
    write(hooked / "status.txt", "bad\n")
    bad = commit_all(hooked, "break it")
    write(hooked / "status.txt", "good\n")  # fixed, but not committed
    refused = push(hooked, "origin", "main")
    assert refused.returncode != 0
    assert "pre-push refused" in refused.stderr
    assert latest_record(hooked)["commit"] == bad
    assert worktrees(hooked) == [f"worktree {hooked}"]


def test_pushing_another_commit_than_head_checks_that_commit(hooked: Path) -> None:
    write(hooked / "status.txt", "bad\n")
    bad = commit_all(hooked, "break it")
    write(hooked / "status.txt", "good\n")
    commit_all(hooked, "fix it")
    refused = push(hooked, "origin", f"{bad}:refs/heads/main")
    assert refused.returncode != 0
    assert latest_record(hooked)["commit"] == bad
    assert worktrees(hooked) == [f"worktree {hooked}"]


def test_hook_installed_from_a_linked_worktree_goes_to_the_shared_hooks_folder(
    git_repo: Path,
    cli_invoke,  # type: ignore[no-untyped-def]
) -> None:
    linked = git_repo.parent / "linked"
    git(git_repo, "worktree", "add", "-q", "-b", "side", str(linked))
    result = cli_invoke("hook", "install", cwd=linked)
    assert result.exit_code == 0, result.output
    assert hooks.status(str(git_repo)).ours


def test_hook_falls_back_to_relcheck_on_path_when_its_interpreter_is_gone(
    hooked: Path,
) -> None:
    hooks.install(str(hooked), python=str(hooked.parent / "gone" / "python"))
    commit_all(hooked, "one")
    bindir = os.path.dirname(sys.executable)  # where the `relcheck` command is installed
    pushed = push(hooked, "origin", "main", env={"PATH": f"{bindir}{os.pathsep}/usr/bin:/bin"})
    assert pushed.returncode == 0, pushed.stderr
    assert "cannot run relcheck any more; using relcheck on PATH" in pushed.stderr
    assert latest_record(hooked)["mode"] == "hook"


def test_hook_says_what_to_do_when_relcheck_cannot_be_found(hooked: Path) -> None:
    hooks.install(str(hooked), python=str(hooked.parent / "gone" / "python"))
    commit_all(hooked, "one")
    pushed = push(hooked, "origin", "main", env={"PATH": "/usr/bin:/bin"})
    assert pushed.returncode != 0
    assert "the pre-push hook cannot find relcheck" in pushed.stderr
    assert "relcheck hook install" in pushed.stderr
    assert "--no-verify" in pushed.stderr


def test_an_interrupted_push_leaves_no_worktree_behind(hooked: Path, tmp_path: Path) -> None:
    text = (hooked / "relcheck.yaml").read_text()
    write(
        hooked / "relcheck.yaml", text + "  - id: slow\n    run: 'touch \"$STARTED\"; sleep 30'\n"
    )
    commit_all(hooked, "slow step")
    write(hooked / "status.txt", "dirty\n")  # so the checks run in a temporary worktree
    started = tmp_path / "started"
    proc = subprocess.Popen(
        ["git", "push", "origin", "main"],
        cwd=hooked,
        env={**os.environ, "STARTED": str(started)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    # Read to the end: the pipe closes once git, the hook and relcheck have all exited,
    # so relcheck's last words (after its record) are in what was read.
    said_bytes: list[bytes] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: said_bytes.extend(iter(proc.stdout.read1, b"")))
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert proc.poll() is None, b"".join(said_bytes).decode()
            assert time.monotonic() < deadline, "the slow step never started"
            time.sleep(0.05)
        assert len(worktrees(hooked)) == 2  # the temporary worktree is there meanwhile
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
        proc.wait(timeout=60)
        reader.join(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if not reader.is_alive():
            proc.stdout.close()
    assert not reader.is_alive(), "a process of the push still holds its output"
    assert proc.returncode != 0
    assert worktrees(hooked) == [f"worktree {hooked}"]
    assert _finished(hooked)
    assert latest_record(hooked)["outcome"] == "interrupted"
    assert remote_head(hooked) != git(hooked, "rev-parse", "HEAD")
    said = b"".join(said_bytes).decode()
    assert "pre-push refused: interrupted (Ctrl-C) before the checks finished" in said
    assert "make 'slow' pass" not in said
    assert "fix:" not in said


def _finished(repo: Path) -> bool:
    return (
        latest_record(repo)["outcome"] != "running" and not (repo / ".relcheck" / "lock").exists()
    )


def test_an_uncommitted_broken_checklist_does_not_fail_a_push_of_a_good_commit(
    hooked: Path,
) -> None:
    good = commit_all(hooked, "good work")
    write(hooked / "relcheck.yaml", "version: 1\nsteps: [oops\n")  # not even YAML
    pushed = push(hooked, "origin", "main")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert latest_record(hooked)["commit"] == good


def test_which_branches_are_checked_comes_from_the_pushed_commit(hooked: Path) -> None:
    git(hooked, "switch", "-q", "-c", "feature")
    write(hooked / "status.txt", "bad\n")
    text = (hooked / "relcheck.yaml").read_text()
    write(hooked / "relcheck.yaml", "hook:\n  branches: [feature]\n" + text)
    commit_all(hooked, "check feature pushes, and break the check")
    write(hooked / "relcheck.yaml", text)  # uncommitted: would not check feature
    refused = push(hooked, "origin", "feature")
    assert refused.returncode != 0
    assert "pre-push refused" in refused.stderr


def test_status_names_the_interpreter_and_notices_when_it_is_gone(
    hooked: Path,
    cli_invoke,  # type: ignore[no-untyped-def]
) -> None:
    status = cli_invoke("hook", "status", cwd=hooked)
    assert status.exit_code == 0
    assert "pre-push: installed at .git/hooks/pre-push" in status.output
    assert f"runs: {sys.executable} -m relcheck run --hook pre-push" in status.output
    assert "missing" not in status.output
    hooks.install(str(hooked), python=str(hooked.parent / "gone" / "python"))
    gone = cli_invoke("hook", "status", cwd=hooked)
    assert "(missing: falls back to relcheck on PATH)" in gone.output


def test_install_outside_a_repository_says_so(tmp_path: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "plain"
    folder.mkdir()
    result = cli_invoke("hook", "install", cwd=folder)
    assert result.exit_code == 3
    assert "is not in a git repository" in result.output
    assert not (folder / ".git").exists()
