"""The heartbeat: plain output says which steps are still running, at a steady interval,
until the result line and never after it; the live view has none."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pexpect
import pytest

from relcheck.report.heartbeat import elapsed_text, interval_from
from tests.helpers import (
    assert_no_traceback,
    run_relcheck,
    spawn_relcheck,
    start_relcheck,
    transcript,
)

SLOW = """
version: 1
steps:
  - id: quick
    run: echo done
  - id: slow
    run: sleep 3
"""
BEAT = re.compile(r"^(?:\d\d:\d\d:\d\dZ )?(\S+): still running, (\d+)s$")
RESULT = re.compile(r"^(?:\d\d:\d\d:\d\dZ )?relcheck: (?:passed|FAILED|INTERRUPTED)")


def _split_at_result(lines: list[str]) -> tuple[list[str], list[str]]:
    """The lines before the result line, and those after it."""
    at = next(i for i, line in enumerate(lines) if RESULT.match(line))
    return lines[:at], lines[at + 1 :]


@pytest.mark.parametrize("ci", [False, True], ids=["piped", "ci"])
def test_a_long_step_says_it_is_still_running_until_the_result_line(
    git_repo: Path, checklist, ci: bool
) -> None:
    checklist(SLOW)
    env = {"RELCHECK_HEARTBEAT": "1", **({"CI": "true"} if ci else {})}
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    before, after = _split_at_result(proc.stdout.splitlines())
    beats = [m for m in map(BEAT.match, before) if m]
    assert beats, proc.stdout
    assert {m.group(1) for m in beats} == {"slow"}  # the quick step was done before a beat
    assert all(int(m.group(2)) >= 1 for m in beats)
    assert not [line for line in after if BEAT.match(line)], proc.stdout
    # Each beat comes before the step's own line: it is said only while the step runs.
    slow_line = next(i for i, line in enumerate(before) if re.search(r"PASS\s+slow\b", line))
    assert all(before.index(m.string) < slow_line for m in beats)


def test_every_running_step_gets_its_own_line(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: first
            run: sleep 3
          - id: second
            run: sleep 3
        """
    )
    proc = run_relcheck(
        "run", "--dry-run", "--jobs", "2", cwd=git_repo, env={"RELCHECK_HEARTBEAT": "1"}
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    named = {m.group(1) for m in map(BEAT.match, proc.stdout.splitlines()) if m}
    assert named == {"first", "second"}, proc.stdout


def test_ctrl_c_stops_the_heartbeat_with_the_run(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: endless
            run: sleep 60
        """
    )
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, env={"RELCHECK_HEARTBEAT": "1"})
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # blocks until the first beat: the step is running
        assert BEAT.match(first.rstrip("\n")), first
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, rest + err
    assert "Traceback" not in rest + err
    _, after = _split_at_result(rest.splitlines())
    assert not [line for line in after if BEAT.match(line)], rest


def test_the_live_view_has_no_heartbeat(git_repo: Path, checklist) -> None:
    checklist(SLOW)
    child = spawn_relcheck("run", "--dry-run", cwd=git_repo, env={"RELCHECK_HEARTBEAT": "1"})
    child.expect(pexpect.EOF)
    child.close()
    text = transcript(child)
    assert child.exitstatus == 0, text
    assert "slow" in text  # the live view drew the step (with its elapsed time)
    assert "still running" not in text


def test_heartbeat_off_prints_no_beat(git_repo: Path, checklist) -> None:
    checklist(SLOW)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env={"RELCHECK_HEARTBEAT": "off"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "still running" not in proc.stdout


def test_a_heartbeat_that_is_not_a_number_is_a_usage_error(git_repo: Path, checklist) -> None:
    checklist(SLOW)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env={"RELCHECK_HEARTBEAT": "soon"})
    assert proc.returncode == 2
    assert "RELCHECK_HEARTBEAT: expected a number of seconds" in proc.stderr
    assert "'soon'" in proc.stderr
    assert_no_traceback(proc)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("", 60.0), ("1", 1.0), ("0.5", 0.5), ("90", 90.0), ("0", None), ("off", None)],
)
def test_heartbeat_interval_from_the_environment(value: str, seconds: float | None) -> None:
    assert interval_from({"RELCHECK_HEARTBEAT": value}) == seconds


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1m"])
def test_heartbeat_interval_rejects_what_is_not_seconds(value: str) -> None:
    with pytest.raises(ValueError, match="RELCHECK_HEARTBEAT"):
        interval_from({"RELCHECK_HEARTBEAT": value})


@pytest.mark.parametrize(
    ("seconds", "text"), [(1.9, "1s"), (59.99, "59s"), (120.4, "2m00s"), (3725, "1h02m")]
)
def test_elapsed_time_reads_like_a_clock(seconds: float, text: str) -> None:
    assert elapsed_text(seconds) == text
