"""How the engine is asked to run a checklist: RunOptions and its defaults."""

from __future__ import annotations

import os
import resource
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from relcheck.models import RunResult, Step, StepResult
from relcheck.system.redact import Redactor

EventHandler = Callable[[str, Step, StepResult | None], None]  # "start" | "finish"


class ResultCache(Protocol):
    """Reuses an earlier pass of an identical step (see relcheck.engine.cache)."""

    def lookup(self, step: Step) -> StepResult | None: ...

    def store(self, step: Step, result: StepResult) -> None: ...

    def note(self, step: Step) -> str | None: ...


def default_jobs() -> int:
    """Steps run at once by default: 2 x CPUs, at least 8. A step mostly waits on its
    process, a server or a timer (4 x `sleep 0.5` took 1.0 s, not 0.5 s, with one job per
    CPU on 2 CPUs); ``--jobs`` caps it for checklists of heavy steps."""
    return max(8, 2 * (os.cpu_count() or 1))


_FDS_PER_STEP = 5  # log, pipe, pidfd, and the pipes of a spawn in progress
_FD_RESERVE = 48  # relcheck's own files, sockets and a service or two


def fd_budget() -> int:
    """How many steps may run at once before relcheck runs out of file descriptors.

    Each running step holds ~3.4 open files (measured: 336 with 100 ``sleep`` steps);
    500 steps at ``--jobs 200`` under ``ulimit -n 256`` failed to open logs and start
    processes. ``--jobs`` beyond this is capped, not an error."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 16
    try:
        in_use = len(os.listdir("/proc/self/fd"))
    except OSError:  # no /proc (macOS): assume a start-up's worth
        in_use = 16
    return max(1, (soft - in_use - _FD_RESERVE) // _FDS_PER_STEP)


@dataclass
class RunOptions:
    """How to run: parallelism, selection, where logs go, what to tell the reporters."""

    jobs: int = field(default_factory=default_jobs)
    fail_fast: bool = False
    dry_run: bool = False
    release: bool = True  # False for hook and partial runs: never run release steps
    only: tuple[str, ...] = ()
    skip: Mapping[str, str] = field(default_factory=dict)  # id -> reason
    log_dir: str | None = None
    workdir: str | None = None  # defaults to info.root
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    redactor: Redactor = field(default_factory=Redactor)
    on_event: EventHandler | None = None
    on_output: Callable[[str, str], None] | None = None  # (step id, text) for -v
    cache: ResultCache | None = None
    interactive: bool = False
    confirmations: Mapping[str, str] = field(default_factory=dict)
    # Results another run already produced (fan-out: each CI job's record); those steps
    # are not run again, and count toward the release gate like fresh results.
    prior: Mapping[str, StepResult] = field(default_factory=dict)
    # Called with the run so far once the gate is open, before the first release step;
    # if it raises, no release step runs (relcheck records the checks before tagging).
    # What it returns is ignored (relcheck's own writes the record and returns its path).
    before_release: Callable[[RunResult], object] | None = None
    # Release steps an earlier run completed for this release (its tag exists at this
    # commit): step id -> run id. They are not run again; the others resume.
    completed: Mapping[str, str] = field(default_factory=dict)
    # Every result as it finishes: what a caller can still record if run() raises.
    finished: list[StepResult] = field(default_factory=list)
    # Judges each result a step produced (or the cache served) before the gate sees it:
    # the checklist's regression gates against the previous release (relcheck.evidence).
    judge: Callable[[Step, StepResult], StepResult] | None = None
    # On the release branch, a version already released at an older commit, or a
    # development version, is "nothing to release": the checks still decide the run
    # (one CI job for every push).
    release_if_new: bool = False
    # Why this run cannot release whatever its preconditions say (not on a release
    # branch): the checks run and decide the outcome, and no release step runs.
    refused: str | None = None
