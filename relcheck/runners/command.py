"""The ``command`` runner: run a shell string or an argv list."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar

from relcheck.api import Runner, StepContext
from relcheck.runners._support import from_exit


@dataclass(frozen=True)
class CommandParams:
    """``run`` is a shell string (run by ``sh -c``) or an argv list (run without a shell)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    run: str | tuple[str, ...]
    cwd: str | None = None  # relative to the repository root
    exit_codes: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        if not self.run:
            raise ValueError("`run` must not be empty")
        if not self.exit_codes:
            raise ValueError("`exit_codes` must list at least one code")


class CommandRunner(Runner):
    """Runs a command; passes when it exits with one of ``exit_codes``."""

    name = "command"
    Params = CommandParams
    cache_opt_in = True  # a command may look at the outside world: cached only on request
    description = "Run a shell command (a string) or a program (an argv list)."
    bounds_itself = True  # its one wait is ctx.run_command

    def run(self, params: CommandParams, ctx: StepContext) -> Any:
        cwd = os.path.join(ctx.workdir, params.cwd) if params.cwd else ctx.workdir
        shell = isinstance(params.run, str)
        argv = params.run if isinstance(params.run, str) else list(params.run)
        result = ctx.run_command(argv, cwd=cwd, shell=shell)
        return from_exit(result, params.exit_codes, ctx.step.timeout)
