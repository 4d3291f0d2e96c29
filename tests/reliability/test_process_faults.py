"""Steps that misbehave: time out with children, ignore signals, flood output, die by
signal, read stdin, print garbage. relcheck stops them all, keeps a complete record and
makes no tag."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import latest_record, run_relcheck, start_relcheck, step_record, tags
from tests.reliability.support import (
    FIGURES,
    check_run,
    communicate,
    read_records,
    wait_for,
    with_release,
)

PY = sys.executable


@pytest.fixture
def pids(tmp_path: Path) -> Path:
    folder = tmp_path / "pids"
    folder.mkdir()
    return folder


def test_timeout_stops_the_step_and_the_background_children_it_started(
    git_repo: Path, checklist, run_env: dict[str, str], pids: Path, tmp_path: Path
) -> None:
    sentinel = tmp_path / "released"
    checklist(
        with_release(
            f"""
        version: 1
        steps:
          - id: slow
            timeout: 1s
            run: |
              echo $$ > {pids}/shell.pid
              sleep 300 & echo $! > {pids}/background.pid
              sh -c 'trap "" INT TERM; echo $$ > {pids}/stubborn.pid; exec sleep 300' &
              wait
        """,
            sentinel,
        )
    )
    proc = run_relcheck("run", cwd=git_repo, env=run_env, timeout=60)
    FIGURES.add("signal/timeout runs")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "TIMEOUT" in proc.stdout
    assert len(list(pids.glob("*.pid"))) == 3
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo, pid_dir=pids)
    record = latest_record(git_repo)
    assert step_record(record, "slow")["status"] == "timed_out"
    assert step_record(record, "tag")["status"] == "skipped"
    assert not sentinel.exists()


def _signal_logging_step(pids: Path) -> str:
    # The step survives SIGINT and SIGTERM (it only writes down that it got them).
    return f"""
        version: 1
        steps:
          - id: stubborn
            run: |
              trap 'echo INT >> {pids}/signals' INT
              trap 'echo TERM >> {pids}/signals' TERM
              echo $$ > {pids}/step.pid
              while :; do sleep 0.05; done
    """


@pytest.mark.parametrize(
    ("signum", "code", "outcome"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_to_relcheck_stops_a_step_that_ignores_it_with_int_term_then_kill(
    git_repo: Path,
    checklist,
    run_env: dict[str, str],
    pids: Path,
    tmp_path: Path,
    signum: int,
    code: int,
    outcome: str,
) -> None:
    sentinel = tmp_path / "released"
    checklist(with_release(_signal_logging_step(pids), sentinel))
    before = read_records(git_repo)
    proc = start_relcheck("run", cwd=git_repo, env=run_env)
    wait_for(pids / "step.pid")
    proc.send_signal(signum)
    out, err = communicate(proc)
    FIGURES.add("signal/timeout runs")
    assert proc.returncode == code, out + err
    check_run(proc.returncode, out + err, git_repo, before=before, pid_dir=pids)
    # The step got SIGINT, then SIGTERM after the grace period, then SIGKILL.
    assert (pids / "signals").read_text().split() == ["INT", "TERM"]
    record = latest_record(git_repo)
    assert record["outcome"] == outcome
    assert step_record(record, "stubborn")["status"] == "interrupted"
    assert step_record(record, "tag")["status"] == "skipped"
    assert not sentinel.exists()
    assert not tags(git_repo)


def test_a_second_ctrl_c_kills_the_steps_at_once(
    git_repo: Path, checklist, run_env: dict[str, str], pids: Path
) -> None:
    checklist(_signal_logging_step(pids))
    # A grace period far longer than the test waits: only the second Ctrl-C can end it.
    proc = start_relcheck("run", cwd=git_repo, env={**run_env, "RELCHECK_KILL_GRACE": "50"})
    wait_for(pids / "step.pid")
    proc.send_signal(signal.SIGINT)
    wait_for(pids / "signals")
    proc.send_signal(signal.SIGINT)
    out, err = communicate(proc, 30)
    FIGURES.add("signal/timeout runs")
    assert proc.returncode == 130, out + err
    assert (pids / "signals").read_text().split() == ["INT"]  # never reached SIGTERM
    check_run(proc.returncode, out + err, git_repo, pid_dir=pids)
    assert latest_record(git_repo)["outcome"] == "interrupted"


def test_one_ctrl_c_ends_the_run_even_when_a_runner_is_stuck_in_python(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    started = tmp_path / "stuck-started"
    checklist(
        f"""
        version: 1
        steps:
          - id: stuck
            uses: reltest-stuck
            with: {{started: "{started}"}}
        """
    )
    before = read_records(git_repo)
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    wait_for(started)
    proc.send_signal(signal.SIGINT)
    out, err = communicate(proc, 30)
    FIGURES.add("signal/timeout runs")
    assert proc.returncode == 130, out + err
    check_run(proc.returncode, out + err, git_repo, before=before)
    record = latest_record(git_repo)
    assert record["outcome"] == "interrupted"
    stuck = step_record(record, "stuck")
    assert stuck["status"] == "interrupted"
    assert "abandoned" in stuck["summary"]


def test_a_step_killed_by_a_signal_is_reported_as_such(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: doomed
            run: kill -9 $$
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    assert proc.returncode == 1
    assert "killed by signal 9" in proc.stdout
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert "killed by signal 9" in step_record(latest_record(git_repo), "doomed")["summary"]


def _peak_rss_mib(pid: int, done: threading.Event, peak: list[float]) -> None:
    while not done.is_set():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]) / 1024)
        except (FileNotFoundError, ProcessLookupError):
            return
        time.sleep(0.02)


@pytest.mark.xdist_group("whole-machine")  # each one loads every CPU, disk or memory
@pytest.mark.slow
def test_200_mb_of_output_without_newlines_keeps_memory_bounded_and_the_tail(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    size = 200 * 1024 * 1024
    checklist(
        f"""
        version: 1
        steps:
          - id: flood
            run: |
              "{PY}" -c "import os
              block = b'x' * (1 << 20)
              for _ in range(200): os.write(1, block)
              os.write(1, b'THE-END')"
              exit 1
        """
    )
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    done, peak = threading.Event(), [0.0]
    watcher = threading.Thread(target=_peak_rss_mib, args=(proc.pid, done, peak))
    watcher.start()
    try:
        out, err = communicate(proc, 300)
    finally:
        done.set()
        watcher.join()
    FIGURES.peak("peak RSS of relcheck at 200 MB of output (MiB)", peak[0])
    assert proc.returncode == 1, out + err
    check_run(proc.returncode, out + err, git_repo)
    step = step_record(latest_record(git_repo), "flood")
    assert step["output_bytes"] == size + len("THE-END")
    assert step["output_tail"].endswith("THE-END")
    assert len(step["output_tail"]) <= 8192
    assert "THE-END" in out
    assert 0 < peak[0] < 150, f"relcheck's peak RSS was {peak[0]:.0f} MiB"


def test_a_missing_program_is_an_error_that_names_it(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: ghost
            run: [no-such-program-relcheck]
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    assert proc.returncode == 1
    assert "ERROR" in proc.stdout
    assert "no-such-program-relcheck not found on PATH" in proc.stdout
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert step_record(latest_record(git_repo), "ghost")["status"] == "error"


def test_a_missing_working_directory_is_an_error_that_names_it(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: lost
            uses: command
            with: {run: "true", cwd: no/such/folder}
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    assert proc.returncode == 1
    assert "no/such/folder does not exist" in proc.stdout
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert step_record(latest_record(git_repo), "lost")["status"] == "error"


def test_steps_run_when_relcheck_starts_with_over_a_thousand_files_open(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    # A CI agent or a parent tool can hand relcheck many open descriptors: each step's
    # pipes and process handle then get numbers past select()'s limit of 1024.
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 1300:
        pytest.skip(f"this machine allows {hard} open files; the test needs 1300")
    checklist(
        """
        version: 1
        steps:
          - id: speak
            run: echo to-stdout; echo to-stderr >&2
          - id: quiet
            run: "true"
        """
    )
    opener = (
        "import os, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (1300, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        "for _ in range(1100):\n"
        "    os.set_inheritable(os.open(os.devnull, os.O_RDONLY), True)\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'relcheck', *sys.argv[1:]])\n"
    )
    proc = subprocess.run(
        [PY, "-c", opener, "run", "--dry-run"],
        cwd=git_repo,
        env={**os.environ, **run_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = latest_record(git_repo)
    assert [step_record(record, s)["status"] for s in ("speak", "quiet")] == ["passed"] * 2
    log = Path(step_record(record, "speak")["log"]).read_text()
    assert "to-stdout" in log and "to-stderr" in log


def test_a_step_reading_stdin_gets_end_of_file(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(
        f"""
        version: 1
        steps:
          - id: reader
            run: ["{PY}", "-c", "import sys; print('read', len(sys.stdin.read()), 'bytes')"]
        """
    )
    # relcheck's own stdin is a terminal-like open pipe that never ends.
    proc = start_relcheck("run", "--dry-run", "-v", cwd=git_repo, env=run_env)
    out, err = communicate(proc)
    assert proc.returncode == 0, out + err
    assert "read 0 bytes" in out
    check_run(proc.returncode, out + err, git_repo)


@pytest.mark.parametrize("verbose", [False, True])
def test_invalid_utf8_and_escape_codes_stay_out_of_terminal_and_record(
    git_repo: Path, checklist, run_env: dict[str, str], verbose: bool
) -> None:
    checklist(
        r"""
        version: 1
        steps:
          - id: noisy
            run: printf '\033[31mred\033[0m \377\376 bad \033]0;title\007 bell\007\n'; exit 1
        """
    )
    args = ["run", "--dry-run", *(["-v"] if verbose else [])]
    proc = run_relcheck(*args, cwd=git_repo, env=run_env)
    assert proc.returncode == 1
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    raw = next(iter(read_records(git_repo).values()))
    for text in (proc.stdout, proc.stderr, raw.decode()):
        assert "\x1b" not in text
        assert "\x07" not in text
    assert "red" in proc.stdout
    tail = step_record(latest_record(git_repo), "noisy")["output_tail"]
    assert "red" in tail
    assert "\ufffd" in tail  # the bad bytes, shown as replacement characters


# A step that writes coloured output without pause into a pipe it has made larger than
# what relcheck reads at a time (fcntl F_SETPIPE_SZ): relcheck cleans the escape codes
# slower than they come, so there is always output waiting for it to read, as with a
# fast tool on a machine with more CPUs than relcheck gets.
_NONSTOP_WRITER = """
import fcntl, os, sys, time
fcntl.fcntl(1, 1031, 1 << 20)
open(sys.argv[1], "w").write("writing")
block = b"\\x1b[1mA" * 13107
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    os.write(1, block)
"""


def _nonstop_writer(checklist: Callable[[str], Path], tmp_path: Path, timeout: str = "10m") -> Path:
    """A checklist whose step ``chatty`` writes for a minute; the file it makes first."""
    script, started = tmp_path / "writer.py", tmp_path / "started"
    script.write_text(_NONSTOP_WRITER)
    checklist(
        f"""
        version: 1
        steps:
          - id: chatty
            timeout: {timeout}
            run: ["{PY}", "{script}", "{started}", "60"]
        """
    )
    return started


def test_a_timeout_stops_a_step_that_never_stops_writing(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    _nonstop_writer(checklist, tmp_path, timeout="0.5s")
    began = time.monotonic()
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=120)
    elapsed = time.monotonic() - began
    FIGURES.add("signal/timeout runs")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    step = step_record(latest_record(git_repo), "chatty")
    assert step["status"] == "timed_out"
    # Stopped at its timeout, not when it chose to stop writing a minute in (bounds far
    # above the half second it takes, so a loaded machine cannot fail the test).
    assert step["duration"] < 20, step["duration"]
    assert elapsed < 30, elapsed


def test_one_ctrl_c_stops_a_step_that_never_stops_writing(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    started = _nonstop_writer(checklist, tmp_path)
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
    wait_for(started)
    time.sleep(0.3)
    asked = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = communicate(proc, 90)
    stopped_after = time.monotonic() - asked
    FIGURES.add("signal/timeout runs")
    assert proc.returncode == 130, out + err
    assert step_record(latest_record(git_repo), "chatty")["status"] == "interrupted"
    # Python dies of the SIGINT at once: the run ends long before the writer would.
    assert stopped_after < 20, stopped_after


def test_output_a_step_writes_as_it_is_stopped_reaches_its_log(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    # A test runner told to stop prints what it has so far: more than a pipe holds.
    script = tmp_path / "farewell.py"
    script.write_text(
        "import os, signal, sys, time\n"
        "def bye(*_):\n"
        "    os.write(1, b'y' * 300000 + b'\\nLAST-WORDS\\n')\n"
        "    sys.exit(3)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        "time.sleep(60)\n"
    )
    checklist(
        f"""
        version: 1
        steps:
          - id: farewell
            timeout: 0.5s
            run: ["{PY}", "{script}"]
        """
    )
    # A grace period the step's farewell needs a small part of.
    proc = run_relcheck(
        "run", "--dry-run", cwd=git_repo, env={**run_env, "RELCHECK_KILL_GRACE": "30"}
    )
    FIGURES.add("signal/timeout runs")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    step = step_record(latest_record(git_repo), "farewell")
    assert step["status"] == "timed_out"
    assert step["output_bytes"] >= 300000, step["output_bytes"]
    assert "LAST-WORDS" in Path(step["log"]).read_text()
    assert step["duration"] < 15, step["duration"]  # it exited; no SIGKILL after 30 s


def test_a_second_ctrl_c_does_not_wait_for_a_stray_process_holding_the_output(
    git_repo: Path, checklist, run_env: dict[str, str], pids: Path
) -> None:
    # A daemon that left the step's session and dropped relcheck's mark from its
    # environment keeps the step's output pipe open: relcheck cannot find it to stop it.
    checklist(
        f"""
        version: 1
        steps:
          - id: stubborn
            run: |
              setsid sh -c 'echo $$ > {pids}/stray.pid; exec env -u RELCHECK_PROCESS_TREE sleep 60' &
              trap 'echo INT >> {pids}/signals' INT
              echo $$ > {pids}/step.pid
              while :; do sleep 0.05; done
        """
    )
    proc = start_relcheck("run", cwd=git_repo, env={**run_env, "RELCHECK_KILL_GRACE": "50"})
    try:
        wait_for(pids / "step.pid")
        wait_for(pids / "stray.pid")
        proc.send_signal(signal.SIGINT)
        wait_for(pids / "signals")
        asked = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = communicate(proc, 30)
        stopped_after = time.monotonic() - asked
    finally:
        stray = int((pids / "stray.pid").read_text())
        with contextlib.suppress(ProcessLookupError):
            os.kill(stray, signal.SIGKILL)
    FIGURES.add("signal/timeout runs")
    assert proc.returncode == 130, out + err
    assert latest_record(git_repo)["outcome"] == "interrupted"
    # A second Ctrl-C stops waiting for the steps at once, not after the 5 s the last
    # read of their output may otherwise take.
    assert stopped_after < 4.5, stopped_after
