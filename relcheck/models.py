"""Immutable data: the checklist, its steps, and the results of a run. No I/O here."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from relcheck.errors import SourceLocation


class Status(enum.StrEnum):
    """What became of one step."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the runner could not run at all
    TIMED_OUT = "timed_out"
    SKIPPED = "skipped"
    CACHED = "cached"  # an identical earlier pass was reused
    INTERRUPTED = "interrupted"

    @property
    def ok(self) -> bool:
        """True when the step counts as passed for the release gate."""
        return self in PASSING

    @property
    def fails_run(self) -> bool:
        """True when the step counts against the run: it did not pass and was not
        skipped (an optional step's failure is still one, shown as optional)."""
        return self in FAILING

    @property
    def failed_itself(self) -> bool:
        """True when the step ran to an end of its own and did not pass: worth another
        attempt, and its failure worth explaining. An interrupted step did not fail; the
        run was stopped."""
        return self in OWN_FAILURES

    @property
    def words(self) -> str:
        """The status as a person reads it: "timed out", not "timed_out"."""
        return self.value.replace("_", " ")


# The one classification of step statuses; every report and the engine ask these.
PASSING = frozenset({Status.PASSED, Status.CACHED})
OWN_FAILURES = frozenset({Status.FAILED, Status.ERROR, Status.TIMED_OUT})
FAILING = OWN_FAILURES | {Status.INTERRUPTED}


class StepKind(enum.StrEnum):
    """What a step is to the run, decided by its runner when the checklist is loaded."""

    CHECK = "check"
    PRECONDITION = "precondition"  # runs first; its failure blocks the release (exit 3)
    RELEASE = "release"  # runs last, only when every required step passed


class Outcome(enum.StrEnum):
    """What became of a whole run."""

    RUNNING = "running"  # written at start; a record left like this means a crash
    PASSED = "passed"
    FAILED = "failed"
    BLOCKED = "blocked"  # a precondition failed: the repository is not releasable
    INTERRUPTED = "interrupted"
    TERMINATED = "terminated"  # SIGTERM, as a cancelled CI job
    ERROR = "error"  # relcheck itself failed


@dataclass(frozen=True)
class Annotation:
    """A finding tied to a file position (a lint finding, a failing test)."""

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    level: str = "error"  # error | warning | notice


@dataclass(frozen=True)
class StepResult:
    """What a runner reports for one step; the engine fills in identity and timing."""

    status: Status
    summary: str
    exit_code: int | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    details: tuple[str, ...] = ()  # failure detail lines, most useful first
    annotations: tuple[Annotation, ...] = ()
    output_tail: str = ""
    # Filled in by the engine.
    step_id: str = ""
    runner: str = ""
    started_at: float = 0.0  # epoch seconds
    duration: float = 0.0
    log_path: str | None = None
    attempts: int = 1
    output_bytes: int = 0  # bytes the step's processes printed, over all attempts
    cached_from: str | None = None  # run id that produced the reused pass
    reason: str | None = None  # why a step was skipped
    # Copied from the step, so a result read back from a record stands on its own.
    optional: bool = False
    owner: str | None = None
    expect: str | None = None
    rollback: str | None = None

    @property
    def ended_at(self) -> float:
        return self.started_at + self.duration


@dataclass(frozen=True)
class ServiceConfig:
    """A process a step starts before it runs and stops after (``service:``)."""

    run: str | tuple[str, ...]  # `{port}` is replaced by a free port
    ready: str  # a URL that answers below 400 once the service is up
    ready_timeout: float = 30.0
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None  # set for a checklist-level service, shared by its steps
    stop_grace: float = 5.0  # seconds between SIGTERM and SIGKILL


@dataclass(frozen=True)
class Step:
    """One validated step of a checklist."""

    id: str
    uses: str
    params: Any  # the runner's validated Params object
    raw_params: Mapping[str, Any]  # the `with:` mapping as written, for fingerprints
    needs: tuple[str, ...] = ()
    optional: bool = False
    timeout: float = 600.0
    env: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None
    owner: str | None = None
    expect: str | None = None
    rollback: str | None = None
    retries: int = 0
    cache: bool | None = None  # None: the runner decides
    inputs: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()  # globs of tracked files the step may change
    cache_env: tuple[str, ...] = ()  # variables whose values a cached pass depends on
    location: SourceLocation | None = None
    service: ServiceConfig | None = None
    # Regression gates against the previous release: metric -> rule (relcheck.evidence.gates).
    baseline: Mapping[str, str] = field(default_factory=dict)
    # "release": the step makes sense only for a release (a person's confirmation, a
    # check against staging): never run by the hook, nor where no release can follow.
    when: str = "always"
    kind: StepKind = StepKind.CHECK  # set by the loader from the runner class


@dataclass(frozen=True)
class ReleaseConfig:
    """The `release:` section: how the tag is named and made."""

    tag: str = "v{version}"
    version_from: str = "pyproject"  # pyproject | git-describe | cli
    branch: tuple[str, ...] = ("main",)
    sign: bool = False
    push: bool = False
    remote: str = "origin"
    changelog: str | None = "CHANGELOG.md"
    prerelease: bool = False  # may a pre-release (1.2.0rc1) be released?


@dataclass(frozen=True)
class HookConfig:
    """The `hook:` section: what a pre-push hook checks."""

    branches: tuple[str, ...] = ()  # empty: every branch, and release tags
    steps: tuple[str, ...] = ()  # empty: every step that is not a release step


@dataclass(frozen=True)
class Checklist:
    """A whole validated checklist file."""

    path: str
    sha256: str
    version: int
    steps: tuple[Step, ...]
    release: ReleaseConfig = ReleaseConfig()
    hook: HookConfig = HookConfig()
    default_timeout: float = 600.0
    secrets: tuple[str, ...] = ()  # environment variable names whose values are masked

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError if none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


@dataclass(frozen=True)
class RunInfo:
    """The context of a run: where, on what, for which release."""

    run_id: str
    root: str
    checklist_path: str
    checklist_sha256: str
    commit: str | None
    branch: str | None
    version: str | None
    tag: str | None
    relcheck_version: str
    dry_run: bool = False
    only: tuple[str, ...] = ()
    skipped: Mapping[str, str] = field(default_factory=dict)  # step id -> reason
    tree: str | None = None
    mode: str = "run"  # run | hook | partial | release
    # Absolute paths this run reads or writes in the work tree (records it releases
    # from, its record folder, reports): relcheck's own files, not changes to release.
    own_paths: tuple[str, ...] = ()
    # The release tag exists (relcheck made it for a passing run of this commit) but
    # these release steps after it have not completed: the run resumes with them.
    resume: tuple[str, ...] = ()
    command: str | None = None  # the command line that started the run, for release notes
    # The ids of the checklist's release steps (the tag): the run made a release only
    # if none of them was skipped (refused on this branch, say).
    release_steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced, in checklist order."""

    info: RunInfo
    outcome: Outcome
    started_at: float
    ended_at: float
    steps: tuple[StepResult, ...]
    message: str | None = None  # why the run ended as it did, for the result line
    # The comparison with the previous release (relcheck.evidence.compare), as plain data.
    baseline: Mapping[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.ended_at - self.started_at

    def result(self, step_id: str) -> StepResult | None:
        """The result of one step, if it has one."""
        return next((r for r in self.steps if r.step_id == step_id), None)


def is_release_run(run: RunResult) -> bool:
    """A run that made its release (or completed one an earlier run began): passed, not a
    dry run, full, and none of the release steps it had to run skipped (as they are where
    the release is refused, or was made before: "already released")."""
    info = run.info
    # A resumed run skips the release steps an earlier run completed; it runs the rest.
    owed = set(info.resume) if info.resume else set(info.release_steps)
    return (
        run.outcome is Outcome.PASSED
        and not info.dry_run
        and info.mode in ("run", "release")
        and not info.only
        and info.tag is not None
        and not any(r.step_id in owed and r.status is Status.SKIPPED for r in run.steps)
    )
