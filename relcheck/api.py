"""The public plugin API: everything a runner imports, and nothing heavy.

A runner is a class registered in the ``relcheck.runners`` entry-point group. Built-in
runners are declared in relcheck's own ``pyproject.toml`` exactly as a plugin declares
its own, so there is one mechanism for both::

    [project.entry-points."relcheck.runners"]
    my-check = "my_package.check:MyCheckRunner"

A runner class (see :class:`RunnerProtocol`; subclassing :class:`Runner` gives every
optional attribute its default) has:

``name``
    The name a checklist writes after ``uses:``.
``Params``
    A (frozen) dataclass or pydantic model describing the ``with:`` mapping. It is
    validated when the checklist is loaded, so a typo in ``with:`` is reported with its
    line before any step runs. Use ``__pydantic_config__ = {"extra": "forbid"}`` on a
    dataclass to reject unknown keys (:class:`EmptyParams` for a runner that takes none).
``run(params, ctx) -> StepResult``
    Runs the check. A failing check *returns* ``StepResult(status=FAILED, ...)``; raise
    :class:`RunnerError` only when the check cannot run at all. A runner never prints
    and never decides the run's outcome; it runs commands through ``ctx.run_command`` so
    timeouts, interrupts, logs and secret masking apply.

Optional class attributes: ``release`` (a release step, which the engine runs last and
only when every required step passed), ``precondition`` (a repository precondition:
run first, and its failure means exit 3) -- both read once, when the checklist is
loaded, into each step's :class:`StepKind`; ``cacheable`` (its result depends only on
the files, so a pass may be reused; a ``cacheable_for(params) -> bool`` method may
refine that per step), ``cache_opt_in`` (reused only when the step declares ``inputs:``
or ``cache: true``, as for ``command``), ``version`` (part of the cache fingerprint:
bump it when the runner's results change meaning), ``cache_tools`` (names of executables
the runner starts: each one found in the project's environment or on PATH is part of
the fingerprint, with the environment it is installed in), ``description`` (one line
for ``relcheck runners``), and an optional ``cache_salt(params) -> str`` method (more
fingerprint, such as a tool's version; it runs on every run, so keep it cheap).

A runner's ``Params`` validation must not read the environment or files: validated
checklists are cached by file content.

This module imports only the standard library and relcheck's plain data modules, so a
plugin importing it costs nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from relcheck.durations import Duration
from relcheck.errors import RunnerError
from relcheck.models import (
    Annotation,
    Checklist,
    RunInfo,
    Status,
    Step,
    StepKind,
    StepResult,
)

if TYPE_CHECKING:
    import threading

    from relcheck.system.process_output import OutputSink
    from relcheck.system.process_result import CommandResult


@dataclass(frozen=True)
class EmptyParams:
    """Parameters of a runner that takes none."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}


@dataclass
class StepContext:
    """What a runner may use while it runs one step."""

    step: Step
    checklist: Checklist
    info: RunInfo
    workdir: str  # where the step runs: the repository, or a clean worktree of it
    env: Mapping[str, str]  # os.environ + RELCHECK_* + the step's env
    cancel: threading.Event
    sink: OutputSink
    results: Mapping[str, StepResult] = field(default_factory=dict)  # finished so far
    interactive: bool = False
    confirmations: Mapping[str, str] = field(default_factory=dict)  # step id -> who
    deadline: float | None = None  # time.monotonic() by which the step must end

    def remaining(self) -> float:
        """Seconds left before the step's timeout."""
        import time

        if self.deadline is None:
            return self.step.timeout
        return max(0.0, self.deadline - time.monotonic())

    def run_command(
        self,
        argv: list[str] | str,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        shell: bool = False,
        capture: bool = False,
    ) -> CommandResult:
        """Run a command under the step's timeout, cancellation and log.

        Output goes to the step's log (secrets masked); ``capture=True`` also returns
        stdout and stderr separately (machine-readable output, a tool's error message).
        """
        from relcheck.system import process

        return process.run(
            argv,
            cwd=cwd or self.workdir,
            env=dict(env if env is not None else self.env),
            timeout=self.remaining(),
            cancel=self.cancel,
            sink=self.sink,
            shell=shell,
            capture_stdout=capture,
        )


class RunnerProtocol(Protocol):
    """What relcheck requires of a runner class; the optional attributes are read with
    their defaults when a plugin leaves them out."""

    name: ClassVar[str]
    Params: ClassVar[type]

    def run(self, params: Any, ctx: StepContext) -> StepResult: ...


class Runner:
    """Base class for runners; subclass it and set ``name``, ``Params`` and ``run``."""

    name: ClassVar[str] = ""
    Params: ClassVar[type] = EmptyParams
    release: ClassVar[bool] = False
    precondition: ClassVar[bool] = False
    cacheable: ClassVar[bool] = False
    cache_opt_in: ClassVar[bool] = False
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    # True only when every wait in run() is a ctx.run_command, which keeps the step's
    # deadline and Ctrl-C itself: the engine then calls run() without a watching thread.
    # Read from the class that sets it, never inherited by a subclass.
    bounds_itself: ClassVar[bool] = False

    def run(self, params: Any, ctx: StepContext) -> StepResult:
        raise NotImplementedError


def step_kind(cls: type[Any]) -> StepKind:
    """What a runner class's steps are: release steps, preconditions or checks.

    The one reading of the ``release`` and ``precondition`` attributes; the checklist
    loader stores the answer on each step."""
    if getattr(cls, "release", False):
        return StepKind.RELEASE
    if getattr(cls, "precondition", False):
        return StepKind.PRECONDITION
    return StepKind.CHECK


__all__ = [
    "Annotation",
    "Checklist",
    "Duration",
    "EmptyParams",
    "RunInfo",
    "Runner",
    "RunnerError",
    "RunnerProtocol",
    "Status",
    "Step",
    "StepContext",
    "StepKind",
    "StepResult",
    "step_kind",
]
