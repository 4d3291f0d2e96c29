"""Between steps the tree watch trusts the stat of what ``git status`` reads, and asks git
only when a stat changed: a run of steps that change nothing asks git little, and every
change a step makes is still caught, however little of the stat it moves."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from relcheck.engine import treestamp
from tests.helpers import (
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    run_relcheck,
    step_record,
    write,
)


def _project(repo: Path, steps: str) -> Path:
    write(repo / "data.db", "fixture\n")
    write(repo / "relcheck.yaml", "version: 1\nsteps:\n" + steps)
    commit_all(repo, "project")
    time.sleep(0.3)  # older than the racy margin: the stamps are trusted from the start
    return repo


def _chain(*commands: str) -> str:
    """Steps s1, s2, ... each needing the one before, running ``commands`` in turn."""
    lines = []
    for n, command in enumerate(commands, 1):
        lines.append(f"  - id: s{n}\n    run: {command!r}\n")
        if n > 1:
            lines.append(f"    needs: [s{n - 1}]\n")
    return "".join(lines)


def _git_counter(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose ``git`` logs each call's subcommand, then runs git."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "git-calls.log"
    real = shutil.which("git")
    wrapper = bin_dir / "git"
    wrapper.write_text(
        f'#!/bin/sh\nfor a in "$@"; do case $a in -*) ;; *) echo "$a" >> {log}; break;; '
        f'esac; done\nexec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, log


def test_steps_that_change_nothing_ask_git_status_a_few_times_not_once_a_step(
    git_repo: Path, tmp_path: Path
) -> None:
    repo = _project(git_repo, "".join(f"  - id: t{n}\n    run: 'true'\n" for n in range(30)))
    env, log = _git_counter(tmp_path)
    proc = run_relcheck("run", "--jobs", "4", cwd=repo, env=env)
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    statuses = log.read_text().split().count("status")
    assert statuses <= 2, statuses  # 30 steps, 4 at a time: about 60 boundaries


def test_a_same_size_rewrite_of_a_tracked_file_is_caught(git_repo: Path) -> None:
    # Same size, same inode, same second: only the ctime (and mtime) tell.
    repo = _project(git_repo, _chain("true", "true", "printf 'fixturf\\n' > data.db", "true"))
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rewriter = step_record(latest_record(repo), "s3")
    assert rewriter["status"] == "failed"
    assert rewriter["metrics"]["changed_tracked"] == ["data.db"]


def test_a_rewrite_that_puts_the_old_mtime_back_is_caught(git_repo: Path) -> None:
    rewrite = "touch -r data.db /tmp/.relcheck-stamp-$$ && printf 'fixturf\\n' > data.db && "
    rewrite += "touch -r /tmp/.relcheck-stamp-$$ data.db && rm /tmp/.relcheck-stamp-$$"
    repo = _project(git_repo, _chain("true", "true", rewrite))
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert step_record(latest_record(repo), "s3")["metrics"]["changed_tracked"] == ["data.db"]


def test_touching_a_clean_tracked_file_is_not_a_change(git_repo: Path) -> None:
    repo = _project(git_repo, _chain("true", "true", "touch data.db", "true"))
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "changed_tracked" not in step_record(latest_record(repo), "s3")["metrics"]


def test_staging_after_steps_that_changed_nothing_is_caught(git_repo: Path) -> None:
    repo = _project(git_repo, _chain("true", "true", "git add -A", "true"))
    write(repo / "pyproject.toml", "[project]\nname = 'demo'\nversion = '1.2.0'\n# edited\n")
    time.sleep(0.3)
    proc = run_relcheck("run", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert step_record(latest_record(repo), "s3")["metrics"]["changed_tracked"] == [
        "pyproject.toml"
    ]


def test_a_change_in_a_linked_work_tree_is_caught(git_repo: Path, tmp_path: Path) -> None:
    _project(git_repo, _chain("true", "true", "echo more >> data.db", "true"))
    linked = tmp_path / "linked"
    git(git_repo, "worktree", "add", "-q", "-b", "other", str(linked))
    time.sleep(0.3)
    files = treestamp.git_files(str(linked))
    assert files is not None
    assert os.path.exists(files[0]) and files[0].endswith("index")  # the linked tree's
    assert any(f.endswith(os.path.join("refs", "heads", "other")) for f in files)
    proc = run_relcheck("run", cwd=linked)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert step_record(latest_record(linked), "s3")["metrics"]["changed_tracked"] == ["data.db"]


def test_a_stamp_taken_just_after_a_change_is_never_trusted(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("a\n")
    first = treestamp.Stamp([str(path)])
    assert first.racy
    assert not treestamp.Stamp([str(path)]).same(first)  # equal stats, still not trusted
    time.sleep(treestamp.RACY_NS / 1e9 + 0.05)
    settled = treestamp.Stamp([str(path)])
    assert not settled.racy
    assert treestamp.Stamp([str(path)]).same(settled)
    path.write_text("b\n")
    assert not treestamp.Stamp([str(path)]).same(settled)


_SAME_SIZE_OLD_MTIME = (
    "touch -r data.db /tmp/.relcheck-stamp-$$ && printf 'fixturf\\n' > data.db && "
    "touch -r /tmp/.relcheck-stamp-$$ data.db && rm /tmp/.relcheck-stamp-$$"
)


def test_an_old_mtime_put_back_on_an_already_changed_file_is_caught(git_repo: Path) -> None:
    # git status says "modified" before and after: only the file's ctime tells.
    repo = _project(git_repo, _chain("true", "true", _SAME_SIZE_OLD_MTIME, "true"))
    write(repo / "data.db", "fixturx\n")
    time.sleep(0.3)
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert step_record(latest_record(repo), "s3")["metrics"]["changed_tracked"] == ["data.db"]


def test_an_old_mtime_put_back_on_a_hidden_file_is_caught(git_repo: Path) -> None:
    repo = _project(git_repo, _chain("true", "true", _SAME_SIZE_OLD_MTIME, "true"))
    git(repo, "update-index", "--assume-unchanged", "data.db")
    time.sleep(0.3)
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert step_record(latest_record(repo), "s3")["metrics"]["changed_tracked"] == ["data.db"]


def test_a_file_hidden_and_then_changed_by_a_step_is_caught(git_repo: Path) -> None:
    hide = "git update-index --assume-unchanged data.db && echo more >> data.db"
    repo = _project(git_repo, _chain("true", "true", hide, "true"))
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert step_record(latest_record(repo), "s3")["metrics"]["changed_tracked"] == ["data.db"]


def test_a_folder_swapped_for_a_symlink_to_it_is_caught(git_repo: Path) -> None:
    # lstat of sub/c.txt follows the symlink to the same file; git sees it deleted.
    swap = "mv sub sub.real && ln -s sub.real sub"
    write(git_repo / "sub" / "c.txt", "x\n")
    repo = _project(git_repo, _chain("true", "true", swap, "true"))
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert step_record(latest_record(repo), "s3")["metrics"]["changed_tracked"] == ["sub/c.txt"]


def test_a_replace_ref_that_swaps_the_head_commit_is_caught(git_repo: Path) -> None:
    # HEAD names the same commit id, but git status now compares with another tree.
    repo = _project(git_repo, _chain("true", "true", "true"))
    write(repo / "data.db", "second\n")
    commit_all(repo, "second")
    write(
        repo / "relcheck.yaml",
        "version: 1\nsteps:\n" + _chain("true", "true", "git replace HEAD HEAD~1", "true"),
    )
    commit_all(repo, "checklist")
    time.sleep(0.3)
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    changed = step_record(latest_record(repo), "s3")["metrics"]["changed_tracked"]
    assert changed == ["relcheck.yaml"]  # HEAD~1's checklist differs
