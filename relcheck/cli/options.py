"""The options and option checks that several commands share (click is loaded only when
a command is built from them: ``relcheck run`` can read its options without it)."""

from __future__ import annotations

from typing import Any

from relcheck.cli.optiontable import Option

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
HOOK_NAMES = ("pre-push", "pre-commit", "pre-merge-commit")  # as relcheck.git.hooks.HOOK_NAMES

CHECKLIST = Option(
    "checklist",
    "-c",
    "--checklist",
    metavar="PATH",
    help="Checklist file (default: [tool.relcheck] checklist in pyproject.toml, "
    "else relcheck.yaml at the repository root).",
)
COLOR = Option(
    "color",
    "--color",
    choices=("auto", "always", "never"),
    default="auto",
    show_default=True,
    help="Colour output (auto: at a terminal, unless NO_COLOR is set; FORCE_COLOR forces it).",
)


def checklist_option(func: Any) -> Any:
    """The ``-c/--checklist`` option, as a click decorator."""
    return CHECKLIST.click_decorator()(func)


def color_option(func: Any) -> Any:
    """The ``--color`` option, as a click decorator."""
    return COLOR.click_decorator()(func)


def check_version_option(version: str | None) -> None:
    """An empty --version would silently fall back to the checklist's version source."""
    if version is not None and not version.strip():
        from relcheck.errors import UsageError

        raise UsageError("--version must not be empty")
