"""The ``relcheck`` command group: its options, and each command loaded only when it runs.

A command's module is imported when that command is invoked (or its help is asked for), so
``relcheck run`` pays for ``run`` alone and ``relcheck --help`` for none of them.
"""

from __future__ import annotations

import importlib

import click

from relcheck import __version__
from relcheck.cli.options import CONTEXT

# Each command: the module that defines it, the name there, and the first paragraph of its
# help. ``relcheck --help`` lists the commands from these summaries without importing a
# command's module (tests/test_cli_commands.py checks they match the commands' own help).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "cache": ("relcheck.cli.cache", "cache", "Manage the result cache (.relcheck/cache)."),
    "compare": (
        "relcheck.cli.evidence",
        "compare",
        "Two releases or runs side by side: every step and metric, what changed and by how "
        "much. A and B are tags or run ids (or `latest`).",
    ),
    "history": (
        "relcheck.cli.records",
        "history",
        "List recent runs, newest first; with --step, how one step fared across them.",
    ),
    "hook": (
        "relcheck.cli.hooks",
        "hook",
        "Install, remove or describe the git hook that runs the checklist's checks.",
    ),
    "init": (
        "relcheck.cli.init",
        "init",
        "Write a relcheck.yaml for this project from a template, adapted to what the project "
        "has (version source, ruff configuration, tests folder, changelog, default branch and "
        "remote), and the JSON Schema editors use beside it.",
    ),
    "list": (
        "relcheck.cli.checklist",
        "list_steps",
        "List the steps in run order, with runner, needs and owner.",
    ),
    "notes": (
        "relcheck.cli.evidence",
        "notes",
        "Release notes in Markdown for TAG (default: the latest release): its changelog "
        "section, the commits and files since the previous release, the command that made it, "
        "each check's result, and what improved or regressed.",
    ),
    "plan": (
        "relcheck.cli.fanout",
        "plan",
        "Show the step graph: order, parallel waves, and CI jobs for a fan-out.",
    ),
    "release": (
        "relcheck.cli.fanout",
        "release",
        "Release from the records of fanned-out CI jobs: every check must have passed exactly "
        "once, on this commit and checklist; then the release steps run.",
    ),
    "report": (
        "relcheck.cli.evidence",
        "report",
        "Write one self-contained HTML file for a run or release: its timeline, each step's "
        "details, the comparison with the previous release, and trends.",
    ),
    "run": (
        "relcheck.cli.run",
        "run",
        "Run the checklist; tag the release when every required step passed.",
    ),
    "runners": (
        "relcheck.cli.describe",
        "runners",
        "List installed runners, where each comes from, and its parameters.",
    ),
    "schema": (
        "relcheck.cli.describe",
        "schema",
        "Print the JSON Schema of the checklist format, with every installed runner's `with:` "
        "parameters (for editors: see docs/how-to/editor.md).",
    ),
    "show": (
        "relcheck.cli.records",
        "show",
        "Show one recorded run (default: the latest) as its summary looked, or the run a "
        "release tag carries.",
    ),
    "validate": (
        "relcheck.cli.checklist",
        "validate",
        "Check a checklist file and print every problem as FILE:LINE:COL: message.",
    ),
    "verify": (
        "relcheck.cli.verify",
        "verify",
        "Check that release TAG was made by a run in which every required step passed, on the "
        "commit it points at, with the project's checklist as committed there, whose hash it "
        "carries (exit 0, else 1).",
    ),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when the command is looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute, _summary = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module}.{attribute} is not a click command")
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, as click writes it, from the summaries: none is imported."""
        listed = self.list_commands(ctx)
        if not listed:
            return
        limit = formatter.width - 6 - max(len(name) for name in listed)
        rows = []
        for name in listed:
            loaded = self.commands.get(name)
            if loaded is None:  # shortened by click's own rule, as a loaded command is
                loaded = click.Command(name, help=COMMANDS[name][2])
            if not loaded.hidden:
                rows.append((name, loaded.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="relcheck")
def main() -> None:
    """Run a release checklist, record every result, and tag the release only when
    every required step passed.

    \b
    Quick start:
      relcheck validate          check relcheck.yaml, with file:line:col errors
      relcheck run --dry-run     run every check, stop before tagging
      relcheck run               run the checklist and tag the release

    Exit codes: 0 passed, 1 a step failed, 2 checklist or usage error, 3 repository not
    releasable, 70 internal error, 130 interrupted (SIGINT), 143 stopped (SIGTERM).
    """
