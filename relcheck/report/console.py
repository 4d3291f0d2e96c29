"""A rich Console for relcheck's tables and live view, with colour as asked for."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from relcheck.system import terminal


def make_console(
    color: str, stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> Any:
    """A rich Console for ``stream`` with colour as ``--color`` and NO_COLOR say.

    Markup is off: the text shown (a step's summary, a tag message) is not relcheck's
    own, and ``[link=...]`` in it must print as written. Untrusted text goes through
    :func:`relcheck.system.redact.printable` too."""
    from rich.console import Console

    stream = stream or sys.stdout
    environ = os.environ if environ is None else environ
    use_color = terminal.want_color(color, stream, environ)
    forced = color == "auto" and terminal.color_forced(environ)
    # Piped output has no width to ask; rich would assume 80 and fold the tables.
    width = None if terminal.isatty(stream) else int(environ.get("COLUMNS", "") or 120)
    return Console(
        file=stream,
        width=width,
        color_system="auto" if use_color else None,
        force_terminal=True if color == "always" or (use_color and forced) else None,
        no_color=not use_color,
        highlight=False,
        emoji=False,
        markup=False,
    )
