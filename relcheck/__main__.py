"""``python -m relcheck`` and the ``relcheck`` command."""

from __future__ import annotations

# First, before any import that does work: until entry() runs, a Ctrl-C exits 130 at
# once. _signal is built into the interpreter and already loaded, so nothing here can
# be interrupted half-way (``import signal`` imports enum, ~5 ms on a loaded machine).
# Type checkers have no stubs for _signal; its functions are signal's, so they read those.
TYPE_CHECKING = False  # typing is not loaded yet; mypy takes this name as true
if TYPE_CHECKING:
    import signal as _signal
else:
    import _signal


def _interrupted_early(signum: int, frame: object) -> None:
    import os  # loaded with the interpreter: no import work

    os.write(2, b"relcheck: interrupted\n")
    os._exit(130)


_signal.signal(_signal.SIGINT, _interrupted_early)

import sys  # noqa: E402  (after the handler: see above)


def entry() -> None:
    """Start the command line. A Ctrl-C at any moment, even while Python is still
    importing relcheck or click is parsing arguments, exits 130 without a traceback
    (click alone would print 'Aborted!' and exit 1, which means a failed step)."""
    try:
        # From here a Ctrl-C is a KeyboardInterrupt, handled below and by each command.
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        if sys.argv[1:] in (["--version"], ["-V"]):
            # Answered before click loads (~30 ms): scripts and hooks call this to check
            # an installation. The same line click's version option prints.
            from relcheck import __version__

            sys.stdout.write(f"relcheck, version {__version__}\n")
            return
        if sys.argv[1:2] == ["run"]:
            # The command that runs most, read without click (~10 ms) when it can be.
            from relcheck.cli.run_checklist import run_from_argv

            try:
                run_from_argv(sys.argv[2:])
            except SystemExit:
                _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # as below
                raise
        import click

        from relcheck.cli import gcpause
        from relcheck.cli.main import main as cli

        gcpause.resume()  # when main() paused it: the command's modules are loaded
        try:
            code = cli.main(standalone_mode=False, prog_name="relcheck")
        except click.exceptions.Abort:
            raise KeyboardInterrupt from None
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except SystemExit:
            # The command has decided its exit code (and may have made a tag): a Ctrl-C
            # while Python shuts down must not turn it into a KeyboardInterrupt.
            _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
            raise
        sys.exit(code if isinstance(code, int) else 0)
    except KeyboardInterrupt:
        sys.stderr.write("relcheck: interrupted\n")
        sys.exit(130)


def main() -> None:
    """The ``relcheck`` program (its command and ``python -m relcheck``): :func:`entry`,
    with Python's garbage collector set for a process that ends with its command. A
    program that calls entry() itself keeps its collector as it is."""
    import atexit
    import gc  # both built into the interpreter: no import work

    from relcheck.cli import gcpause

    gcpause.pause()  # until the command's modules are loaded
    # Python's last collection at exit walks every object relcheck made (~6 ms of a
    # 100 ms run on a 2-CPU machine) only to free memory the exit frees anyway. Nothing
    # relcheck keeps depends on it: records and logs are written and closed before then.
    atexit.register(gc.freeze)
    entry()


if __name__ == "__main__":
    main()
