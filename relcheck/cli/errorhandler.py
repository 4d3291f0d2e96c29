"""The boundary between relcheck and its user: errors become messages and exit codes."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

EX_SOFTWARE = 70


def _mask(text: str) -> str:
    """``text`` printable, with the values of secret-looking environment variables
    masked (a message may quote a value from the checklist or a tag)."""
    from relcheck.system.redact import Redactor, printable

    return Redactor.from_environ(os.environ).text(printable(text))


def state_dir(environ: Mapping[str, str] | None = None) -> str:
    """relcheck's per-user state folder: ``$XDG_STATE_HOME/relcheck``, by default
    ``~/.local/state/relcheck`` (a relative XDG_STATE_HOME is ignored, as the XDG Base
    Directory specification says)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "relcheck")


def _crash_log() -> str:
    """Write the current traceback to a log file in the state folder; return its path."""
    import time
    import traceback

    from relcheck import __version__

    # The folder and the file are private, and secrets are masked in what is written.
    directory = state_dir()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    if os.lstat(directory).st_uid != os.getuid():
        raise PermissionError(f"{directory} belongs to another user")
    path = os.path.join(directory, f"crash-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"relcheck {__version__} on Python {sys.version.split()[0]}\n")
        fh.write(_mask(f"argv: {sys.argv!r}\n\n"))
        fh.write(_mask(traceback.format_exc()))
    return path


def _from_click(exc: Exception) -> bool:
    """Whether ``exc`` is one of click's (only a command click runs can raise one)."""
    click = sys.modules.get("click")
    if click is None:
        return False
    return isinstance(exc, (click.exceptions.Exit, click.ClickException, click.Abort))


def boundary(func: F) -> F:
    """Run a command; print RelcheckErrors plainly and bugs as one line plus a log file."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from relcheck.errors import ChecklistError, RelcheckError
        from relcheck.system.terminal import echo

        try:
            return func(*args, **kwargs)
        except ChecklistError as exc:
            for problem in exc.problems:
                echo(_mask(str(problem)), err=True)
            count = len(exc.problems)
            echo(
                f"relcheck: error: the checklist has {count} problem{'s' * (count != 1)}", err=True
            )
            sys.exit(exc.exit_code)
        except RelcheckError as exc:
            echo(_mask(f"relcheck: error: {exc}"), err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            echo("relcheck: interrupted", err=True)
            sys.exit(130)
        except SystemExit:
            raise
        except BrokenPipeError:
            sys.exit(1)
        except Exception as exc:
            if _from_click(exc):
                raise  # click reports its own: a usage error, --help's exit
            try:
                where = _crash_log()
            except OSError:
                where = "(could not write a log file)"
            echo(
                _mask(
                    f"relcheck: internal error: {type(exc).__name__}: {exc} "
                    f"(traceback in {where}; please report it)"
                ),
                err=True,
            )
            sys.exit(EX_SOFTWARE)

    return wrapper  # type: ignore[return-value]
