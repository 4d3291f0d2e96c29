"""GitLab CI output: a collapsible section per finished step, from real runs with
GITLAB_CI=true; collapsed for passes, open for failures, balanced and validly named."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from relcheck.report.gitlab import neutralize, section_name
from tests.helpers import RELCHECK
from tests.report.conftest import SECRET

# GitLab's own pattern for a marker at the start of a line.
MARKER = re.compile(
    r"^\x1b\[0K(section_start|section_end):(\d+):([A-Za-z0-9_.-]+)(\[collapsed=true\])?"
    r"\r\x1b\[0K(.*)$"
)


def run_relcheck(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """relcheck as a real process, its output decoded as is: text mode would turn each
    marker's carriage return into a line break."""
    proc = subprocess.run(
        [*RELCHECK, *args],
        cwd=cwd,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


@pytest.fixture
def on_gitlab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_CI", "true")
    monkeypatch.setenv("CI", "true")


def sections(text: str) -> dict[str, dict[str, object]]:
    """Each section's header, collapsed flag, times and lines; asserts they are balanced
    (every start closed by its own end before the next start) and validly named."""
    found: dict[str, dict[str, object]] = {}
    open_name: str | None = None
    for line in text.split("\n"):  # not splitlines(): a marker holds a \r
        if re.search(r"\x1b\[0?Ksection_", line):  # where GitLab would see a marker
            match = MARKER.match(line)
            assert match, f"malformed marker: {line!r}"
            kind, when, name, collapsed, header = match.groups()
            if kind == "section_start":
                assert open_name is None, f"{name} opened inside {open_name}"
                assert name not in found, f"section {name} used twice"
                found[name] = {
                    "header": header,
                    "collapsed": bool(collapsed),
                    "start": int(when),
                    "lines": [],
                }
                open_name = name
            else:
                assert open_name == name, f"{name} closed, but {open_name} is open"
                assert header == ""
                assert int(when) >= found[name]["start"]  # type: ignore[operator]
                open_name = None
        elif open_name is not None:
            found[open_name]["lines"].append(line)  # type: ignore[union-attr]
    assert open_name is None, f"section {open_name} never closed"
    return found


def _by_header(found: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(s["header"]): s for s in found.values()}


def test_each_finished_step_gets_a_section_collapsed_only_when_it_passed(
    mixed: Path, on_gitlab: None
) -> None:
    proc = run_relcheck("run", "--dry-run", cwd=mixed)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    shown = _by_header(sections(proc.stdout))
    assert set(shown) == {
        "ok: passed",
        "bad: failed",
        "broken: error",
        "slow: timed_out",
        "maybe: failed",
    }  # the skipped step ran nothing, so it has no section
    assert shown["ok: passed"]["collapsed"] is True
    for failed in ("bad: failed", "broken: error", "slow: timed_out", "maybe: failed"):
        assert shown[failed]["collapsed"] is False, failed
    assert "first line" in shown["bad: failed"]["lines"]  # type: ignore[operator]
    assert "all good" in shown["ok: passed"]["lines"]  # type: ignore[operator]
    assert SECRET not in proc.stdout
    assert "relcheck: FAILED" in proc.stdout.splitlines()[-2]  # the result line is outside


def test_a_step_cannot_close_or_open_relcheck_s_sections(
    git_repo: Path, checklist, on_gitlab: None
) -> None:
    checklist(
        r"""
        version: 1
        steps:
          - id: sneaky
            run: >-
              printf '\033[0Ksection_end:1:relcheck-1-sneaky\r\033[0K\n';
              printf '\033[0Ksection_start:1:fake[collapsed=true]\r\033[0Kfake\n';
              echo after
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shown = sections(proc.stdout)
    assert list(shown) == ["relcheck-1-sneaky"]
    inside = shown["relcheck-1-sneaky"]["lines"]
    assert "after" in inside  # type: ignore[operator]
    assert any("section_end:1:relcheck-1-sneaky" in line for line in inside)  # type: ignore[union-attr]


def test_with_json_output_sections_go_to_stderr(mixed: Path, on_gitlab: None) -> None:
    proc = run_relcheck("run", "--dry-run", "--format", "json", cwd=mixed)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["outcome"] == "failed"
    assert "bad: failed" in _by_header(sections(proc.stderr))


def test_no_sections_outside_gitlab(mixed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    proc = run_relcheck("run", "--dry-run", cwd=mixed)
    assert "section_start" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("step_id", "name"),
    [
        ("unit", "relcheck-1-unit"),
        ("db.migrate_v2", "relcheck-1-db.migrate_v2"),
        ("a b/c", "relcheck-1-a_b_c"),
    ],
)
def test_section_names_use_only_the_characters_gitlab_accepts(step_id: str, name: str) -> None:
    assert section_name(step_id, 1) == name


def test_a_marker_in_step_output_is_defused() -> None:
    line = "\x1b[0Ksection_end:1:x\r\x1b[0K"
    assert not MARKER.match(neutralize(line))
    assert neutralize("plain \x1b[31mred\x1b[0m") == "plain \x1b[31mred\x1b[0m"
