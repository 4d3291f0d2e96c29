"""Command steps waited for by the scheduler's own loop end exactly as they do when a
thread waits for each: same status, summary, exit code, attempts, output and log.

``reltest-command`` is the command runner under another name, so its steps run in
threads, as a plugin's steps do; ``command`` steps run in the loop."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import latest_record, run_relcheck, step_record

_COMPARED = ("status", "summary", "exit_code", "attempts", "output_bytes", "output_tail")


def _steps() -> list[dict[str, Any]]:
    """Steps that end every way a command step can, each waited for its own way."""
    python = sys.executable
    return [
        {"id": "passes", "with": {"run": "echo out; echo err >&2"}},
        {"id": "fails", "with": {"run": "echo failing; exit 3"}},
        {"id": "allowed", "with": {"run": "exit 3", "exit_codes": [0, 3]}},
        {"id": "argv", "with": {"run": [python, "-c", "print('from argv')"]}},
        {"id": "missing", "with": {"run": ["no-such-program-anywhere"]}},
        {"id": "no-cwd", "with": {"run": "true", "cwd": "no/such/folder"}},
        {"id": "slow", "timeout": "1s", "with": {"run": "echo begun; sleep 30"}},
        # The shell exits at once; its background job holds the pipe until stopped.
        {"id": "stray", "with": {"run": "(sleep 30; echo late) & echo early"}},
        {
            "id": "flaky",
            "retries": 1,
            # Outside the work tree, which the step must not change.
            "with": {"run": "test -e ../tried || { touch ../tried; echo first; exit 1; }"},
        },
        {"id": "loud", "with": {"run": [python, "-c", "print('x' * 99999 + '\\n' * 3000)"]}},
        {"id": "last-words", "with": {"run": "printf 'no newline at the end'; exit 4"}},
        {"id": "killed", "with": {"run": "kill -9 $$"}},
    ]


def _run(git_repo: Path, run_env: dict[str, str], uses: str) -> dict[str, Any]:
    (git_repo.parent / "tried").unlink(missing_ok=True)
    steps = [{**step, "uses": uses} for step in _steps()]
    (git_repo / "relcheck.yaml").write_text(yaml.safe_dump({"version": 1, "steps": steps}))
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=run_env, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    return latest_record(git_repo)


def test_command_steps_in_the_loop_end_as_in_a_thread(
    git_repo: Path, run_env: dict[str, str]
) -> None:
    threaded = _run(git_repo, run_env, "reltest-command")
    looped = _run(git_repo, run_env, "command")
    for step in _steps():
        seen = step_record(looped, step["id"])
        expected = step_record(threaded, step["id"])
        for key in _COMPARED:
            assert seen.get(key) == expected.get(key), f"{step['id']}: {key}"
        assert Path(seen["log"]).read_text() == Path(expected["log"]).read_text(), step["id"]
    # What each case is for: these ended the way they were meant to.
    assert step_record(looped, "slow")["status"] == "timed_out"
    assert step_record(looped, "flaky")["attempts"] == 2
    assert step_record(looped, "flaky")["status"] == "passed"
    assert "early" in step_record(looped, "stray")["output_tail"]
    assert "no newline at the end" in step_record(looped, "last-words")["output_tail"]
