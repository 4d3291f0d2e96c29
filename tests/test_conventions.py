"""Conventions a person's shell already has: NO_COLOR, FORCE_COLOR, XDG state, completion."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.helpers import make_plugin, run_relcheck, spawn_relcheck, transcript

COLOUR = re.compile(r"\x1b\[[0-9;]*[1-9][0-9;]*m")  # an SGR code other than a reset
ONE_STEP = "version: 1\nsteps:\n  - id: hello\n    run: 'true'\n"


@pytest.mark.parametrize(
    ("env", "coloured"),
    [
        ({}, False),
        ({"FORCE_COLOR": "1"}, True),
        ({"FORCE_COLOR": "true"}, True),
        ({"FORCE_COLOR": "0"}, False),
        ({"FORCE_COLOR": ""}, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ],
)
def test_force_color_colours_piped_output(
    git_repo: Path, checklist: Any, env: dict[str, str], coloured: bool
) -> None:
    checklist(ONE_STEP)
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=env)
    assert proc.returncode == 0, proc.stderr
    assert bool(COLOUR.search(proc.stdout)) is coloured, proc.stdout


def test_force_color_loses_to_color_never(git_repo: Path, checklist: Any) -> None:
    checklist(ONE_STEP)
    proc = run_relcheck(
        "run", "--dry-run", "--color", "never", cwd=git_repo, env={"FORCE_COLOR": "1"}
    )
    assert not COLOUR.search(proc.stdout)


def test_an_empty_no_color_does_not_turn_colour_off(git_repo: Path, checklist: Any) -> None:
    checklist(ONE_STEP)
    child = spawn_relcheck("run", "--dry-run", cwd=git_repo, env={"NO_COLOR": ""})
    child.expect(pexpect.EOF)
    assert COLOUR.search(transcript(child))


CRASHING = """
from relcheck.api import EmptyParams, Runner


class Buggy(Runner):
    name = "buggy"
    Params = EmptyParams
    release = True

    @staticmethod
    def describe(params, checklist, info):
        raise ZeroDivisionError("bug in describe")
"""


def _crash(git_repo: Path, checklist: Any, tmp_path: Path, env: dict[str, str]) -> Path:
    plugins = make_plugin(tmp_path / "site", {"buggy": "demo_plugin:Buggy"}, CRASHING)
    checklist("version: 1\nsteps:\n  - id: b\n    uses: buggy\n")
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env={"PYTHONPATH": str(plugins), **env})
    assert proc.returncode == 70
    line = next(x for x in proc.stderr.splitlines() if "internal error" in x)
    log = Path(line.split("traceback in ")[1].split(";")[0])
    assert "ZeroDivisionError: bug in describe" in log.read_text()
    return log


def test_a_crash_log_goes_to_the_xdg_state_directory(
    git_repo: Path, checklist: Any, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    log = _crash(git_repo, checklist, tmp_path, {"XDG_STATE_HOME": str(state)})
    assert log.parent == state / "relcheck"
    assert log.name.startswith("crash-")


def test_without_xdg_state_home_crash_logs_go_under_local_state(
    git_repo: Path, checklist: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_STATE_HOME")
    home = tmp_path / "home"
    log = _crash(git_repo, checklist, tmp_path, {"HOME": str(home)})
    assert log.parent == home / ".local" / "state" / "relcheck"


def test_shell_completion_completes_commands_and_templates(tmp_path: Path) -> None:
    words = {"relcheck ru": "1", "relcheck init --template l": "3"}
    found = []
    for line, cword in words.items():
        proc = run_relcheck(
            cwd=tmp_path,
            env={"_RELCHECK_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": cword},
        )
        assert proc.returncode == 0, proc.stderr
        found.append(proc.stdout.split())
    assert found == [["plain,run", "plain,runners"], ["plain,library"]]
    source = run_relcheck(cwd=tmp_path, env={"_RELCHECK_COMPLETE": "bash_source"})
    assert "complete -o nosort -F _relcheck_completion relcheck" in source.stdout
