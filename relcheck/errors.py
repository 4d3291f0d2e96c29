"""Errors relcheck raises, and the exit code each one means.

    RelcheckError                 exit_code
    ├── UsageError                2  the command line is wrong
    ├── ChecklistError            2  the checklist is wrong (carries every problem found)
    ├── PluginError               2  a runner plugin cannot be loaded
    ├── RepoStateError            3  the repository is not in a state to release
    ├── RecordsError              1  a fan-out's records cannot release this commit
    └── RecordNotWritten          2  release steps ran, but the final record is not on disk

    RunnerError                   -  a runner cannot run at all; the engine turns it
    ├── ServiceFailed                into a step ERROR, it never reaches the CLI; a
    │                                step's service brings the step's result with it
    └── MissingVariable              a ``${VAR}`` names a variable that is not set

Only ``relcheck.cli.errorhandler`` turns these into messages and exit codes.

Errors one part of relcheck raises for another, caught there and never shown as they
are (not RelcheckErrors):

    ParseError                       a configuration file does not parse (config-drift)
    TooLarge (ValueError)            data flattens to too many paths (config-drift)
    FetchError                       a config-drift side's URL could not be fetched
    SourceError                      a config-drift side could not be read or parsed;
                                     the runner makes it a step ERROR
    ReportError                      pytest's JUnit report is missing or not XML
    NoAnswer                         a question on the terminal got no answer
    NotARegularFile (OSError)        an input is a folder, FIFO or device, or too large
    UnsafePath (OSError)             a path under .relcheck/ is a symlink: nothing is
                                     written through it

This module imports nothing from relcheck at run time (models only for type checking)
so that every other module may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from relcheck.models import RunResult, StepResult


@dataclass(frozen=True)
class SourceLocation:
    """A place in a file, 1-based, as compilers print it."""

    path: str
    line: int
    column: int
    within: str = ""  # the commit (and pushed refs) holding the file, when not a file here

    def __str__(self) -> str:
        where = f" (in {self.within})" if self.within else ""
        return f"{self.path}:{self.line}:{self.column}{where}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a checklist, and where."""

    location: SourceLocation
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class RelcheckError(Exception):
    """Base of every error relcheck reports to its user."""

    exit_code: ClassVar[int] = 70

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(RelcheckError):
    """The command line asks for something impossible."""

    exit_code = 2


class ChecklistError(RelcheckError):
    """The checklist file is wrong; holds every problem found, in file order."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        ordered = sorted(problems, key=lambda p: (p.location.line, p.location.column))
        self.problems = tuple(ordered)
        super().__init__("\n".join(str(p) for p in self.problems))


class PluginError(RelcheckError):
    """A runner plugin is missing, broken or claims a name twice."""

    exit_code = 2


class RepoStateError(RelcheckError):
    """The repository is not in a state to release (dirty, wrong branch, locked...)."""

    exit_code = 3


class RecordsError(RelcheckError):
    """A fan-out's records cannot release this commit; every reason is listed."""

    exit_code = 1

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(
            "cannot release from these records:\n" + "\n".join(f"  - {r}" for r in reasons)
        )


class RecordNotWritten(RelcheckError):
    """The final record could not be written, after release steps ran: ``result`` is
    what the run did, ``reason`` why it is not on disk."""

    exit_code = 2

    def __init__(self, result: RunResult, reason: str) -> None:
        super().__init__(f"the run record could not be written: {reason}")
        self.result = result
        self.reason = reason


class RunnerError(Exception):
    """A runner cannot run at all (tool missing, bad environment); becomes a step ERROR."""


class ServiceFailed(RunnerError):
    """A step's service exited early or never got ready; ``result`` is what the step gets."""

    def __init__(self, result: StepResult) -> None:
        super().__init__(result.summary)
        self.result = result


class MissingVariable(RunnerError):
    """A ``${VAR}`` names a variable that is not set."""

    def __init__(self, name: str, where: str) -> None:
        self.name = name
        self.where = where
        super().__init__(f"{where}: ${{{name}}} is not set in the environment")


# -- errors caught inside relcheck -------------------------------------------------------
class ParseError(Exception):
    """A configuration that does not parse: the parser's message and where."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def where(self, path: str) -> str:
        """``path:line:col: message``, compiler style."""
        place = path
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        return f"{place}: {self.message}"


class TooLarge(ValueError):
    """The data flattens to more paths than relcheck will compare."""


class FetchError(Exception):
    """The URL could not be fetched; the message says why, without credentials."""


class SourceError(Exception):
    """A side could not be read or parsed; ``line``/``column`` when the parser said."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column


class ReportError(Exception):
    """The report is missing or not JUnit XML."""


class NoAnswer(Exception):
    """The question could not be answered: cancelled, timed out, or the terminal closed."""


# -- files relcheck refuses to read or write through ----------------------------------
class NotARegularFile(OSError):
    """An input is a folder, FIFO or device, or larger than its limit.

    An OSError, so every reader that already reports "cannot read PATH: why" reports
    this too; ``strerror`` says what is wrong in words.
    """


class UnsafePath(OSError):
    """A path under ``.relcheck/`` is a symlink or not a folder: relcheck writes nothing
    through it."""
