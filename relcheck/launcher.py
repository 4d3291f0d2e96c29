"""The ``relcheck`` executable: answers ``--version`` before loading the command line.

``relcheck --version`` is what scripts and hooks call to check an installation; answering
it here costs the interpreter's start-up alone, where loading click first adds ~30 ms.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point of the ``relcheck`` script and of ``python -m relcheck``."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from relcheck import __version__

        # The line click's version option prints, so both paths answer alike.
        sys.stdout.write(f"relcheck, version {__version__}\n")
        return
    from relcheck.cli import main as cli

    cli()
