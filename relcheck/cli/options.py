"""The options and option checks that several commands share."""

from __future__ import annotations

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
HOOK_NAMES = ("pre-push", "pre-commit", "pre-merge-commit")  # as relcheck.git.hooks.HOOK_NAMES

checklist_option = click.option(
    "-c",
    "--checklist",
    metavar="PATH",
    help="Checklist file (default: [tool.relcheck] checklist in pyproject.toml, "
    "else relcheck.yaml at the repository root).",
)

color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour output (auto: at a terminal, unless NO_COLOR is set; FORCE_COLOR forces it).",
)


def check_version_option(version: str | None) -> None:
    """An empty --version would silently fall back to the checklist's version source."""
    if version is not None and not version.strip():
        from relcheck.errors import UsageError

        raise UsageError("--version must not be empty")
