"""Nothing relcheck writes lands outside ``.relcheck/``: a symlink planted there (committed,
or made by a step) is refused or replaced, never written through, and a step that deletes
``.relcheck/`` cannot let a second run start beside the first."""

from __future__ import annotations

import os
import resource
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import (
    RELCHECK,
    git,
    latest_record,
    run_relcheck,
    start_relcheck,
    step_record,
)
from tests.reliability.support import FIGURES, TRACEBACK, communicate, wait_for

PRECIOUS = b"precious content, not relcheck's\n"
CHECKLIST = """
    version: 1
    steps:
      - id: hello
        run: echo hello
        cache: true
    """


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every entry under ``folder``: file bytes, or where a link points."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = b"-> " + os.readlink(path).encode()
        elif path.is_file():
            found[name] = path.read_bytes()
        else:
            found[name] = b"<folder>"
    return found


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the repository holding a victim file."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.txt").write_bytes(PRECIOUS)
    return folder


def _state(repo: Path) -> Path:
    return repo / ".relcheck"


def _lock_link(repo: Path, outside: Path) -> None:
    _state(repo).mkdir()
    (_state(repo) / "lock").symlink_to(outside / "victim.txt")


def _lock_relative_link(repo: Path, outside: Path) -> None:
    _state(repo).mkdir()
    target = os.path.relpath(outside / "victim.txt", _state(repo))
    (_state(repo) / "lock").symlink_to(target)


def _lock_folder(repo: Path, outside: Path) -> None:
    (_state(repo) / "lock").mkdir(parents=True)


def _runs_link(repo: Path, outside: Path) -> None:
    _state(repo).mkdir()
    (_state(repo) / "runs").symlink_to(outside, target_is_directory=True)


def _state_link(repo: Path, outside: Path) -> None:
    _state(repo).symlink_to(outside, target_is_directory=True)


def _state_file(repo: Path, outside: Path) -> None:
    _state(repo).write_bytes(b"not a folder\n")


def _state_read_only(repo: Path, outside: Path) -> None:
    _state(repo).mkdir()
    _state(repo).chmod(0o500)


def _cache_link(repo: Path, outside: Path) -> None:
    _state(repo).mkdir()
    (_state(repo) / "cache").symlink_to(outside, target_is_directory=True)


def _checklist_cache_link(repo: Path, outside: Path) -> None:
    (_state(repo) / "cache").mkdir(parents=True)
    (_state(repo) / "cache" / "checklists").symlink_to(outside, target_is_directory=True)


def _results_link(repo: Path, outside: Path) -> None:
    (_state(repo) / "cache" / "results").mkdir(parents=True)
    (_state(repo) / "cache" / "results" / "hello").symlink_to(outside, target_is_directory=True)


# name -> (plant the hostile entry, exit code, words the message must hold)
CASES: dict[str, tuple[Callable[[Path, Path], None], int, str]] = {
    "lock is a link to a file outside": (_lock_link, 3, "symbolic link"),
    "lock is a relative link (../victim.txt)": (_lock_relative_link, 3, "symbolic link"),
    "lock is a folder": (_lock_folder, 3, "is a folder"),
    "runs folder is a link outside": (_runs_link, 2, "symbolic link"),
    ".relcheck is a link outside": (_state_link, 2, "symbolic link"),
    ".relcheck is a file": (_state_file, 2, "not a folder"),
    "cache folder is a link outside": (_cache_link, 0, ""),
    "checklist cache folder is a link outside": (_checklist_cache_link, 0, ""),
    "a step's result cache folder is a link outside": (_results_link, 0, ""),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_link_under_relcheck_is_never_written_through(
    name: str, git_repo: Path, checklist, outside: Path, run_env: dict[str, str]
) -> None:
    plant, code, words = CASES[name]
    checklist(CHECKLIST)
    plant(git_repo, outside)
    before = _snapshot(outside)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    output = proc.stdout + proc.stderr
    changed = [n for n in set(before) | set(_snapshot(outside)) if n not in before]
    changed += [n for n, c in _snapshot(outside).items() if before.get(n) != c]
    FIGURES.add("hostile files: scenarios")
    FIGURES.add("hostile files: writes outside .relcheck", len(set(changed)))
    assert (outside / "victim.txt").read_bytes() == PRECIOUS
    assert not changed, changed
    assert TRACEBACK not in output, output
    assert proc.returncode == code, output
    assert words in proc.stderr, proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_relcheck_folder_is_a_clean_error(
    git_repo: Path, checklist, outside: Path, run_env: dict[str, str]
) -> None:
    checklist(CHECKLIST)
    _state_read_only(git_repo, outside)
    try:
        proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    finally:
        _state(git_repo).chmod(0o700)
    FIGURES.add("hostile files: scenarios")
    assert TRACEBACK not in proc.stdout + proc.stderr
    assert proc.returncode in (2, 3), proc.stderr
    assert ".relcheck" in proc.stderr


def test_a_committed_lock_link_in_a_fresh_clone_leaves_its_target_alone(
    tmp_path: Path, git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    """The case as it reaches a person: the link is in the repository they clone."""
    checklist(CHECKLIST, commit=False)
    (git_repo / ".gitignore").write_text("")
    _state(git_repo).mkdir()
    (_state(git_repo) / "lock").symlink_to("../../victim.txt")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "a lock link")
    victim = tmp_path / "victim.txt"
    victim.write_bytes(PRECIOUS)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(git_repo), str(clone))
    assert os.readlink(clone / ".relcheck" / "lock") == "../../victim.txt"
    proc = run_relcheck("run", "--dry-run", cwd=clone, env=run_env, timeout=60)
    FIGURES.add("hostile files: scenarios")
    FIGURES.add("hostile files: writes outside .relcheck", int(victim.read_bytes() != PRECIOUS))
    assert victim.read_bytes() == PRECIOUS
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "lock" in proc.stderr and "symbolic link" in proc.stderr
    assert TRACEBACK not in proc.stdout + proc.stderr


def test_a_link_at_a_later_steps_log_is_not_written_through(
    git_repo: Path, checklist, outside: Path, run_env: dict[str, str]
) -> None:
    checklist(
        f"""
        version: 1
        steps:
          - id: plant
            run: >-
              mkdir -p "$RELCHECK_ROOT/.relcheck/runs/$RELCHECK_RUN_ID" &&
              ln -s {outside}/victim.txt "$RELCHECK_ROOT/.relcheck/runs/$RELCHECK_RUN_ID/later.log"
          - id: later
            run: echo later output
            needs: [plant]
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    output = proc.stdout + proc.stderr
    FIGURES.add("hostile files: scenarios")
    FIGURES.add(
        "hostile files: writes outside .relcheck",
        int((outside / "victim.txt").read_bytes() != PRECIOUS),
    )
    assert (outside / "victim.txt").read_bytes() == PRECIOUS
    assert TRACEBACK not in output, output
    assert proc.returncode == 0, output
    later = step_record(latest_record(git_repo), "later")
    # The link is replaced by a log of relcheck's own, as a link at any file it writes.
    log = git_repo / later["log"]
    assert not log.is_symlink()
    assert "later output" in log.read_text()


def test_a_link_at_a_checklist_cache_entry_is_replaced_not_followed(
    git_repo: Path, checklist, outside: Path, run_env: dict[str, str]
) -> None:
    checklist(CHECKLIST)
    first = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    assert first.returncode == 0, first.stderr
    entries = list((_state(git_repo) / "cache" / "checklists").glob("*.pickle"))
    assert len(entries) == 1
    entries[0].unlink()
    entries[0].symlink_to(outside / "victim.txt")
    second = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    FIGURES.add("hostile files: scenarios")
    FIGURES.add(
        "hostile files: writes outside .relcheck",
        int((outside / "victim.txt").read_bytes() != PRECIOUS),
    )
    assert (outside / "victim.txt").read_bytes() == PRECIOUS
    assert second.returncode == 0, second.stdout + second.stderr
    assert not entries[0].is_symlink()  # written anew, as a file of its own


def test_junit_onto_a_tracked_file_is_refused(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(CHECKLIST)
    before = (git_repo / "pyproject.toml").read_bytes()
    proc = run_relcheck(
        "run", "--dry-run", "--junit", "pyproject.toml", cwd=git_repo, env=run_env, timeout=60
    )
    FIGURES.add("hostile files: scenarios")
    FIGURES.add(
        "hostile files: writes outside .relcheck",
        int((git_repo / "pyproject.toml").read_bytes() != before),
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "git tracks" in proc.stderr
    assert (git_repo / "pyproject.toml").read_bytes() == before
    assert not (git_repo / ".relcheck" / "runs").exists()


@pytest.mark.parametrize("wipe", ["git clean -fdx", "rm -rf .relcheck"])
def test_a_step_that_deletes_relcheck_does_not_let_a_second_run_start(
    wipe: str, git_repo: Path, checklist, tmp_path: Path, run_env: dict[str, str]
) -> None:
    checklist(
        f"""
        version: 1
        steps:
          - id: first
            run: echo some output
          - id: wipe
            needs: [first]
            timeout: 60s
            run: |
              {wipe}
              echo done > {tmp_path}/wiped
              while [ ! -e {tmp_path}/go ]; do sleep 0.05; done
        """
    )
    first = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    try:
        wait_for(tmp_path / "wiped")
        assert not (git_repo / ".relcheck").exists()
        second = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    finally:
        (tmp_path / "go").touch()
        out, err = communicate(first)
    FIGURES.add("hostile files: scenarios")
    assert second.returncode == 3, second.stdout + second.stderr
    assert f"locked by pid {first.pid}" in second.stderr
    assert TRACEBACK not in out + err + second.stdout + second.stderr
    assert first.returncode == 0, out + err
    data = latest_record(git_repo)
    lost = data.get("lost_logs", [])
    assert any(p.endswith("first.log") for p in lost), data
    assert "was deleted during the run" in err


def _after_a_step_that(
    repo: Path, checklist: Callable[[str], object], command: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    """Run a step doing ``command`` (``$LOGS`` is the run's log folder), then a step
    `after` that prints; the run, which must pass without a traceback, and `after`'s
    record."""
    checklist(
        "version: 1\nsteps:\n"
        f"  - id: first\n    run: LOGS=.relcheck/runs/$RELCHECK_RUN_ID; {command}\n"
        "  - id: after\n    needs: [first]\n    run: echo output of a later step\n"
    )
    proc = run_relcheck("run", "--dry-run", cwd=repo, timeout=60)
    output = proc.stdout + proc.stderr
    FIGURES.add("hostile files: scenarios")
    assert TRACEBACK not in output, output
    assert proc.returncode == 0, output
    return proc, step_record(latest_record(repo), "after")


def test_a_log_folder_a_step_swaps_for_a_link_never_takes_a_later_log(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    _proc, after = _after_a_step_that(
        git_repo, checklist, f"mv $LOGS .relcheck/moved && ln -s {outside} $LOGS"
    )
    assert _snapshot(outside) == {}
    assert after["status"] == "passed"
    assert "no log kept" in str(after["output_tail"])  # refused, said where it is seen
    assert "is a symbolic link" in str(after["output_tail"])


def test_a_log_folder_a_step_deletes_is_made_again_for_the_next_log(
    git_repo: Path, checklist
) -> None:
    _proc, after = _after_a_step_that(git_repo, checklist, "rm -rf $LOGS")
    log = git_repo / str(after["log"])
    assert "output of a later step" in log.read_text()
    assert "no log kept" not in str(after["output_tail"])


def test_a_log_folder_a_step_moves_out_of_the_repository_takes_no_later_log(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    # The held folder follows a rename: every later log was written to wherever the step
    # moved it (here beside the repository, on the same file system), while the record
    # points at .relcheck/runs/<run>/after.log and says that log was deleted.
    away = tmp_path / "away"
    proc, after = _after_a_step_that(git_repo, checklist, f"mv $LOGS {away}")
    FIGURES.add("hostile files: writes outside .relcheck", int((away / "after.log").exists()))
    assert not (away / "after.log").exists(), "a later step's log was written outside the repo"
    log = Path(str(after["log"]))
    assert log.is_file(), f"the record's log {log} is not there"
    assert "output of a later step" in log.read_text()
    assert f"{log} was deleted during the run" not in proc.stderr


def test_a_log_folder_deleted_by_every_step_does_not_use_up_file_descriptors(
    git_repo: Path, checklist
) -> None:
    # Each deletion of the log folder left its descriptor open until the run ended (one
    # more per step that deleted it): under `ulimit -n 128`, 150 such steps ran out, and
    # the steps after that could not start ("cannot start /bin/sh: Too many open files").
    steps = "".join(
        f"  - id: s{i}\n    run: rm -rf .relcheck/runs/$RELCHECK_RUN_ID\n" for i in range(150)
    )
    checklist("version: 1\nsteps:\n" + steps)

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

    proc = subprocess.run(
        [*RELCHECK, "run", "--dry-run", "-q", "--jobs", "1"],
        cwd=git_repo,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=low_limit,  # the child's own limit, set before it starts relcheck
        check=False,
    )
    output = proc.stdout + proc.stderr
    FIGURES.add("hostile files: scenarios")
    assert TRACEBACK not in output, output
    assert "Too many open files" not in output, output
    assert proc.returncode == 0, output
    statuses = {s["status"] for s in latest_record(git_repo)["steps"]}
    assert statuses == {"passed"}, statuses


def test_a_fifo_at_a_later_steps_log_does_not_hang_the_run(git_repo: Path, checklist) -> None:
    # The log is opened for writing without O_NONBLOCK: a FIFO with no reader blocks that
    # open() for ever, before the step's timeout starts, and SIGTERM does not end it.
    checklist(
        """
        version: 1
        steps:
          - id: plant
            run: mkfifo .relcheck/runs/$RELCHECK_RUN_ID/later.log
          - id: later
            needs: [plant]
            timeout: 5s
            run: echo later output
        """
    )
    proc = start_relcheck("run", "--dry-run", cwd=git_repo)
    out, err = communicate(proc, timeout=30)
    FIGURES.add("hostile files: scenarios")
    assert TRACEBACK not in out + err, out + err
    assert proc.returncode == 0, out + err
    later = step_record(latest_record(git_repo), "later")
    assert later["status"] == "passed", later


def test_a_hard_link_at_a_later_steps_log_leaves_the_tracked_file_alone(
    git_repo: Path, checklist
) -> None:
    # O_NOFOLLOW refuses a symlink, not a hard link: O_TRUNC emptied the tracked file the
    # name was linked to and the later step's output was written into it; the tree watch
    # then blamed the later step, which only echoed, for the change relcheck made.
    checklist(
        """
        version: 1
        steps:
          - id: plant
            run: ln pyproject.toml .relcheck/runs/$RELCHECK_RUN_ID/later.log
          - id: later
            needs: [plant]
            run: echo later output
        """
    )
    before = (git_repo / "pyproject.toml").read_bytes()
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, timeout=60)
    output = proc.stdout + proc.stderr
    FIGURES.add("hostile files: scenarios")
    FIGURES.add(
        "hostile files: writes outside .relcheck",
        int((git_repo / "pyproject.toml").read_bytes() != before),
    )
    assert TRACEBACK not in output, output
    assert (git_repo / "pyproject.toml").read_bytes() == before
    later = step_record(latest_record(git_repo), "later")
    assert "changed tracked file" not in later["summary"], later


@pytest.mark.parametrize("ci", ["GITHUB_ACTIONS", "GITLAB_CI"])
def test_a_fifo_a_step_leaves_at_its_own_log_does_not_hang_the_ci_report(
    git_repo: Path, checklist, ci: str
) -> None:
    # In CI each finished step's log is read back for the job's log groups, by path: a
    # FIFO a step left there blocks that open() for ever (under the run's lock, so no
    # timeout applies) and SIGTERM does not end it; the record stays 'running'.
    checklist(
        """
        version: 1
        steps:
          - id: swap
            run: >-
              printf 'own output %01000d\\n' 0; f=.relcheck/runs/$RELCHECK_RUN_ID/swap.log;
              until [ -e $f ]; do sleep 0.01; done; rm $f && mkfifo $f
        """
    )
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, env={ci: "true"})
    out, err = communicate(proc, timeout=30)
    FIGURES.add("hostile files: scenarios")
    assert TRACEBACK not in out + err, out + err
    assert proc.returncode == 0, out + err
    assert latest_record(git_repo)["outcome"] == "passed"


def test_a_link_a_step_leaves_at_its_own_log_is_not_read_into_the_ci_log(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    # The job log shows each finished step's log: a symlink a step put in its place
    # must not make relcheck print the file it points to (a key, a token).
    secret = tmp_path / "id_key"
    secret.write_text("PRIVATE-KEY-MATERIAL-7d1e\n")
    checklist(
        f"""
        version: 1
        steps:
          - id: swap
            run: >-
              printf 'own output %01000d\\n' 0; f=.relcheck/runs/$RELCHECK_RUN_ID/swap.log;
              until [ -e $f ]; do sleep 0.01; done; rm $f && ln -s {secret} $f
        """
    )
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, env={"GITHUB_ACTIONS": "true"})
    out, err = communicate(proc, timeout=30)
    FIGURES.add("hostile files: scenarios")
    assert TRACEBACK not in out + err, out + err
    assert proc.returncode == 0, out + err
    assert "PRIVATE-KEY-MATERIAL" not in out + err
    assert "own output" in out  # the output tail the record keeps, instead
