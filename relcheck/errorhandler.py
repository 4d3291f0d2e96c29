"""The boundary between relcheck and its user: errors become messages and exit codes."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

EX_SOFTWARE = 70


def _crash_log() -> str:
    """Write the current traceback to a log file and return its path."""
    import tempfile  # only after a crash: every command imports this module
    import time
    import traceback

    from relcheck import __version__

    directory = os.path.join(tempfile.gettempdir(), "relcheck-crashes")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"crash-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log")
    with open(path, "w") as fh:
        fh.write(f"relcheck {__version__} on Python {sys.version.split()[0]}\n")
        fh.write(f"argv: {sys.argv!r}\n\n")
        fh.write(traceback.format_exc())
    return path


def boundary(func: F) -> F:
    """Run a command; print RelcheckErrors plainly and bugs as one line plus a log file."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import click

        from relcheck.errors import ChecklistError, RelcheckError

        try:
            return func(*args, **kwargs)
        except ChecklistError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            count = len(exc.problems)
            click.echo(
                f"relcheck: error: the checklist has {count} problem{'s' * (count != 1)}", err=True
            )
            sys.exit(exc.exit_code)
        except RelcheckError as exc:
            click.echo(f"relcheck: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("relcheck: interrupted", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:
            sys.exit(1)
        except Exception as exc:
            try:
                where = _crash_log()
            except OSError:
                where = "(could not write a log file)"
            click.echo(
                f"relcheck: internal error: {type(exc).__name__}: {exc} (traceback in {where}; "
                "please report it)",
                err=True,
            )
            sys.exit(EX_SOFTWARE)

    return wrapper  # type: ignore[return-value]
