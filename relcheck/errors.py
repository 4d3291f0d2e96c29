"""Errors relcheck raises, and the exit code each one means.

    RelcheckError                 exit_code
    ├── UsageError                2  the command line is wrong
    ├── ChecklistError            2  the checklist is wrong (carries every problem found)
    ├── PluginError               2  a runner plugin cannot be loaded
    ├── RepoStateError            3  the repository is not in a state to release
    └── RunnerError               -  a runner cannot run at all; the engine turns it
        │                            into a step ERROR, it never reaches the CLI
        └── MissingVariable          a ``${VAR}`` names a variable that is not set

Only ``relcheck.cli.main`` turns these into messages and exit codes. This module imports
nothing from relcheck so that every other module may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class SourceLocation:
    """A place in a file, 1-based, as compilers print it."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


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


class RunnerError(Exception):
    """A runner cannot run at all (tool missing, bad environment); becomes a step ERROR."""


class MissingVariable(RunnerError):
    """A ``${VAR}`` names a variable that is not set."""

    def __init__(self, name: str, where: str) -> None:
        self.name = name
        self.where = where
        super().__init__(f"{where}: ${{{name}}} is not set in the environment")
