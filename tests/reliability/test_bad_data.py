"""Bad data is a message, never a crash: inputs that are devices, FIFOs, folders or huge
files, a pyproject.toml of the wrong shape, checklist values no process could take, and
records that are not records. No traceback, no exit 70, no hang, memory bounded."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import RELCHECK, commit_all, latest_record, run_relcheck, write
from tests.reliability.support import FIGURES, TRACEBACK

MEMORY_KIB = 1024 * 1024  # 1 GiB of address space: reading /dev/zero in full would need more
TWO_GB = 2 * 1024 * 1024 * 1024
CHECKLIST = "version: 1\nsteps:\n  - id: started\n    run: touch STARTED\n"


def bounded(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """relcheck as a real process with its address space limited; hangs fail the test."""
    command = f"ulimit -v {MEMORY_KIB}; exec {shlex.join([*RELCHECK, *args])}"
    return subprocess.run(
        ["sh", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def _judge(proc: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    output = proc.stdout + proc.stderr
    FIGURES.add("bad data: scenarios")
    FIGURES.add("bad data: crashes", int(proc.returncode == 70 or TRACEBACK in output))
    assert TRACEBACK not in output, output
    assert proc.returncode == code, output
    assert words in proc.stderr, proc.stderr


# -- inputs that are not regular files of sane size ------------------------------------
def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _folder(path: Path) -> None:
    path.mkdir()


def _sparse(path: Path) -> None:
    with open(path, "wb") as fh:
        fh.truncate(TWO_GB)


NOT_FILES: dict[str, Callable[[Path], None]] = {
    "FIFO": _fifo,
    "/dev/zero": _dev_zero,
    "folder": _folder,
    "2 GB sparse file": _sparse,
}


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize("kind", list(NOT_FILES))
def test_a_checklist_that_is_not_a_file_is_refused(
    kind: str, command: str, git_repo: Path, run_env: dict[str, str]
) -> None:
    NOT_FILES[kind](git_repo / "odd.yaml")
    proc = bounded(command, "-c", "odd.yaml", cwd=git_repo, env=run_env)
    _judge(proc, 2, "odd.yaml")
    assert not (git_repo / "STARTED").exists()


def test_dev_zero_itself_as_the_checklist_is_refused(
    git_repo: Path, run_env: dict[str, str]
) -> None:
    proc = bounded("run", "-c", "/dev/zero", cwd=git_repo, env=run_env)
    _judge(proc, 2, "/dev/zero")


@pytest.mark.parametrize("kind", list(NOT_FILES))
def test_a_pyproject_that_is_not_a_file_is_refused(
    kind: str, git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(CHECKLIST)
    (git_repo / "pyproject.toml").unlink()
    NOT_FILES[kind](git_repo / "pyproject.toml")
    proc = bounded("run", "--dry-run", cwd=git_repo, env=run_env)
    _judge(proc, 2, "pyproject.toml")
    assert not (git_repo / "STARTED").exists()


@pytest.mark.parametrize("kind", list(NOT_FILES))
def test_a_config_drift_input_that_is_not_a_file_fails_its_step(
    kind: str, git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    write(git_repo / "deploy" / "production.toml", "[db]\nhost = 'db'\n")
    checklist(
        """
        version: 1
        steps:
          - id: drift
            uses: config-drift
            with: {staging: deploy/staging.toml, production: deploy/production.toml}
        """
    )
    NOT_FILES[kind](git_repo / "deploy" / "staging.toml")
    proc = bounded("run", "--dry-run", cwd=git_repo, env=run_env)
    _judge(proc, 1, "")
    assert "staging" in proc.stdout + proc.stderr


# -- a pyproject.toml of the wrong shape ------------------------------------------------
PYPROJECTS: dict[str, bytes] = {
    "[tool] relcheck is text": b'[tool]\nrelcheck = "x"\n',
    "project is text": b'project = "x"\n',
    "tool is text": b'tool = "x"\n',
    "checklist is a number": b"[tool.relcheck]\nchecklist = 5\n",
    "not UTF-8": b'[project]\nname = "caf\xe9"\nversion = "1.0"\n',
    "not TOML": b"[project\n",
    "binary": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("name", list(PYPROJECTS))
def test_a_pyproject_of_the_wrong_shape_is_a_message(
    name: str, git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    (git_repo / "pyproject.toml").write_bytes(PYPROJECTS[name])
    checklist(CHECKLIST)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    _judge(proc, 2, "pyproject.toml")
    assert not (git_repo / "STARTED").exists()


# -- checklist values no process can take -----------------------------------------------
VALUES: dict[str, tuple[str, int]] = {
    "NUL byte in run": (CHECKLIST + '  - id: nul\n    run: "echo \\0 x"\n', 6),
    "NUL byte in an argument": (CHECKLIST + '  - id: nul\n    run: [echo, "a\\0b"]\n', 6),
    "env key with =": (CHECKLIST + "  - id: env\n    run: 'true'\n    env: {A=B: c}\n", 7),
    "empty env key": (CHECKLIST + "  - id: env\n    run: 'true'\n    env: {'': c}\n", 7),
    "inputs glob that cannot compile": (
        CHECKLIST + "  - id: glob\n    run: 'true'\n    inputs: ['src/[z-a].py']\n",
        7,
    ),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("name", list(VALUES))
def test_validate_rejects_what_run_would_with_its_line(
    name: str, command: str, git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    text, line = VALUES[name]
    (git_repo / "relcheck.yaml").write_text(text)
    commit_all(git_repo, "checklist")
    proc = run_relcheck(command, cwd=git_repo, env=run_env, timeout=60)
    _judge(proc, 2, "relcheck.yaml:")
    lines = [int(n) for n in re.findall(r"^relcheck\.yaml:(\d+):\d+: ", proc.stderr, re.M)]
    assert lines and lines[0] == line, proc.stderr
    assert not (git_repo / "STARTED").exists()


# -- records that are not records --------------------------------------------------------
def _wrong_type(runs: Path, good: Path) -> Path:
    path = runs / "20990101T000000Z-aaaa.toml"
    path.write_text(good.read_text().replace('outcome = "', "outcome = 5 #", 1))
    return path


def _step_not_a_table(runs: Path, good: Path) -> Path:
    path = runs / "20990101T000000Z-bbbb.toml"
    text = good.read_text()
    head = text.split("[[steps]]", 1)[0]
    path.write_text(head.replace("format = 1", 'format = 1\nsteps = ["x"]', 1))
    return path


def _duration_text(runs: Path, good: Path) -> Path:
    path = runs / "20990101T000000Z-cccc.toml"
    path.write_text(re.sub(r"(?m)^duration = .*$", 'duration = "slow"', good.read_text()))
    return path


def _binary(runs: Path, good: Path) -> Path:
    path = runs / "20990101T000000Z-dddd.toml"
    path.write_bytes(bytes(range(256)) * 8)
    return path


def _fifo_record(runs: Path, good: Path) -> Path:
    path = runs / "20990101T000000Z-eeee.toml"
    os.mkfifo(path)
    return path


def _folder_record(runs: Path, good: Path) -> Path:
    path = runs / "20990101T000000Z-ffff.toml"
    path.mkdir()
    return path


RECORDS: dict[str, Callable[[Path, Path], Path]] = {
    "a field of the wrong type": _wrong_type,
    "a step that is not a table": _step_not_a_table,
    "a duration that is text": _duration_text,
    "binary bytes": _binary,
    "a FIFO": _fifo_record,
    "a folder": _folder_record,
}


@pytest.fixture
def recorded(git_repo: Path, checklist, run_env: dict[str, str]) -> Path:
    """git_repo with one good record of a passing run; returns that record."""
    checklist("version: 1\nsteps:\n  - id: ok\n    run: 'true'\n")
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    (good,) = (git_repo / ".relcheck" / "runs").glob("*.toml")
    return good


@pytest.mark.parametrize("name", list(RECORDS))
def test_a_bad_record_is_skipped_by_history_and_run_failed(
    name: str, git_repo: Path, recorded: Path, run_env: dict[str, str]
) -> None:
    bad = RECORDS[name](recorded.parent, recorded)
    history = run_relcheck("history", cwd=git_repo, env=run_env, timeout=60)
    _judge(history, 0, bad.name)
    assert recorded.stem in history.stdout  # the good record is still listed
    failed = run_relcheck("run", "--failed", "--dry-run", cwd=git_repo, env=run_env, timeout=60)
    _judge(failed, 0, bad.name)


@pytest.mark.parametrize("name", list(RECORDS))
def test_a_bad_record_is_refused_by_show_and_release_from_records(
    name: str, git_repo: Path, recorded: Path, run_env: dict[str, str]
) -> None:
    bad = RECORDS[name](recorded.parent, recorded)
    show = run_relcheck("show", bad.stem, cwd=git_repo, env=run_env, timeout=60)
    _judge(show, 2, bad.name)
    if bad.is_dir():
        return  # not a file: release --from-records looks only at files
    release = run_relcheck(
        "release", "--from-records", ".relcheck/runs", "--dry-run",
        cwd=git_repo, env=run_env, timeout=60,
    )  # fmt: skip
    _judge(release, 1, "")
    assert "cannot release from these records" in release.stderr


def test_a_runs_folder_that_is_a_file_is_a_message(git_repo: Path, run_env: dict[str, str]) -> None:
    write(git_repo / ".relcheck" / "runs", "not a folder\n")
    proc = run_relcheck("history", cwd=git_repo, env=run_env, timeout=60)
    _judge(proc, 2, "runs")


def test_a_python_running_relcheck_is_this_one() -> None:
    """``bounded`` starts the same interpreter the rest of the suite uses."""
    assert RELCHECK[0] == sys.executable


def test_a_run_records_head_when_the_tree_of_head_cannot_be_read(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    # A damaged object store (a lost loose object, a partial clone offline): HEAD still
    # names its commit and its branch, only the commit's tree is missing.
    checklist("version: 1\nsteps:\n  - id: quick\n    run: 'true'\n")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD", "HEAD^{tree}"],
        cwd=git_repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    tree = head[1]
    (git_repo / ".git" / "objects" / tree[:2] / tree[2:]).unlink()
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    assert TRACEBACK not in proc.stdout + proc.stderr
    record = latest_record(git_repo)
    assert record.get("commit") == head[0], record
    assert record.get("branch") == "main", record
