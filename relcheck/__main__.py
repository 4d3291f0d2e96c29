"""``python -m relcheck`` and the ``relcheck`` command."""

from __future__ import annotations

import signal
import sys


def entry() -> None:
    """Start the command line. A Ctrl-C at any moment, even while Python is still
    importing relcheck or click is parsing arguments, exits 130 without a traceback
    (click alone would print 'Aborted!' and exit 1, which means a failed step)."""
    try:
        import click

        from relcheck.cli import main

        try:
            code = main.main(standalone_mode=False, prog_name="relcheck")
        except click.exceptions.Abort:
            raise KeyboardInterrupt from None
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except SystemExit:
            # The command has decided its exit code (and may have made a tag): a Ctrl-C
            # while Python shuts down must not turn it into a KeyboardInterrupt.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            raise
        sys.exit(code if isinstance(code, int) else 0)
    except KeyboardInterrupt:
        sys.stderr.write("relcheck: interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    entry()
