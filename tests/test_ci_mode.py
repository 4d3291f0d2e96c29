"""CI mode (CI=true or --ci): plain timestamped lines, no escape codes, never a prompt."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from relcheck.report.stamps import TimestampedStream
from relcheck.system.cienv import is_ci
from tests.helpers import run_relcheck

STAMP = re.compile(r"^\d\d:\d\d:\d\dZ ")
CHECKLIST = """
version: 1
steps:
  - id: ok
    run: echo fine
  - id: bad
    run: 'printf "\\033[31mred\\033[0m\\n"; exit 1'
"""

TERMINAL_LIKE = {"TERM": "xterm-256color", "COLORTERM": "truecolor"}


@pytest.mark.parametrize(
    ("args", "env"),
    [((), {"CI": "true"}), (("--ci",), {})],
    ids=["CI=true", "--ci"],
)
def test_ci_output_has_no_escape_codes_and_a_time_on_every_line(
    git_repo: Path,
    checklist,
    args: tuple[str, ...],
    env: dict[str, str],  # type: ignore[no-untyped-def]
) -> None:
    checklist(CHECKLIST)
    proc = run_relcheck("run", "--dry-run", *args, cwd=git_repo, env={**TERMINAL_LIKE, **env})
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines
    assert all(STAMP.match(line) for line in lines), lines
    assert any("FAIL    bad" in line for line in lines)
    assert any("| red" in line for line in lines)  # the output tail, its colour removed


def test_without_ci_lines_carry_no_time(git_repo: Path, checklist) -> None:  # type: ignore[no-untyped-def]
    checklist(CHECKLIST)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert not any(STAMP.match(line) for line in proc.stdout.splitlines())


def test_json_output_in_ci_is_plain_json(git_repo: Path, checklist) -> None:  # type: ignore[no-untyped-def]
    checklist(CHECKLIST)
    proc = run_relcheck("run", "--dry-run", "--format", "json", cwd=git_repo, env={"CI": "true"})
    assert json.loads(proc.stdout)["outcome"] == "failed"


def test_ci_is_recognised_from_the_usual_values() -> None:
    for value in ("true", "1", "TRUE", "yes"):
        assert is_ci({"CI": value})
    for environ in ({}, {"CI": "false"}, {"CI": ""}, {"CI": "0"}):
        assert not is_ci(environ)
    assert is_ci({}, forced=True)


def test_timestamps_go_at_line_starts_only() -> None:
    out = io.StringIO()
    stream = TimestampedStream(out, clock=lambda: "T")
    stream.write("one")
    stream.write(" still one\ntwo\n")
    stream.write("\nthree")
    assert out.getvalue() == "T one still one\nT two\nT \nT three"
