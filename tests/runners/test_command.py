"""The `command` runner: shell strings, argv lists, cwd, env, exit codes, timeouts."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.helpers import latest_record, run_relcheck, step_record


def _run(repo: Path, *args: str, env: dict[str, str] | None = None):
    proc = run_relcheck("run", "--dry-run", *args, cwd=repo, env=env)
    return proc, latest_record(repo)


def test_string_runs_through_the_shell_and_list_without_one(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: shell
            run: 'echo "shell:$((1 + 2))"'
          - id: argv
            run: [echo, "argv:$((1 + 2))"]
        """
    )
    proc, record = _run(git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "shell:3" in step_record(record, "shell")["output_tail"]
    assert "argv:$((1 + 2))" in step_record(record, "argv")["output_tail"]


def test_context_reaches_the_command_only_as_environment(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        release: {tag: "v{version}"}
        steps:
          - id: ctx
            run: 'echo "$RELCHECK_VERSION $RELCHECK_TAG $RELCHECK_BRANCH $RELCHECK_COMMIT $RELCHECK_RUN_ID $EXTRA"'
            env: {EXTRA: extra-value}
        """
    )
    # A version that is not a version is refused before anything runs.
    refused = run_relcheck("run", "--dry-run", "--version", "$(touch PWNED)", cwd=git_repo)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--version '$(touch PWNED)': version" in refused.stderr
    assert not (git_repo / "PWNED").exists()
    proc, record = _run(git_repo, "--version", "1.3.0-rc.1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tail = step_record(record, "ctx")["output_tail"]
    assert f"1.3.0-rc.1 v1.3.0-rc.1 main {record['commit']} {record['run_id']} extra-value" in tail


def test_cwd_and_accepted_exit_codes(git_repo: Path, checklist) -> None:
    (git_repo / "sub").mkdir()
    (git_repo / "sub" / "marker").write_text("here")
    checklist(
        """
        version: 1
        steps:
          - id: in-sub
            uses: command
            with: {run: "cat marker; exit 3", cwd: sub, exit_codes: [0, 3]}
        """
    )
    proc, record = _run(git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    step = step_record(record, "in-sub")
    assert step["status"] == "passed"
    assert step["exit_code"] == 3
    assert "here" in step["output_tail"]


def test_unexpected_exit_code_fails_with_owner_expectation_and_rollback(
    git_repo: Path, checklist
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: broken
            run: echo boom-output; exit 4
            owner: release-team
            expect: exit 0
            rollback: nothing to undo
        """
    )
    proc, record = _run(git_repo)
    assert proc.returncode == 1
    assert "FAIL    broken" in proc.stdout
    assert "exit 4 (expected 0)" in proc.stdout
    assert "owner: release-team" in proc.stdout
    assert "expected: exit 0" in proc.stdout
    assert "rollback: nothing to undo" in proc.stdout
    assert "boom-output" in proc.stdout
    step = step_record(record, "broken")
    assert (step["status"], step["exit_code"]) == ("failed", 4)


def test_missing_program_is_an_error_not_a_traceback(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: ghost
            run: [no-such-program-here, --flag]
          - id: nowhere
            uses: command
            with: {run: "true", cwd: does/not/exist}
        """
    )
    proc, record = _run(git_repo)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert step_record(record, "ghost")["status"] == "error"
    assert "no-such-program-here not found on PATH" in step_record(record, "ghost")["summary"]
    assert "does not exist" in step_record(record, "nowhere")["summary"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes; /proc tells.
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_timeout_kills_the_whole_process_group_grandchildren_too(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    pidfile = tmp_path / "grandchild.pid"
    checklist(
        f"""
        version: 1
        steps:
          - id: hangs
            run: "sleep 300 & echo $! > {pidfile}; wait"
            timeout: 1s
        """
    )
    proc, record = _run(git_repo)
    assert proc.returncode == 1
    step = step_record(record, "hangs")
    assert step["status"] == "timed_out"
    assert "timed out after 1s" in step["summary"]
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "the background grandchild survived the timeout"


def test_output_goes_to_a_log_file_and_a_bounded_tail(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: chatty
            run: "i=0; while [ $i -lt 20000 ]; do echo line-$i; i=$((i+1)); done"
        """
    )
    proc, record = _run(git_repo)
    assert proc.returncode == 0
    step = step_record(record, "chatty")
    log = Path(git_repo / ".relcheck" / "runs" / record["run_id"] / "chatty.log")
    assert Path(step["log"]) == log
    text = log.read_text()
    assert "line-0\n" in text
    assert "line-19999\n" in text
    assert "line-19999" in step["output_tail"]
    assert "line-0\n" not in step["output_tail"]
    assert len(step["output_tail"]) < 10_000
