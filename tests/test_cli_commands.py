"""The command group lists every command from its summary and loads a command only to run it."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import click

from relcheck.cli.main import COMMANDS, main

PROBE = """
import sys
sys.argv = ["relcheck", *sys.argv[1:]]
from relcheck.__main__ import entry
try:
    entry()
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.startswith("relcheck.cli."))
sys.stderr.write("LOADED " + " ".join(loaded) + "\\n")
"""


def cli_modules_after(*args: str, cwd: Path) -> set[str]:
    """The relcheck.cli modules imported once ``relcheck ARGS`` has run (a real process)."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("LOADED "))
    return set(line.removeprefix("LOADED ").split())


def test_every_summary_is_the_first_paragraph_of_its_commands_help() -> None:
    ctx = click.Context(main)
    for name, (_module, _attribute, summary) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None, name
        first = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert " ".join(first.split()) == summary, name


def test_help_lists_every_command_without_loading_one(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "relcheck", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    listed = proc.stdout.split("Commands:\n", 1)[1].split()
    assert set(COMMANDS) <= set(listed)
    assert cli_modules_after("--help", cwd=tmp_path) == {
        "relcheck.cli.gcpause",  # start-up's pause of garbage collection, not a command
        "relcheck.cli.main",
        "relcheck.cli.options",
        "relcheck.cli.optiontable",
    }


def test_a_command_loads_its_own_module_only(tmp_path: Path) -> None:
    loaded = cli_modules_after("verify", "--help", cwd=tmp_path)
    assert "relcheck.cli.verify" in loaded
    assert not {"relcheck.cli.run", "relcheck.cli.evidence", "relcheck.cli.fanout"} & loaded
