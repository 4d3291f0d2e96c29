"""The live view at a real pseudo-terminal, and plain lines everywhere else."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import (
    assert_no_traceback,
    latest_record,
    run_relcheck,
    screen_of,
    spawn_relcheck,
    transcript,
)

# Each gate step waits for a file the test creates, so the test decides when it ends.
GATED = """
version: 1
steps:
  - id: quick
    run: echo quick done
  - id: gate-one
    run: while [ ! -e go-one ]; do sleep 0.05; done; echo one
  - id: gate-two
    run: while [ ! -e go-two ]; do sleep 0.05; done; echo two
  - id: after-one
    needs: [gate-one]
    run: echo after
"""

ESCAPE = re.compile(r"\x1b\[")


def _row(screen: list[str], step_id: str) -> int:
    rows = [i for i, line in enumerate(screen) if re.search(rf"\b{re.escape(step_id)}\b", line)]
    assert len(rows) == 1, f"{step_id!r} should be on exactly one line:\n" + "\n".join(screen)
    return rows[0]


def test_live_view_redraws_each_step_in_place_and_ends_with_a_summary(
    git_repo: Path, checklist
) -> None:
    checklist(GATED)
    child = spawn_relcheck("run", "--dry-run", "--jobs", "3", cwd=git_repo)
    child.expect("running")
    child.expect(r"waiting(?:\x1b\[[0-9;]*m|\s)+after-one")  # needs gate-one, so it waits
    child.expect(pexpect.TIMEOUT, timeout=0.5)  # let the display settle, then look at it
    before = screen_of(transcript(child))
    row = _row(before, "gate-one")
    assert "running" in before[row]
    assert "waiting" in before[_row(before, "after-one")]

    (git_repo / "go-one").touch()
    child.expect(r"passed(?:\x1b\[[0-9;]*m|\s)+after-one")  # gate-one passed, then after-one
    child.expect(pexpect.TIMEOUT, timeout=0.5)
    during = screen_of(transcript(child))
    assert _row(during, "gate-one") == row, "gate-one's line moved instead of changing"
    assert "passed" in during[row]
    assert "running" in during[_row(during, "gate-two")]

    (git_repo / "go-two").touch()
    child.expect(pexpect.EOF)
    child.close()
    seen = transcript(child)
    assert child.exitstatus == 0, seen
    assert "\x1b[1A" in seen  # the cursor moved up: lines were redrawn, not appended
    final = screen_of(seen)
    text = "\n".join(final)
    assert re.search(r"step\s.*status\s.*duration\s.*summary", text), text
    for step_id in ("quick", "gate-one", "gate-two", "after-one"):
        assert "passed" in final[_row(final, step_id)]  # one summary row each
    assert "relcheck: passed: 4 passed" in text
    assert "running" not in text, text  # the live rows gave way to the summary
    assert "waiting" not in text, text


def test_live_summary_shows_owner_expectation_rollback_and_output_of_a_failure(
    git_repo: Path, checklist
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: migrations
            run: echo "table users is locked"; exit 4
            owner: data-team
            expect: every migration applies cleanly
            rollback: restore the snapshot taken before the deploy
          - id: docs
            needs: [migrations]
            run: echo never
        """
    )
    child = spawn_relcheck("run", "--dry-run", cwd=git_repo)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    text = "\n".join(screen_of(transcript(child)))
    assert "failed" in text
    assert "exit 4 (expected 0)" in text
    assert "skipped" in text
    assert "needs 'migrations'" in text
    assert "owner: data-team" in text
    assert "expected: every migration applies cleanly" in text
    assert "rollback: restore the snapshot taken before the deploy" in text
    assert "| table users is locked" in text
    assert "relcheck: FAILED" in text


def test_verbose_live_view_prints_step_output_prefixed_with_the_step_id(
    git_repo: Path, checklist
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: hello
            run: echo first line; echo second line
        """
    )
    child = spawn_relcheck("run", "--dry-run", "-v", cwd=git_repo)
    child.expect(pexpect.EOF)
    text = "\n".join(screen_of(transcript(child)))
    assert "[hello] first line" in text
    assert "[hello] second line" in text


def test_verbose_output_at_a_terminal_does_not_hang_the_run(git_repo: Path, checklist) -> None:
    """`relcheck run -v` at a terminal, eight steps printing lines: the run ends.

    LiveReporter.on_output printed through the rich console (which takes the console's
    lock) while it held the reporter's lock, and the live view's refresh thread holds
    the console's lock while it draws the rows, which takes the reporter's lock. Each
    waited for the other for ever: the steps had long ended, relcheck printed nothing
    more and held the repository's lock.
    """
    checklist(
        """
        version: 1
        steps:
        """
        + "".join(
            f"""
          - id: chatty{i}
            run: for i in $(seq 1 300); do echo line $i; sleep 0.005; done
        """
            for i in range(8)
        )
    )
    child = spawn_relcheck("run", "--dry-run", "-v", cwd=git_repo, timeout=30)
    try:
        try:
            child.expect(pexpect.EOF)
        except pexpect.TIMEOUT:
            raise AssertionError(
                "relcheck -v hung at the terminal:\n" + transcript(child)[-2000:]
            ) from None
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, transcript(child)[-2000:]


def test_no_color_keeps_the_live_view_but_drops_colours(git_repo: Path, checklist) -> None:
    checklist("version: 1\nsteps:\n  - id: hello\n    run: 'true'\n")
    child = spawn_relcheck("run", "--dry-run", cwd=git_repo, env={"NO_COLOR": "1"})
    child.expect(pexpect.EOF)
    assert "\x1b[?25l" in transcript(child)  # the live view hid the cursor while drawing
    assert not re.search(r"\x1b\[[0-9;]*m", transcript(child).replace("\x1b[0m", ""))


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--no-progress",), {}),
        ((), {"CI": "true"}),
        ((), {"TERM": "dumb"}),
    ],
    ids=["no-progress", "ci", "dumb-terminal"],
)
def test_plain_lines_at_a_terminal_when_progress_is_off(
    git_repo: Path, checklist, args: tuple[str, ...], env: dict[str, str]
) -> None:
    checklist("version: 1\nsteps:\n  - id: hello\n    run: echo hi\n")
    child = spawn_relcheck("run", "--dry-run", *args, cwd=git_repo, env=env)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not ESCAPE.search(transcript(child)), repr(transcript(child))
    # CI lines start with a timestamp
    assert re.search(r"^(\S+Z )?PASS\s+hello", transcript(child), re.MULTILINE)


def test_piped_output_is_plain_lines_without_escape_codes(git_repo: Path, checklist) -> None:
    checklist(GATED.replace("while [ ! -e go-one ]", "while false").replace("go-two", "."))
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("PASS")]
    assert len(lines) == 4  # one line per event, no redraws
    assert_no_traceback(proc)


def test_color_always_colours_plain_output_and_never_removes_it(git_repo: Path, checklist) -> None:
    checklist("version: 1\nsteps:\n  - id: hello\n    run: echo hi\n")
    coloured = run_relcheck("run", "--dry-run", "--color", "always", cwd=git_repo)
    assert "\x1b[32mPASS\x1b[0m" in coloured.stdout
    child = spawn_relcheck("run", "--dry-run", "--color", "never", cwd=git_repo)
    child.expect(pexpect.EOF)
    assert not re.search(r"\x1b\[[0-9;]*m", transcript(child).replace("\x1b[0m", ""))


def test_quiet_prints_only_failures_and_the_result_line(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: fine
            run: echo fine
          - id: broken
            run: exit 2
        """
    )
    child = spawn_relcheck("run", "--dry-run", "-q", cwd=git_repo)
    child.expect(pexpect.EOF)
    lines = [line for line in transcript(child).splitlines() if line.strip()]
    assert not any("fine" in line for line in lines), lines
    assert lines[0].startswith("FAIL")
    assert "broken" in lines[0]
    assert lines[-1].startswith("relcheck: FAILED")
    assert latest_record(git_repo)["outcome"] == "failed"


def test_plain_runs_and_help_never_import_rich(git_repo: Path, checklist) -> None:
    checklist("version: 1\nsteps:\n  - id: hello\n    run: echo hi\n")
    for args in (("--help",), ("run", "--dry-run")):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "relcheck", *args],
            cwd=git_repo,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
        assert "rich" not in imported, args


def test_json_output_at_a_terminal_is_json_not_the_live_view(git_repo: Path, checklist) -> None:
    checklist("version: 1\nsteps:\n  - id: hello\n    run: echo hi\n")
    child = spawn_relcheck("run", "--dry-run", "--format", "json", cwd=git_repo)
    child.expect(pexpect.EOF)
    output = transcript(child)
    assert "\x1b[" not in output
    assert json.loads(output)["outcome"] == "passed"


def test_verbose_output_a_stream_cannot_encode_is_shown_replaced(git_repo: Path, checklist) -> None:
    # A terminal or pipe in latin-1 cannot show every character a step prints: the line
    # is shown with the rest replaced (the step's log keeps it whole), not an internal
    # error.
    checklist(
        """
        version: 1
        steps:
          - id: prints
            run: echo '✓ all good'
        """
    )
    proc = run_relcheck("run", "--dry-run", "-v", cwd=git_repo, env={"PYTHONIOENCODING": "latin-1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[prints] ? all good" in proc.stdout
    log = latest_record(git_repo)["steps"][0]["log"]
    assert "✓ all good" in Path(log).read_text(encoding="utf-8")
