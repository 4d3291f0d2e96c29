"""The runner interface, and finding runners by name through entry points.

A runner is a class registered in the ``relcheck.runners`` entry-point group. Built-in
runners are declared in relcheck's own ``pyproject.toml`` exactly as a plugin declares
its own, so there is one mechanism for both::

    [project.entry-points."relcheck.runners"]
    my-check = "my_package.check:MyCheckRunner"

A runner class has:

``name``
    The name a checklist writes after ``uses:``.
``Params``
    A (frozen) dataclass or pydantic model describing the ``with:`` mapping. It is
    validated when the checklist is loaded, so a typo in ``with:`` is reported with its
    line before any step runs. Use ``__pydantic_config__ = {"extra": "forbid"}`` on a
    dataclass to reject unknown keys.
``run(params, ctx) -> StepResult``
    Runs the check. A failing check *returns* ``StepResult(status=FAILED, ...)``; raise
    :class:`relcheck.errors.RunnerError` only when the check cannot run at all. A runner
    never prints and never decides the run's outcome; it runs commands through
    ``ctx.run_command`` so timeouts, interrupts, logs and secret masking apply.

Optional class attributes: ``release`` (a release step, which the engine runs last and
only when every required step passed), ``precondition`` (a repository precondition:
run first, and its failure means exit 3), ``cacheable`` (its result depends only on the
files, so a pass may be reused; a ``cacheable_for(params) -> bool`` method may refine that
per step), ``cache_opt_in`` (reused only when the step declares ``inputs:`` or ``cache:
true``, as for ``command``), ``version`` (part of the cache fingerprint: bump it when the
runner's results change meaning), ``cache_tools`` (names of executables the runner
starts: each one found in the project's environment or on PATH is part of the
fingerprint, with the environment it is installed in), and an optional
``cache_salt(params) -> str`` method (more fingerprint, such as a tool's version; it runs
on every run, so keep it cheap).
A runner's ``Params`` validation must not read the environment or files: validated
checklists are cached by file content.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from relcheck.errors import PluginError, RunnerError

if TYPE_CHECKING:
    import threading
    from importlib.metadata import EntryPoint

    from relcheck.models import Checklist, RunInfo, Step, StepResult
    from relcheck.system.process_output import OutputSink
    from relcheck.system.process_result import CommandResult

GROUP = "relcheck.runners"
_BUILTIN_DIST = "relcheck-cli"  # the distribution; the import package is relcheck


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

    def run(self, params: Any, ctx: StepContext) -> StepResult:
        raise NotImplementedError


@dataclass(frozen=True)
class RunnerInfo:
    """An installed runner: its name, where it comes from, and how to load it."""

    name: str
    value: str  # module:Class
    distribution: str
    load: Callable[[], type[Runner]]

    @property
    def builtin(self) -> bool:
        return self.distribution == _BUILTIN_DIST


@cache
def installed() -> dict[str, RunnerInfo]:
    """Every runner declared in the entry-point group, by name (nothing imported)."""
    from importlib.metadata import PackageNotFoundError, distribution, entry_points

    try:
        distribution(_BUILTIN_DIST)
    except PackageNotFoundError:
        raise PluginError(
            "relcheck is not installed, so its runners cannot be found",
            hint="run `pip install -e .` in the relcheck source tree",
        ) from None
    disabled = {
        n.strip() for n in os.environ.get("RELCHECK_DISABLE_PLUGINS", "").split(",") if n.strip()
    }
    found: dict[str, RunnerInfo] = {}
    for ep in entry_points(group=GROUP):
        dist = _dist_name(ep)
        if dist != _BUILTIN_DIST and (ep.name in disabled or dist in disabled):
            continue
        info = RunnerInfo(ep.name, ep.value, dist, _loader(ep))
        previous = found.get(ep.name)
        if previous and previous.value != info.value:
            raise PluginError(
                f"runner name {ep.name!r} is claimed twice: by {previous.distribution} "
                f"({previous.value}) and by {dist} ({ep.value})",
                hint="uninstall one of them, or block one with RELCHECK_DISABLE_PLUGINS",
            )
        found[ep.name] = info
    return found


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "unknown"


def _loader(ep: EntryPoint) -> Callable[[], type[Runner]]:
    def load() -> type[Runner]:
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not look like a relcheck bug
            raise PluginError(
                f"runner {ep.name!r} ({ep.value}, from {_dist_name(ep)}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not callable(getattr(cls, "run", None)):
            raise PluginError(f"runner {ep.name!r} ({ep.value}) has no run() method")
        return cls  # type: ignore[no-any-return]

    return load


_primed: dict[str, RunnerInfo] = {}


def prime(known: Mapping[str, tuple[str, str]]) -> None:
    """Remember runners read from a validated-checklist cache (name -> ("module:Class",
    distribution)), so loading them needs no entry-point scan."""
    for name, (value, dist) in known.items():
        _primed[name] = RunnerInfo(name, value, dist, _value_loader(name, value, dist))


def _value_loader(name: str, value: str, dist: str) -> Callable[[], type[Runner]]:
    def load() -> type[Runner]:
        import importlib

        module, _, attr = value.partition(":")
        try:
            cls = importlib.import_module(module)
            for part in attr.split("."):
                cls = getattr(cls, part)
        except Exception as exc:
            raise PluginError(
                f"runner {name!r} ({value}, from {dist}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return cls  # type: ignore[return-value]

    return load


@cache
def load(name: str) -> type[Runner]:
    """The runner class registered under ``name``."""
    info = _primed.get(name) or installed().get(name)
    if info is None:
        raise PluginError(f"unknown runner {name!r}")
    return info.load()


def runner_attr(cls: type[Any], attr: str, default: Any = False) -> Any:
    """A runner class attribute, with the default a plugin may leave out."""
    return getattr(cls, attr, default)


__all__ = [
    "GROUP",
    "EmptyParams",
    "Runner",
    "RunnerError",
    "RunnerInfo",
    "StepContext",
    "installed",
    "load",
    "prime",
    "runner_attr",
]
