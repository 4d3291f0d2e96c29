"""Pick the reporter for `relcheck run`: live view at a terminal, plain lines elsewhere."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from relcheck import terminal


def make_console(
    color: str, stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> Any:
    """A rich Console for ``stream`` with colour as ``--color`` and NO_COLOR say."""
    from rich.console import Console

    stream = stream or sys.stdout
    use_color = terminal.want_color(color, stream, os.environ if environ is None else environ)
    environ = os.environ if environ is None else environ
    # Piped output has no width to ask; rich would assume 80 and fold the tables.
    width = None if terminal.isatty(stream) else int(environ.get("COLUMNS", "") or 120)
    return Console(
        file=stream,
        width=width,
        color_system="auto" if use_color else None,
        force_terminal=True if color == "always" else None,
        no_color=not use_color,
        highlight=False,
        emoji=False,
    )


def make_reporter(
    *,
    fmt: str,
    quiet: bool,
    verbose: bool,
    progress: bool,
    color: str,
    environ: Mapping[str, str],
    stream: TextIO | None = None,
) -> Any:
    """JSON, the live view, or plain text lines (`-q` is always plain)."""
    stream = stream or sys.stdout
    if fmt == "json":
        from relcheck.report.json_report import JsonReporter

        return JsonReporter(stream)
    if not quiet and terminal.want_live(stream, environ, no_progress=not progress):
        from relcheck.report.live import LiveReporter

        return LiveReporter(make_console(color, stream, environ), verbose=verbose)
    from relcheck.report.text import TextReporter

    # Plain lines are for logs and pipes: coloured only when asked for by --color always.
    return TextReporter(stream, quiet=quiet, verbose=verbose, color=color == "always")
