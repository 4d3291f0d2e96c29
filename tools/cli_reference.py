"""Write docs/reference/cli.md, the command-line reference, from relcheck's click commands.

    python tools/cli_reference.py            # rewrite the page
    python tools/cli_reference.py --check    # exit 1 when the committed page is stale

The page is made from the commands' help text and options as click holds them, never from
a terminal's rendering, so it does not depend on the width of the terminal it runs in.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import click

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "cli.md"
REGENERATE = "python tools/cli_reference.py"


def _help_markdown(text: str) -> list[str]:
    """click's help text as Markdown: paragraphs as they are, a ``\\b`` block verbatim."""
    out: list[str] = []
    for block in inspect.cleandoc(text).split("\n\n"):
        if block.startswith("\b\n"):
            out += ["```text", *block[2:].splitlines(), "```", ""]
        else:
            out += [" ".join(line.strip() for line in block.splitlines()), ""]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _command(cmd: click.Command, path: list[str], parent: click.Context | None) -> list[str]:
    ctx = click.Context(cmd, info_name=path[-1], parent=parent, **cmd.context_settings)
    usage = " ".join([*path, *cmd.collect_usage_pieces(ctx)])
    level = "#" * min(len(path) + 1, 4)
    out = [f"{level} `{' '.join(path)}`", "", "```text", f"Usage: {usage}", "```", ""]
    if cmd.help:
        out += _help_markdown(cmd.help)
    rows = [p.get_help_record(ctx) for p in cmd.get_params(ctx) if isinstance(p, click.Option)]
    rows = [r for r in rows if r is not None]
    if rows:
        out += ["| option | meaning |", "|---|---|"]
        out += [f"| `{_cell(opt)}` | {_cell(desc)} |" for opt, desc in rows]
        out.append("")
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                out += _command(sub, [*path, name], ctx)
    return out


def cli_markdown() -> str:
    from relcheck.cli.main import main

    head = [
        "# Command line",
        "",
        f"<!-- Generated from relcheck's click commands by `{REGENERATE}`; do not edit. -->",
        "",
        "Every command and option, from the commands' own help (`relcheck COMMAND --help`).",
        "",
    ]
    return "\n".join([*head, *_command(main, ["relcheck"], None)]).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = cli_markdown()
    if "--check" in argv:
        if PAGE.read_text() != text:
            print(f"{PAGE} is out of date; regenerate it with: {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
