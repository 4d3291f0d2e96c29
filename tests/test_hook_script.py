"""The installed hook script when relcheck is gone, and the temporary worktrees of pushes
that were killed or run at the same time, through real `git push`es."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import site
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import commit_all, git, latest_record, push, write

CHECKLIST = """
version: 1
release:
  branch: main
steps:
  - id: status
    run: test "$(cat status.txt)" = good
  - id: slow
    # Only when the test asks: note the step's pid, then wait until GO exists (or 20s).
    run: >-
      if [ -n "$STARTED" ]; then echo $$ > "$STARTED.tmp" && mv "$STARTED.tmp" "$STARTED";
      n=0; while [ ! -e "$GO" ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n+1)); done; fi
"""
NO_RELCHECK_PATH = "/usr/bin:/bin"  # git and sh, and no relcheck command


def remote_head(repo: Path) -> str:
    return git(repo, "ls-remote", "origin", "refs/heads/main").split()[0]


def worktrees(repo: Path) -> list[str]:
    return [
        line.removeprefix("worktree ")
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


@pytest.fixture
def project(git_repo: Path) -> Path:
    write(git_repo / "status.txt", "good\n")
    write(git_repo / "relcheck.yaml", CHECKLIST)
    commit_all(git_repo, "checklist")
    return git_repo


@pytest.fixture
def hooked(project: Path, cli_invoke) -> Path:  # type: ignore[no-untyped-def]
    result = cli_invoke("hook", "install", cwd=project)
    assert result.exit_code == 0, result.output
    return project


def _install_from_a_venv_then_delete_it(repo: Path, venv: Path, *extra: str) -> None:
    """`VENV/bin/relcheck hook install` from a virtual environment, then `rm -rf VENV`."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    [packages] = venv.glob("lib/python3*/site-packages")
    # This relcheck and its dependencies, as `pip install relcheck` would: relcheck's own
    # folder too, as an editable install's finder is not read from a folder a .pth adds.
    import relcheck

    source = Path(relcheck.__file__).resolve().parent.parent
    (packages / "deps.pth").write_text(f"{source}\n{site.getsitepackages()[0]}\n")
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "relcheck", "hook", "install", *extra],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert f"{venv}/bin/python" in (repo / ".git" / "hooks" / "pre-push").read_text()
    shutil.rmtree(venv)


def test_a_hook_whose_relcheck_was_deleted_refuses_and_says_every_way_out(
    project: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "v2"
    _install_from_a_venv_then_delete_it(project, venv)
    before = remote_head(project)
    head = commit_all(project, "one")
    env = {"PATH": NO_RELCHECK_PATH}

    refused = push(project, "origin", "main", env=env)
    assert refused.returncode == 1
    said = refused.stderr
    assert f"the pre-push hook cannot find relcheck: {venv}/bin/python does not exist" in said
    assert "and there is no relcheck on PATH" in said
    assert "relcheck hook install" in said  # with the relcheck in use now
    assert "rm .git/hooks/pre-push" in said  # relcheck is gone: uninstall cannot run
    assert "relcheck hook uninstall" not in said
    assert "RELCHECK_SKIP=1 git push" in said
    assert "--no-verify" in said
    assert remote_head(project) == before

    not_skipped = push(project, "origin", "main", env={**env, "RELCHECK_SKIP": "0"})
    assert not_skipped.returncode == 1
    assert remote_head(project) == before

    skipped = push(project, "origin", "main", env={**env, "RELCHECK_SKIP": "1"})
    assert skipped.returncode == 0, skipped.stderr
    assert "RELCHECK_SKIP is set: the pre-push checks are skipped" in skipped.stderr
    assert remote_head(project) == head

    # The way out it names works: without the hook, pushes go through.
    os.unlink(project / ".git" / "hooks" / "pre-push")
    after = commit_all(project, "two")
    assert push(project, "origin", "main", env=env).returncode == 0
    assert remote_head(project) == after


def test_relcheck_skip_is_honoured_by_the_script_in_any_spelling(
    project: Path, tmp_path: Path
) -> None:
    _install_from_a_venv_then_delete_it(project, tmp_path / "v2")
    for value in ("true", " YES ", "On"):
        head = commit_all(project, f"skip with {value!r}")
        skipped = push(
            project, "origin", "main", env={"PATH": NO_RELCHECK_PATH, "RELCHECK_SKIP": value}
        )
        assert skipped.returncode == 0, skipped.stderr
        assert remote_head(project) == head


def test_a_missing_relcheck_with_a_kept_hook_says_how_to_put_that_hook_back(
    project: Path, tmp_path: Path
) -> None:
    previous = "#!/bin/sh\necho previous hook ran >&2\n"
    foreign = write(project / ".git" / "hooks" / "pre-push", previous)
    foreign.chmod(0o755)
    _install_from_a_venv_then_delete_it(project, tmp_path / "v2", "--force")
    head = commit_all(project, "one")
    env = {"PATH": NO_RELCHECK_PATH}

    refused = push(project, "origin", "main", env=env)
    assert refused.returncode == 1
    assert "previous hook ran" in refused.stderr  # it still runs first
    fix = "mv .git/hooks/pre-push.relcheck-backup .git/hooks/pre-push"
    assert fix in refused.stderr

    skipped = push(project, "origin", "main", env={**env, "RELCHECK_SKIP": "1"})
    assert skipped.returncode == 0, skipped.stderr
    assert "previous hook ran" in skipped.stderr  # skips relcheck's checks, not that hook
    assert remote_head(project) == head

    subprocess.run(fix.split(), cwd=project, check=True)
    assert foreign.read_text() == previous
    after = commit_all(project, "two")
    pushed = push(project, "origin", "main", env=env)
    assert pushed.returncode == 0, pushed.stderr
    assert "previous hook ran" in pushed.stderr
    assert remote_head(project) == after


# -- temporary worktrees -----------------------------------------------------------------


@contextlib.contextmanager
def slow_push(
    repo: Path, tmp_path: Path, name: str
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`git push` in its own process group, whose `slow` step has started: yields the push
    and the step's pid. The step goes on until `GO` exists; it is stopped at the end."""
    started = tmp_path / f"{name}.started"
    log = (tmp_path / f"{name}.log").open("wb")
    proc = subprocess.Popen(
        ["git", "push", "origin", "main"],
        cwd=repo,
        env={**os.environ, "STARTED": str(started), "GO": str(tmp_path / "go")},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    step = 0
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()
            assert time.monotonic() < deadline, "the slow step never started"
            time.sleep(0.05)
        step = int(started.read_text())
        yield proc, step
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if step:
            with contextlib.suppress(ProcessLookupError):
                os.kill(step, signal.SIGKILL)
        log.close()


def test_a_worktree_left_by_a_killed_push_is_removed_by_the_next_push(
    hooked: Path, tmp_path: Path
) -> None:
    head = commit_all(hooked, "one")
    write(hooked / "notes.txt", "untracked\n")  # so the checks run in a worktree
    with slow_push(hooked, tmp_path, "killed") as (proc, _step):
        [_, left] = worktrees(hooked)
        assert os.path.basename(os.path.dirname(left)).startswith("relcheck-checkout-")
        os.killpg(proc.pid, signal.SIGKILL)  # nothing of relcheck's can clean up after this
        proc.wait()
        assert worktrees(hooked) == [str(hooked), left]
        assert os.path.isdir(left)

        pushed = push(hooked, "origin", "main")
        assert pushed.returncode == 0, pushed.stderr
        assert f"removed the temporary worktree {left}" in pushed.stderr
        assert "left by a relcheck run that was killed" in pushed.stderr
    assert worktrees(hooked) == [str(hooked)]
    assert not os.path.exists(os.path.dirname(left))
    assert remote_head(hooked) == head
    assert latest_record(hooked)["outcome"] == "passed"


def test_a_push_made_while_another_is_checking_is_refused_and_leaves_its_worktree(
    hooked: Path, tmp_path: Path
) -> None:
    before = remote_head(hooked)
    head = commit_all(hooked, "one")
    write(hooked / "notes.txt", "untracked\n")  # so the checks run in a worktree
    with slow_push(hooked, tmp_path, "first") as (first, _step):
        relcheck_pid = int((hooked / ".relcheck" / "lock").read_text())
        [_, live] = worktrees(hooked)

        second = push(hooked, "origin", "main")
        assert second.returncode == 1  # git's, for any refusing hook
        assert f"locked by pid {relcheck_pid}" in second.stderr
        assert "removed the temporary worktree" not in second.stderr
        assert worktrees(hooked) == [str(hooked), live]  # the first push's, still in use
        assert remote_head(hooked) == before

        (tmp_path / "go").write_text("")
        assert first.wait(timeout=120) == 0, (tmp_path / "first.log").read_text()
    assert remote_head(hooked) == head
    assert worktrees(hooked) == [str(hooked)]


def test_worktrees_without_an_owner_lock_are_left_alone_and_deleted_ones_are_pruned(
    hooked: Path, tmp_path: Path
) -> None:
    older = tmp_path / "relcheck-checkout-older" / "repo"  # as a relcheck before locks made
    deleted = tmp_path / "relcheck-checkout-deleted" / "repo"
    for path in (older, deleted):
        git(hooked, "worktree", "add", "-q", "--detach", str(path), "HEAD")
    shutil.rmtree(deleted.parent)  # as a reboot empties /tmp
    head = commit_all(hooked, "one")

    pushed = push(hooked, "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    assert f"{older} looks like a temporary worktree an older relcheck left" in pushed.stderr
    assert f"`git worktree remove --force {older}`" in pushed.stderr
    assert worktrees(hooked) == [str(hooked), str(older)]
    assert older.is_dir()
    assert remote_head(hooked) == head
