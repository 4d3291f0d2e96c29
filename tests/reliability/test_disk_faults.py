"""A record folder that cannot be written, a full disk, and kill -9 in the middle of
writing a record: relcheck says so before any step runs, keeps the previous record, and
never leaves a corrupt or empty record file."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import run_relcheck, start_relcheck
from tests.reliability.support import (
    FIGURES,
    check_run,
    communicate,
    read_records,
    record_problems,
    with_release,
)


def _mount(*args: str) -> str | None:
    """Run mount; None on success, else why it could not (not root, no capability)."""
    try:
        proc = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return "mount is not installed"
    return None if proc.returncode == 0 else proc.stderr.strip() or "mount failed"


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    """Mount points to unmount after the test, innermost first."""
    points: list[Path] = []
    yield points
    for point in reversed(points):
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def _read_only(folder: Path, mounts: list[Path]) -> None:
    # Root ignores file modes, so chmod cannot make a folder read-only for these tests;
    # a read-only bind mount can.
    why = _mount("--bind", str(folder), str(folder))
    if why:
        pytest.skip(f"cannot bind-mount here ({why}); a read-only folder needs a mount as root")
    mounts.append(folder)
    why = _mount("-o", "remount,bind,ro", str(folder))
    if why:
        pytest.skip(f"cannot remount read-only here ({why})")


def _small_tmpfs(folder: Path, mounts: list[Path], size: str) -> None:
    why = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
    if why:
        pytest.skip(f"cannot mount a small tmpfs here ({why}); a full disk needs one")
    mounts.append(folder)


def _fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


FIRST_STEP = """
version: 1
steps:
  - id: started
    run: touch {sentinel}
"""


def test_a_read_only_record_folder_is_refused_before_any_step_runs(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path, mounts: list[Path]
) -> None:
    sentinel = tmp_path / "STARTED"
    checklist(FIRST_STEP.format(sentinel=sentinel))
    runs = git_repo / ".relcheck" / "runs"
    runs.mkdir(parents=True)
    _read_only(runs, mounts)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot write run records to" in proc.stderr
    assert "Read-only file system" in proc.stderr
    assert not sentinel.exists()
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)


def test_a_full_disk_is_refused_before_any_step_runs_and_keeps_the_previous_record(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path, mounts: list[Path]
) -> None:
    sentinel = tmp_path / "STARTED"
    checklist(FIRST_STEP.format(sentinel=sentinel))
    runs = git_repo / ".relcheck" / "runs"
    runs.mkdir(parents=True)
    _small_tmpfs(runs, mounts, "512k")
    first = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    assert first.returncode == 0, first.stdout + first.stderr
    sentinel.unlink()
    before = read_records(git_repo)
    _fill(runs)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "No space left on device" in proc.stderr
    assert not sentinel.exists()
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo, before=before)


def test_a_disk_filled_by_a_step_log_ends_the_run_cleanly_and_makes_no_tag(
    git_repo: Path, checklist, run_env: dict[str, str], mounts: list[Path], tmp_path: Path
) -> None:
    sentinel = tmp_path / "released"
    flood = "import os; [os.write(1, b'y' * 65536) for _ in range(int(os.environ['CHUNKS']))]"
    checklist(
        with_release(
            f"""
        version: 1
        steps:
          - id: chatty
            run: ["{sys.executable}", "-c", "{flood}"]
        """,
            sentinel,
        )
    )
    runs = git_repo / ".relcheck" / "runs"
    runs.mkdir(parents=True)
    _small_tmpfs(runs, mounts, "1m")
    first = run_relcheck("run", "--dry-run", cwd=git_repo, env={**run_env, "CHUNKS": "1"})
    assert first.returncode == 0, first.stdout + first.stderr
    before = read_records(git_repo)
    proc = run_relcheck("run", cwd=git_repo, env={**run_env, "CHUNKS": "64"}, timeout=60)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "No space left on device" in output
    assert not sentinel.exists()
    check_run(proc.returncode, output, git_repo, before=before)


_WRITER = textwrap.dedent(
    """
    import sys, time
    from relcheck import record
    from relcheck.models import Outcome, RunInfo, RunResult, Status, StepResult

    folder, ready = sys.argv[1], sys.argv[2]
    info = RunInfo("20261126T000000Z-dead", "/r", "relcheck.yaml", "0" * 64, None, None,
                   "1.0", "v1.0", "0")
    def run(n):
        steps = tuple(StepResult(Status.PASSED, "ok " * 50, output_tail="x" * 2000,
                                 step_id=f"s{i}", runner="command", started_at=time.time())
                      for i in range(n))
        return RunResult(info, Outcome.PASSED, time.time(), time.time(), steps)
    small, large = run(1), run(300)
    record.write(folder, small)
    open(ready, "w").close()
    while True:
        record.write(folder, large)
        record.write(folder, small)
    """
)


@pytest.mark.xdist_group("whole-machine")  # each one loads every CPU, disk or memory
@pytest.mark.slow
def test_kill_9_while_records_are_written_never_leaves_a_corrupt_record(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "runs"
    rng = random.Random(9)
    broken = []
    for attempt in range(40):
        ready = tmp_path / f"ready-{attempt}"
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(folder), str(ready)])
        while not ready.exists() and writer.poll() is None:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.05))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        FIGURES.add("kill -9 during record writes")
        # Records only: a temporary file a killed write left behind (.tmp-*) is never
        # read as a record, and the record it was to replace is still whole.
        for path in folder.glob("[!.]*.toml"):
            why = record_problems(path.read_bytes())
            if why:
                broken.append((attempt, path.name, why))
    FIGURES.add("corrupt or empty records", len(broken))
    assert not broken


@pytest.mark.xdist_group("whole-machine")  # each one loads every CPU, disk or memory
@pytest.mark.slow
def test_kill_9_of_relcheck_at_random_moments_leaves_only_complete_records(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: a
            run: 'true'
          - id: b
            run: 'echo b'
        """
    )
    rng = random.Random(99)
    for _ in range(8):
        proc = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
        time.sleep(rng.uniform(0.1, 0.6))
        proc.kill()
        communicate(proc, 30)
        FIGURES.add("kill -9 during record writes")
        for name, content in read_records(git_repo).items():
            assert record_problems(content) is None, name
    check_run(0, "", git_repo)
