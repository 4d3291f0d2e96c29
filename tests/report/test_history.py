"""`relcheck history`, `history --step` and `show`, over records written by real runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pexpect

from tests.helpers import (
    assert_no_traceback,
    git,
    records,
    run_relcheck,
    screen_of,
    spawn_relcheck,
    transcript,
)

CHECKLIST = """
version: 1
steps:
  - id: unit
    run: test -z "$BREAK_UNIT"
    owner: service-team
  - id: smoke
    retries: 1
    # Fails on its first attempt when FLAKY is set, then passes: a flaky check.
    run: test -z "$FLAKY" || test -e .relcheck/flaked || { touch .relcheck/flaked; exit 1; }
"""


def _run_ids(repo: Path) -> list[str]:
    """Run ids, oldest first (ids started in the same second sort by start time)."""
    return [p.stem for p in sorted(records(repo), key=_started_at)]


def _started_at(path: Path) -> str:
    return tomllib.loads(path.read_text())["started_at"]


def _three_runs(repo: Path) -> None:
    assert run_relcheck("run", "--dry-run", cwd=repo).returncode == 0
    assert run_relcheck("run", "--dry-run", cwd=repo, env={"BREAK_UNIT": "1"}).returncode == 1
    assert run_relcheck("run", "--dry-run", cwd=repo, env={"FLAKY": "1"}).returncode == 0


def test_history_lists_runs_newest_first_as_a_table(git_repo: Path, checklist) -> None:
    checklist(CHECKLIST)
    _three_runs(git_repo)
    commit = git(git_repo, "rev-parse", "HEAD")[:9]
    proc = run_relcheck("history", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if "when" in line)
    for column in ("when", "commit", "version", "outcome", "failed steps", "duration"):
        assert column in header
    rows = [line for line in lines if re.search(r"\d{8}T\d{6}Z", line)]
    run_ids = _run_ids(git_repo)
    assert [re.search(r"\d{8}T\d{6}Z-\w+", row).group() for row in rows] == run_ids[::-1]
    assert all(commit in row and "1.2.0" in row for row in rows)
    assert re.search(r"failed \(dry\)\s+unit\s", rows[1])
    assert "passed (dry)" in rows[0]
    assert_no_traceback(proc)


def test_history_step_shows_a_steps_durations_outcomes_and_flakiness(
    git_repo: Path, checklist
) -> None:
    checklist(CHECKLIST)
    _three_runs(git_repo)
    unit = run_relcheck("history", "--step", "unit", cwd=git_repo)
    assert unit.returncode == 0, unit.stderr
    statuses = re.findall(r"(passed|failed)\s+\d+\.\d+s", unit.stdout)
    assert statuses == ["passed", "failed", "passed"]  # newest first
    assert "passed 2 of 3 runs; duration median" in unit.stdout
    assert "█" in unit.stdout  # a bar per run, to see a step slowing down

    smoke = run_relcheck("history", "--step", "smoke", cwd=git_repo)
    assert "passed 3 of 3 runs (1 flaky: passed after a retry)" in smoke.stdout
    assert re.search(r"flaky, 2 attempts", smoke.stdout)

    missing = run_relcheck("history", "--step", "nope", cwd=git_repo)
    assert missing.returncode == 2
    assert "no step 'nope' in the checklist or the runs listed" in missing.stderr


def test_history_without_runs_says_so(git_repo: Path) -> None:
    proc = run_relcheck("history", cwd=git_repo)
    assert proc.returncode == 0
    assert "no runs recorded in" in proc.stdout


def test_history_of_releases_without_one_says_so(git_repo: Path, checklist) -> None:
    checklist("version: 1\nsteps:\n  - {id: hello, run: 'true'}\n")
    assert run_relcheck("run", "--dry-run", cwd=git_repo).returncode == 0
    proc = run_relcheck("history", "--releases", cwd=git_repo)
    assert proc.returncode == 0
    assert "no release recorded in" in proc.stdout


def test_show_renders_a_recorded_run_with_its_failures(git_repo: Path, checklist) -> None:
    checklist(CHECKLIST)
    _three_runs(git_repo)
    failed_run = _run_ids(git_repo)[1]
    proc = run_relcheck("show", failed_run[:-1], cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert f"run {failed_run}" in proc.stdout
    assert re.search(r"unit\s+│ ✗ failed", proc.stdout)
    assert "--- unit (command) failed" in proc.stdout
    assert "owner: service-team" in proc.stdout
    assert "relcheck: FAILED" in proc.stdout

    unknown = run_relcheck("show", "19990101", cwd=git_repo)
    assert unknown.returncode == 2
    assert "no run matching '19990101'" in unknown.stderr


def test_show_looks_like_the_summary_at_the_end_of_a_live_run(git_repo: Path, checklist) -> None:
    checklist(CHECKLIST)
    live = spawn_relcheck("run", "--dry-run", cwd=git_repo, env={"BREAK_UNIT": "1"})
    live.expect(pexpect.EOF)
    shown = spawn_relcheck("show", cwd=git_repo)
    shown.expect(pexpect.EOF)

    def summary(screen: list[str]) -> list[str]:
        start = next(i for i, line in enumerate(screen) if re.match(r"step\s+┃ status", line))
        return screen[start : start + 4]

    live_rows = summary(screen_of(transcript(live)))
    assert summary(screen_of(transcript(shown))) == live_rows
    assert "✗ failed" in live_rows[2]


def test_history_says_when_the_newest_record_is_unreadable(git_repo: Path, checklist) -> None:
    checklist(CHECKLIST)
    assert run_relcheck("run", "--dry-run", cwd=git_repo).returncode == 0
    broken = git_repo / ".relcheck" / "runs" / "29991231T235959Z-dead.toml"
    broken.write_text("outcome = [not toml\n")
    proc = run_relcheck("history", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert len(re.findall(r"\d{8}T\d{6}Z-\w+", proc.stdout)) == 1  # the readable run
    lines = [line for line in proc.stderr.splitlines() if "29991231T235959Z-dead.toml" in line]
    assert len(lines) == 1, proc.stderr
    assert "not a readable run record" in lines[0]
    assert_no_traceback(proc)


def test_history_lists_a_dry_runs_skipped_tag_under_no_failed_steps(
    git_repo: Path, checklist
) -> None:
    checklist(CHECKLIST + "  - id: tag\n    uses: git-tag\n")
    assert run_relcheck("run", "--dry-run", cwd=git_repo).returncode == 0
    proc = run_relcheck("history", cwd=git_repo)
    header = next(line for line in proc.stdout.splitlines() if "when" in line)
    assert "failed steps" in header and "outcome" in header
    (row,) = [line for line in proc.stdout.splitlines() if re.search(r"\d{8}T\d{6}Z", line)]
    assert "tag" not in row.split("passed (dry)")[1]
