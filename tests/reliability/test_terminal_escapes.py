"""Untrusted text never reaches the terminal raw: escape sequences and control
characters (ESC, BEL, the 8-bit U+009B CSI and U+009D OSC) from a step's output, a
runner's summary, a checklist's owner field or a release tag's message are removed
from what ``run``, ``run -v``, the live view, ``show``, ``history``, ``list`` and
``verify`` print, and rich markup in such text is printed as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.helpers import (
    commit_all,
    git,
    make_plugin,
    run_relcheck,
    spawn_relcheck,
    transcript,
    write,
)
from tests.reliability.support import FIGURES, check_run

# Retitle the window, clear the screen (8-bit CSI), a hyperlink (8-bit OSC), a colour,
# the bell, and rich markup.
HOSTILE = (
    "a\x1b]0;pwned\x07b\x9b2Jc\x9d8;;http://evil.invalid\x9cd\x1b[31me\x07f\x1bcg"
    "[link=http://evil.invalid]h[/link]"
)
# The same, as a step prints it: UTF-8, plus a raw 8-bit CSI byte (not UTF-8).
OUTPUT = (
    "import sys\n"
    f"sys.stdout.buffer.write({HOSTILE.encode()!r} + b'\\x9b2J tail\\n')\n"
    "sys.stdout.flush()\n"
    "sys.exit(1)\n"
)
PLUGIN = f'''
from dataclasses import dataclass
from typing import ClassVar

from relcheck.api import Runner, Status, StepResult


@dataclass(frozen=True)
class Params:
    __pydantic_config__: ClassVar[dict] = {{"extra": "forbid"}}


class Hostile(Runner):
    """A runner whose summary and details repeat what a server answered."""

    name = "hostile"
    Params = Params

    def run(self, params, ctx):
        text = {HOSTILE!r}
        return StepResult(Status.FAILED, "got " + text, details=("detail " + text,))
'''
# Controls a terminal acts on; tab and newline are text.
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _count(where: str, text: str) -> list[str]:
    found = [f"{where}: {m.group()!r}" for m in RAW.finditer(text)]
    FIGURES.add("terminal escapes: scenarios")
    FIGURES.add("raw escapes printed", len(found))
    return found


@pytest.fixture
def hostile_repo(git_repo: Path, checklist, tmp_path: Path, run_env: dict[str, str]) -> dict:
    script = tmp_path / "output.py"
    script.write_text(OUTPUT)
    plugin = make_plugin(tmp_path / "plugin", {"hostile": "demo_plugin:Hostile"}, PLUGIN)
    checklist(
        f"""
        version: 1
        steps:
          - id: output
            run: ["{sys.executable}", "{script}"]
            owner: "ops\\e]0;pwned\\a\\x9b2J\\u009d8;;x\\u009c[bold]team[/bold]"
          - id: summary
            uses: hostile
        """
    )
    env = {**run_env, "PYTHONPATH": f"{plugin}:{run_env['PYTHONPATH']}"}
    return {"repo": git_repo, "env": env}


def test_step_output_and_summaries_print_without_escapes(hostile_repo: dict) -> None:
    repo, env = hostile_repo["repo"], hostile_repo["env"]
    found: list[str] = []
    for args in (["run"], ["run", "-v"], ["run", "--no-cache", "--jobs", "1"]):
        proc = run_relcheck(*args, cwd=repo, env=env)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        check_run(proc.returncode, proc.stdout + proc.stderr, repo)
        found += _count(" ".join(args), proc.stdout + proc.stderr)
        assert "[link=http://evil.invalid]h[/link]" in proc.stdout  # printed as written
    assert "tail" in proc.stdout  # the output tail is still shown, cleaned
    for args in (["show"], ["history"], ["history", "--step", "summary"], ["list"]):
        proc = run_relcheck(*args, cwd=repo, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        found += _count(" ".join(args), proc.stdout + proc.stderr)
    assert "[link=http://evil.invalid]h[/link]" in proc.stdout or args == ["list"]
    assert not found


def test_the_live_view_prints_no_escapes_from_steps(hostile_repo: dict) -> None:
    repo, env = hostile_repo["repo"], hostile_repo["env"]
    # Wide enough that no summary is folded, whatever width the durations take.
    child = spawn_relcheck("run", "-v", cwd=repo, env=env, columns=200)
    child.expect(pexpect.EOF)
    child.close()
    seen = transcript(child)
    assert child.exitstatus == 1, seen
    # The live view draws with its own CSI sequences; nothing else may get through:
    # no BEL, no OSC (title, hyperlink), no 8-bit controls, no screen clear.
    found = [c for c in ("\x07", "\x1b]", "\x1bc", "\x1b[2J") if c in seen]
    found += [f"{c!r}" for c in re.findall(r"[\x80-\x9f]", seen)]
    FIGURES.add("terminal escapes: scenarios")
    FIGURES.add("raw escapes printed", len(found))
    assert not found, found
    assert "[link=http://evil.invalid]h[/link]" in seen  # markup printed as written


_TAGGED = """
version: 1
release: {tag: "v{version}"}
steps:
  - id: unit
    run: "true"
  - id: tag
    uses: git-tag
"""


def test_a_tag_message_shown_or_verified_prints_without_escapes(git_repo: Path) -> None:
    write(git_repo / "relcheck.yaml", _TAGGED)
    commit_all(git_repo, "checklist")
    proc = run_relcheck("run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    body = git(git_repo, "cat-file", "tag", "v1.2.0").split("\n\n", 1)[1]
    line = next(x for x in body.splitlines() if x.startswith("Relcheck-Step: unit "))
    hostile = body.replace(line, f"Relcheck-Step: unit failed required 0.100 {HOSTILE}")
    hostile = hostile.replace("Relcheck-Run: ", "Relcheck-Run: \x1b]0;pwned\x07\x9b2J")
    git(git_repo, "tag", "-d", "v1.2.0")
    subprocess.run(
        ["git", "tag", "-a", "--cleanup=verbatim", "-F", "-", "v1.2.0"],
        cwd=git_repo,
        input=hostile.encode(),
        check=True,
    )
    found: list[str] = []
    for args in (["show", "v1.2.0"], ["verify", "v1.2.0"]):
        proc = run_relcheck(*args, cwd=git_repo)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert "[link=http://evil.invalid]h[/link]" in proc.stdout, proc.stdout
        found += _count(" ".join(args), proc.stdout + proc.stderr)
    assert proc.returncode == 1  # verify: the required step is said to have failed
    assert not found
