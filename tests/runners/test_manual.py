"""The `manual` runner: a person confirms a step at a terminal, or with --confirm."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path

import pexpect

from tests.helpers import (
    RELCHECK,
    assert_no_traceback,
    git,
    latest_record,
    run_relcheck,
    screen_of,
    spawn_relcheck,
    step_record,
    transcript,
)

ONCALL = """
version: 1
steps:
  - id: unit
    run: echo tests pass
  - id: oncall
    uses: manual
    with: {prompt: "On-call has been notified"}
    owner: release-manager
"""
IDENTITY = "Rel Check <relcheck@example.invalid>"  # from the test environment's git identity


def _answer(git_repo: Path, answer: str, *args: str) -> tuple[int, str]:
    child = spawn_relcheck("run", "--dry-run", *args, cwd=git_repo)
    child.expect(r"\[oncall\] On-call has been notified\? \[y/N\] ")
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, transcript(child)


def test_answering_y_at_a_terminal_passes_and_records_who_and_when(
    git_repo: Path, checklist
) -> None:
    checklist(ONCALL)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    status, output = _answer(git_repo, "y")
    assert status == 0, output
    screen = "\n".join(screen_of(output))
    # The question and its answer stay on screen above the summary.
    assert "[oncall] On-call has been notified? [y/N] y" in screen
    assert screen.index("[y/N] y") < screen.index("status")
    step = step_record(latest_record(git_repo), "oncall")
    assert step["status"] == "passed"
    assert step["summary"] == f"confirmed by {IDENTITY}"
    assert step["metrics"]["confirmed_by"] == IDENTITY
    assert step["metrics"]["confirmed_via"] == "terminal"
    assert step["metrics"]["prompt"] == "On-call has been notified"
    assert dt.datetime.fromisoformat(step["metrics"]["confirmed_at"]) >= before


def test_answering_n_at_a_terminal_fails_the_step_and_the_run(git_repo: Path, checklist) -> None:
    checklist(ONCALL)
    status, output = _answer(git_repo, "n")
    assert status == 1
    step = step_record(latest_record(git_repo), "oncall")
    assert step["status"] == "failed"
    assert "not confirmed: 'On-call has been notified'" in step["summary"]
    assert "owner: release-manager" in output


def test_an_empty_answer_means_no(git_repo: Path, checklist) -> None:
    checklist(ONCALL)
    status, _ = _answer(git_repo, "")
    assert status == 1
    assert step_record(latest_record(git_repo), "oncall")["status"] == "failed"


def test_without_a_terminal_the_step_fails_and_says_how_to_confirm(
    git_repo: Path, checklist
) -> None:
    checklist(ONCALL)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 1
    assert "relcheck run --confirm oncall" in proc.stdout
    step = step_record(latest_record(git_repo), "oncall")
    assert step["status"] == "failed"
    assert "confirmed_by" not in step["metrics"]
    assert_no_traceback(proc)


def test_ci_never_prompts_even_at_a_terminal(git_repo: Path, checklist) -> None:
    checklist(ONCALL)
    child = spawn_relcheck("run", "--dry-run", cwd=git_repo, env={"CI": "true"})
    index = child.expect([r"\[y/N\]", pexpect.EOF])
    child.close()
    assert index == 1, "relcheck asked a question in CI"
    assert "relcheck run --confirm oncall" in child.before


def test_confirm_flag_passes_the_step_and_records_the_flag_and_the_user(
    git_repo: Path, checklist
) -> None:
    checklist(ONCALL)
    proc = run_relcheck("run", "--dry-run", "--confirm", "oncall", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    step = step_record(latest_record(git_repo), "oncall")
    assert step["status"] == "passed"
    assert step["summary"] == f"confirmed by {IDENTITY} with --confirm"
    assert step["metrics"]["confirmed_via"] == "--confirm"
    assert step["metrics"]["confirmed_by"] == IDENTITY


def test_confirm_flag_takes_the_repository_git_identity(git_repo: Path, checklist) -> None:
    checklist(ONCALL)
    git(git_repo, "config", "user.name", "Dana Release")
    git(git_repo, "config", "user.email", "dana@example.invalid")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_AUTHOR")}
    proc = subprocess.run(
        [*RELCHECK, "run", "--dry-run", "--confirm", "oncall"],
        cwd=git_repo,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    step = step_record(latest_record(git_repo), "oncall")
    assert step["metrics"]["confirmed_by"] == "Dana Release <dana@example.invalid>"


def test_confirm_flag_with_an_unknown_step_is_a_usage_error(git_repo: Path, checklist) -> None:
    checklist(ONCALL)
    proc = run_relcheck("run", "--dry-run", "--confirm", "on-call", cwd=git_repo)
    assert proc.returncode == 2
    assert "--confirm names unknown step(s): on-call" in proc.stderr


def test_parallel_manual_steps_ask_one_at_a_time(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: notify
            uses: manual
            with: {prompt: "On-call has been notified"}
          - id: freeze
            uses: manual
            with: {prompt: "The change freeze is lifted"}
        """
    )
    child = spawn_relcheck("run", "--dry-run", "--jobs", "2", cwd=git_repo)
    answered = set()
    for _ in range(2):
        child.expect(r"\[(notify|freeze)\] [^\r\n]*\? \[y/N\] ")
        asked = child.match.group(1)
        # The other question must not be on screen while this one waits for an answer.
        assert child.expect([r"\[y/N\]", pexpect.TIMEOUT], timeout=0.5) == 1
        answered.add(asked)
        child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert answered == {"notify", "freeze"}
    assert child.exitstatus == 0, child.before
    record = latest_record(git_repo)
    assert {s["status"] for s in record["steps"]} == {"passed"}


def test_a_misspelt_manual_parameter_is_a_checklist_error_with_its_line(
    git_repo: Path, checklist
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: oncall
            uses: manual
            with: {promt: "On-call has been notified"}
        """
    )
    proc = run_relcheck("validate", cwd=git_repo)
    assert proc.returncode == 2
    assert "relcheck.yaml:5:" in proc.stderr
    assert "did you mean 'prompt'" in proc.stderr


def test_an_unanswered_question_ends_at_the_steps_timeout(git_repo: Path, checklist) -> None:
    checklist(ONCALL.replace("owner: release-manager", "timeout: 1s"))
    child = spawn_relcheck("run", "--dry-run", cwd=git_repo)
    child.expect(r"\[y/N\] ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    step = step_record(latest_record(git_repo), "oncall")
    assert step["status"] == "timed_out"
    assert step["summary"] == "no answer within 1s: 'On-call has been notified'"
    assert re.search(r"^oncall\s+│ ✗ timed out", "\n".join(screen_of(transcript(child))), re.M)


def test_ctrl_c_while_asking_interrupts_the_run_and_gives_the_terminal_back(
    git_repo: Path, checklist
) -> None:
    checklist(ONCALL)
    child = spawn_relcheck("run", "--dry-run", cwd=git_repo)
    child.expect(r"\[y/N\] ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    record = latest_record(git_repo)
    assert record["outcome"] == "interrupted"
    assert step_record(record, "oncall")["status"] == "interrupted"
    output = transcript(child)
    assert output.rfind("\x1b[?25h") > output.rfind("\x1b[?25l")  # the cursor is shown again
