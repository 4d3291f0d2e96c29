"""Plan and run a checklist's steps; own the release gate. Never prints, never exits.

Order: repository preconditions first, then the checks (in parallel up to ``jobs``,
along ``needs``), then release steps, one by one, and only when every required step
passed or was served from cache. Nothing a runner does can open that gate.

Preconditions stop the checks only when a release is asked for on a release branch.
Off a release branch, in a dry run, or with nothing new to release (``release_if_new``),
a failed precondition refuses the release alone: the checks run and decide the outcome.
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import os
import resource
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol

from relcheck.engine import treewatch
from relcheck.errors import PluginError, RelcheckError, RunnerError
from relcheck.models import Checklist, Outcome, RunInfo, RunResult, Status, Step, StepResult
from relcheck.runners import registry
from relcheck.system import deadline as deadline_mod
from relcheck.system.interrupts import Cancellation
from relcheck.system.process import OutputSink
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
    before_release: Callable[[RunResult], None] | None = None
    # Release steps an earlier run completed for this release (its tag exists at this
    # commit): step id -> run id. They are not run again; the others resume.
    completed: Mapping[str, str] = field(default_factory=dict)
    # Every result as it finishes: what a caller can still record if run() raises.
    finished: list[StepResult] = field(default_factory=list)
    # Judges each result a step produced (or the cache served) before the gate sees it:
    # the checklist's regression gates against the previous release (relcheck.evidence).
    judge: Callable[[Step, StepResult], StepResult] | None = None
    # On the release branch, a version already released at an older commit is "nothing
    # to release": the checks still decide the run (one CI job for every push).
    release_if_new: bool = False
    # Why this run cannot release whatever its preconditions say (not on a release
    # branch): the checks run and decide the outcome, and no release step runs.
    refused: str | None = None


def is_release(step: Step) -> bool:
    return bool(registry.runner_attr(registry.load(step.uses), "release"))


def is_precondition(step: Step) -> bool:
    return bool(registry.runner_attr(registry.load(step.uses), "precondition"))


def context_env(
    info: RunInfo, base: Mapping[str, str], step: Step, workdir: str | None = None
) -> dict[str, str]:
    """The environment of a step: base, RELCHECK_* context values, then the step's env.

    ``RELCHECK_ROOT`` is where the step runs: ``workdir`` (a clean checkout of the commit
    being checked, in hook mode) when given, else the repository."""
    env = dict(base)
    values = {
        "RELCHECK_VERSION": info.version,
        "RELCHECK_TAG": info.tag,
        "RELCHECK_BRANCH": info.branch,
        "RELCHECK_COMMIT": info.commit,
        "RELCHECK_RUN_ID": info.run_id,
        "RELCHECK_STEP": step.id,
        "RELCHECK_ROOT": workdir or info.root,
    }
    env.update({k: v for k, v in values.items() if v is not None})
    env.update(step.env)
    return env


def fill_release_values(text: str | None, info: RunInfo) -> str | None:
    """``text`` (a rollback note) with ``{version}`` and ``{tag}`` as this run's values;
    a value the run does not know stays as written."""
    if not text:
        return text
    for name, value in (("version", info.version), ("tag", info.tag)):
        if value:
            text = text.replace("{" + name + "}", value)
    return text


class _Run:
    def __init__(
        self, checklist: Checklist, info: RunInfo, options: RunOptions, cancel: Cancellation
    ) -> None:
        self.checklist = checklist
        self.info = info
        self.options = options
        self.cancel = cancel
        self.results: dict[str, StepResult] = {}
        self.lock = threading.Lock()
        self.stop_reason: str | None = None  # set by --fail-fast or a failed precondition
        self.blocked = False
        self.shared: _Services = _NoServices()  # run() puts the checklist's services here
        self.settled: str | None = None  # a precondition found the release already made
        self.resuming: str | None = None  # ... its tag made, release steps after it left
        self.watch: treewatch.TreeWatch | None = None  # run() sets it in a git work tree
        # Why no release step will run while the checks go on: a failed precondition on
        # a branch that is not a release branch, in a dry run, or with nothing to release.
        self.refused: str | None = options.refused
        self.unneeded: set[str] = set()  # `when: release` steps not run: no release follows

    # -- events ---------------------------------------------------------------------
    def emit(self, kind: str, step: Step, result: StepResult | None) -> None:
        if self.options.on_event is not None:
            with self.lock:
                self.options.on_event(kind, step, result)

    def finish(self, step: Step, result: StepResult) -> None:
        result = dataclasses.replace(
            result,
            step_id=step.id,
            runner=step.uses,
            optional=step.optional,
            owner=step.owner,
            expect=step.expect,
            rollback=fill_release_values(step.rollback, self.info),
        )
        with self.lock:
            self.results[step.id] = result
            self.options.finished.append(result)
        self.shared.finished(step.id)
        self.emit("finish", step, result)

    def skip(self, step: Step, reason: str) -> None:
        self.finish(step, _skipped(step, reason))

    # -- one step -------------------------------------------------------------------
    def execute(self, step: Step) -> StepResult:
        """Run one step (with its retries); never raises."""
        self.emit("start", step, None)
        started, t0 = time.time(), time.monotonic()
        log_path = (
            os.path.join(self.options.log_dir, f"{step.id}.log") if self.options.log_dir else None
        )
        live = None
        if self.options.on_output is not None:
            on_output = self.options.on_output
            live = lambda text: on_output(step.id, text)  # noqa: E731
        sink = OutputSink(log_path, self.options.redactor, live)
        said = self.options.cache.note(step) if self.options.cache is not None else None
        if said:  # why a pass on record was not reused (an entry not signed here)
            sink.note(said)
        attempts = 0
        # Checks must not change what they check; release steps make tags, not changes.
        watch = None if is_release(step) else self.watch
        treewatch.safely(watch, "begin", step.id, step.writes)
        try:
            while True:
                attempts += 1
                result = self._attempt(step, sink)
                retry = result.status.failed_itself
                if not retry or attempts > step.retries or self.cancel.cancelled:
                    break
                sink.note(f"attempt {attempts} {result.status.words}: {result.summary}; retrying")
        finally:
            found = treewatch.safely(watch, "end", step.id)
            sink.close()
        if watch is not None and found is not None:
            result = treewatch.verdict(step.id, result, watch, found)
        redact = self.options.redactor.text
        if result.status is Status.PASSED and attempts > 1:
            result = dataclasses.replace(
                result,
                # Said first, so a late pass reads as flaky wherever the summary goes:
                # the terminal, the record, JSON and JUnit.
                summary=f"passed (flaky, {attempts} attempts): {result.summary}",
                metrics={**result.metrics, "flaky": True},
            )
        result = dataclasses.replace(
            result,
            summary=redact(result.summary),
            details=tuple(redact(d) for d in result.details),
            annotations=tuple(
                dataclasses.replace(a, message=redact(a.message)) for a in result.annotations
            ),
            output_tail=redact(result.output_tail or sink.tail()),
            step_id=step.id,
            runner=step.uses,
            started_at=started,
            duration=time.monotonic() - t0,
            log_path=log_path,
            attempts=attempts,
            # How much the step printed, over all attempts: the tail alone cannot say
            # whether 2 KiB or 200 MB came before it.
            output_bytes=sink.bytes_seen,
        )
        return self.judged(step, result)

    def judged(self, step: Step, result: StepResult) -> StepResult:
        return result if self.options.judge is None else self.options.judge(step, result)

    def _attempt(self, step: Step, sink: OutputSink) -> StepResult:
        deadline = time.monotonic() + step.timeout
        env = context_env(self.info, self.options.env, step, self.options.workdir)
        workdir = self.options.workdir or self.info.root
        try:
            with contextlib.ExitStack() as services:
                if step.service is not None and step.service.name is not None:
                    env.update(
                        self.shared.acquire(
                            step.service.name, env=env, sink=sink, deadline=deadline
                        )
                    )
                elif step.service is not None:  # started per attempt, stopped however it ends
                    from relcheck.engine import service

                    env.update(
                        services.enter_context(
                            service.running(
                                step.service,
                                workdir=workdir,
                                env=env,
                                cancel=self.cancel.event,
                                sink=sink,
                                deadline=deadline,
                            )
                        )
                    )
                ctx = registry.StepContext(
                    step=step,
                    checklist=self.checklist,
                    info=self.info,
                    workdir=workdir,
                    env=env,
                    cancel=self.cancel.event,
                    sink=sink,
                    results=dict(self.results),
                    interactive=self.options.interactive,
                    confirmations=self.options.confirmations,
                    deadline=deadline,
                )
                runner = registry.load(step.uses)()
                result = deadline_mod.call(
                    lambda: runner.run(step.params, ctx),
                    name=step.id,
                    timeout=step.timeout,
                    deadline=deadline,
                    cancel=self.cancel,
                    sink=sink,
                )
        except _service_failed() as exc:
            return exc.result  # type: ignore[attr-defined]
        except (RunnerError, PluginError) as exc:
            sink.note(f"error: {exc}")
            return StepResult(Status.ERROR, str(exc))
        except Exception as exc:  # a runner bug must not lose the run or its record
            sink.write(traceback.format_exc().encode())
            return StepResult(
                Status.ERROR, f"runner {step.uses!r} crashed: {type(exc).__name__}: {exc}"
            )
        if not isinstance(result, StepResult):
            return StepResult(
                Status.ERROR, f"runner {step.uses!r} returned {type(result).__name__}"
            )
        return result

    # -- the graph ------------------------------------------------------------------
    def readiness(self, step: Step, preconditions: list[Step]) -> str | None:
        """None when ``step`` may start; 'wait'; or a reason to skip it."""
        if step.id in self.options.skip:
            return f"skipped on request: {self.options.skip[step.id]}"
        if self.stop_reason is not None:
            return self.stop_reason
        if not is_precondition(step):
            for pre in preconditions:
                if pre.id not in self.results:
                    return "wait"
        if step.when == "release" and (self.info.mode == "hook" or self.refused is not None):
            self.unneeded.add(step.id)
            no = "a push is not a release" if self.info.mode == "hook" else "no release follows"
            return f"skipped: runs only for a release (when: release); {no}"
        for need in step.needs:
            if self.options.only and need not in self.options.only:
                continue  # a partial run records what it ran; the rest is another job's
            if need in self.unneeded:
                self.unneeded.add(step.id)
                return f"skipped: needs {need!r}, which runs only for a release"
            done = self.results.get(need)
            if done is None:
                return "wait"
            if not done.status.ok:
                return f"needs {need!r}, which {_verb(done.status)}"
        return None

    def run_checks(self, steps: list[Step]) -> None:
        """Start each step once it is ready, in checklist order, up to ``jobs`` at once.

        A step is looked at again only when something it waits on changes: a step it
        needs or a precondition finishes, or the run stops. Scanning every pending step
        after each finish made a 3000-step ``needs`` chain cost 9 million readiness
        checks (25 s of relcheck's own time); this costs one per edge."""
        jobs = max(1, min(self.options.jobs, fd_budget()))
        pres = {s.id for s in steps if is_precondition(s)}
        preconditions = [s for s in steps if s.id in pres]
        index = {s.id: i for i, s in enumerate(steps)}
        dependents: dict[str, list[int]] = {}
        for i, step in enumerate(steps):
            for need in step.needs:
                dependents.setdefault(need, []).append(i)
        pending = set(index)
        ready = list(range(len(steps)))  # a heap of indexes to look at (again)
        queued = set(ready)
        left = len(preconditions)  # preconditions without a result

        def settled(step: Step, stop_before: str | None) -> None:
            """``step`` has a result: look again at what waited on it."""
            nonlocal left
            again = list(dependents.get(step.id, ()))
            if step.id in pres:
                left -= 1
                if left == 0:  # every check waited for the preconditions
                    again = [index[i] for i in pending]
            if self.stop_reason != stop_before:  # every pending step is now skipped
                again = [index[i] for i in pending]
            for i in again:
                if i not in queued and steps[i].id in pending:
                    queued.add(i)
                    heapq.heappush(ready, i)

        running: dict[Future[StepResult], Step] = {}
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            while pending or running:
                if self.cancel.cancelled:
                    break
                while ready and len(running) < jobs:
                    i = heapq.heappop(ready)
                    queued.discard(i)
                    step = steps[i]
                    if step.id not in pending:
                        continue
                    stop_before = self.stop_reason
                    state = self.readiness(step, preconditions)
                    if state == "wait":
                        continue  # queued again when what it waits on settles
                    pending.discard(step.id)
                    if state is not None:
                        self.skip(step, state)
                        settled(step, stop_before)
                        continue
                    cached = self.options.cache.lookup(step) if self.options.cache else None
                    if cached is not None:
                        self.emit("start", step, None)
                        self.finish(step, self.judged(step, cached))
                        settled(step, stop_before)
                        continue
                    running[pool.submit(self.execute, step)] = step
                if not running:
                    if pending:  # nothing can start: should not happen with a valid graph
                        for step in steps:
                            if step.id in pending:
                                self.skip(step, "could not be scheduled")
                        pending.clear()
                    break
                done, _ = wait(running, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    step = running.pop(future)
                    stop_before = self.stop_reason
                    result = self.refusal(step, future.result())
                    self.finish(step, result)
                    self.after(step, result)
                    settled(step, stop_before)
            for future in list(running):  # cancelled: steps stop their own processes
                step = running.pop(future)
                self.finish(step, future.result())
        for step in steps:
            if step.id in pending:
                self.skip(step, "not started: the run was interrupted")

    def refusal(self, step: Step, result: StepResult) -> StepResult:
        """A failed precondition that refuses only the release, as a skipped step that
        says so (the checks go on, and decide the run); else ``result`` unchanged.

        Checks run on every branch and in every dry run: a precondition stops them only
        when a person on a release branch asks for a release."""
        if not is_precondition(step) or result.status.ok or step.optional:
            return result
        if self.info.mode == "release":
            return result  # `relcheck release` is asked to release: a refusal is a failure
        if result.status is not Status.FAILED:
            return result  # a precondition that could not run says nothing about branches
        failed = result.metrics.get("failed") or ()
        before = result.metrics.get("released_before")
        if "branch" in failed or (self.options.dry_run and not before):
            # What would refuse it, with the fixes but the branch's: on a feature branch,
            # "git switch main" is not what anyone should do. A detached HEAD keeps its fix:
            # in CI it says how the job's checkout gets onto the release branch.
            why = "; ".join(
                d.split("; fix: ", 1)[0]
                if d.startswith("branch:") and "HEAD is detached" not in d
                else d
                for d in result.details
            )
            text = f"the release would be refused: {why or result.summary}"
        elif before and (self.options.release_if_new or self.options.dry_run):
            text = (
                f"nothing to release: {before}; the checks ran, no tag is made "
                "(bump the version to release)"
            )
        else:
            return result
        self.refused = self.refused or text
        return dataclasses.replace(result, status=Status.SKIPPED, summary=text, reason=text)

    def after(self, step: Step, result: StepResult) -> None:
        if result.status is Status.PASSED and self.options.cache is not None:
            self.options.cache.store(step, result)
        released = result.metrics.get("already_released") if is_precondition(step) else None
        if result.status.ok and released and self.options.release and self.settled is None:
            if self.info.resume and self.resuming is None:
                # The tag proves the checks passed on this commit; release steps after
                # it did not all complete: the release resumes with those.
                self.resuming = result.summary
                self.stop_reason = (
                    f"not run: {released} is made at this commit; the release resumes "
                    f"with {', '.join(self.info.resume)}"
                )
            elif not self.info.resume:
                # The release tag already points at this commit: nothing would change, so
                # the checks need not run again and the run passes (an idempotent release).
                self.settled = result.summary
                self.stop_reason = f"not run: {released} is already released at this commit"
        if result.status.ok or step.optional:
            return
        if is_precondition(step) and result.status is Status.SKIPPED:
            return  # refused only the release (see refusal): the checks go on
        if is_precondition(step):
            self.blocked = True
            self.stop_reason = f"not started: precondition {step.id!r} {_verb(result.status)}"
        elif self.options.fail_fast and self.stop_reason is None:
            self.stop_reason = f"not started: --fail-fast after {step.id!r} {_verb(result.status)}"

    def gate(self, checks: list[Step]) -> str | None:
        """None when release steps may run, else why not."""
        for step in checks:
            result = self.results.get(step.id)
            if step.optional or step.id in self.unneeded:
                continue
            if result is None or not result.status.ok:
                status = result.status if result else "did not run"
                return f"required step {step.id!r} {_verb(status)}"
        return None


class _Services(Protocol):
    def acquire(
        self, name: str, *, env: Mapping[str, str], sink: OutputSink, deadline: float
    ) -> dict[str, str]: ...

    def finished(self, step_id: str) -> None: ...

    def stop_all(self) -> None: ...


class _NoServices:
    """Stands in for SharedServices when no step declares a service."""

    def acquire(
        self, name: str, *, env: Mapping[str, str], sink: OutputSink, deadline: float
    ) -> dict[str, str]:
        raise RunnerError(f"no shared service {name!r}")  # no step declared one

    def finished(self, step_id: str) -> None:
        return None

    def stop_all(self) -> None:
        return None


class _NeverRaised(Exception):
    pass


def _shared_services(
    steps: Iterable[Step],
    info: RunInfo,
    options: RunOptions,
    cancel: Cancellation,
    *,
    needed: bool = True,
) -> _Services:
    """relcheck.engine.service (and socket, which it needs) loads only when a checklist declares
    a service: ~5 ms of every run's start-up otherwise."""
    if not needed:
        return _NoServices()
    from relcheck.engine import service

    return service.SharedServices(
        steps,
        workdir=options.workdir or info.root,
        cancel=cancel.event,
        log_dir=options.log_dir,
        redactor=options.redactor,
    )


def _service_failed() -> type[Exception]:
    """ServiceFailed when relcheck.engine.service is loaded; else no service could have raised it."""
    module = sys.modules.get("relcheck.engine.service")
    return module.ServiceFailed if module is not None else _NeverRaised  # type: ignore[no-any-return]


def run(
    checklist: Checklist, info: RunInfo, options: RunOptions, cancel: Cancellation
) -> RunResult:
    """Run ``checklist`` and return every step's result, in checklist order."""
    started = time.time()
    state = _Run(checklist, info, options, cancel)
    releases = [s for s in checklist.steps if is_release(s)]
    checks = [s for s in checklist.steps if not is_release(s)]
    if options.only:
        checks = [s for s in checks if s.id in options.only]
        releases = []
    state.shared = _shared_services(
        checks, info, options, cancel, needed=any(s.service for s in checklist.steps)
    )
    state.watch = treewatch.start(options.workdir or info.root, _own_paths(info, options))
    # A push is not a release: the release preconditions are not its question.
    hook = info.mode == "hook"
    try:
        for step in checks:
            if hook and is_precondition(step):
                state.skip(
                    step, "skipped: release preconditions are checked by a release, not a push"
                )
                continue
            if step.id in options.prior:
                state.emit("start", step, None)
                state.finish(step, options.prior[step.id])
        state.run_checks(
            [s for s in checks if s.id not in options.prior and s.id not in state.results]
        )
    finally:
        state.shared.stop_all()

    message: str | None = None
    if cancel.cancelled:
        outcome = stopped_outcome(cancel)
        message = "interrupted: no release step was run"
        for step in releases:
            state.skip(step, "not run: the run was interrupted")
    elif state.settled is not None and not state.blocked:
        outcome, message = Outcome.PASSED, state.settled
        for step in releases:
            state.skip(step, state.stop_reason or "not run: already released")
    else:
        # Preconditions decide only whether release steps may run, never the checks'
        # verdict, when they were not run for a release (a push) or refused only it.
        gated = [s for s in checks if not (is_precondition(s) and (state.refused or hook))]
        # A check that changed the tree names itself, rather than "required step failed".
        blocker = treewatch.blocker(state.watch) or state.gate(gated)
        if state.resuming is not None and not state.blocked:
            blocker = None  # the checks passed in the run that made the tag
        if state.blocked:
            outcome = Outcome.BLOCKED
        else:
            outcome = Outcome.PASSED if blocker is None else Outcome.FAILED
        message = blocker or state.resuming
        if state.refused is not None and not state.blocked:
            message = _also(blocker, state.refused)
            blocker = blocker or state.refused
        if blocker is None and releases and options.release and not options.dry_run:
            blocker = _checkpoint(state, checklist, started)
            if blocker is not None:
                outcome, message = Outcome.FAILED, blocker
        for step in releases:
            if blocker is not None:
                state.skip(step, f"not run: {blocker}")
            elif step.id in options.skip:  # the command line refuses this; a library may not
                state.skip(step, f"skipped on request: {options.skip[step.id]}; nothing released")
                message = _also(message, state.results[step.id].summary)
            elif not options.release:
                state.skip(step, "not run: release steps do not run in this mode")
            elif options.dry_run and state.refused is not None:
                why = state.refused.partition("the release would be refused: ")[2]
                state.skip(step, f"not run: the release would be refused: {why}")
            elif options.dry_run:
                planned = _dry_run_text(step, checklist, info)
                if isinstance(planned, StepResult):  # the release step would fail
                    state.finish(step, planned)
                    outcome = Outcome.FAILED
                    would = planned.summary.removeprefix("dry run: ")
                    message = f"dry run: release step {step.id!r} {would}"
                    state.stop_reason = f"not run: release step {step.id!r} would fail"
                    break
                state.skip(step, planned)
                message = _also(message, state.results[step.id].summary)
            elif cancel.cancelled:
                state.skip(step, "not run: the run was interrupted")
            elif step.id in options.completed:
                state.skip(step, f"completed in run {options.completed[step.id]}: not run again")
            else:
                result = state.execute(step)
                state.finish(step, result)
                if not result.status.ok:
                    outcome = Outcome.FAILED
                    message = f"release step {step.id!r} {_verb(result.status)}: {result.summary}"
                    state.stop_reason = f"not run: release step {step.id!r} failed"
                    break
                message = _also(message, result.summary)
        for step in releases:
            if step.id not in state.results:
                state.skip(step, state.stop_reason or "not run")
        # A Ctrl-C that lands after every release step passed cannot undo the release:
        # the tag exists, so the run passed (and exits 0), however late the signal came.
        # Otherwise an interrupted run (a release step included) ends as interrupted.
        released = bool(releases) and all(
            s.id in options.completed or (s.id in state.results and state.results[s.id].status.ok)
            for s in releases
        )
        if cancel.cancelled and outcome is not Outcome.BLOCKED and not released:
            outcome = stopped_outcome(cancel)
    ordered = tuple(state.results[s.id] for s in checklist.steps if s.id in state.results)
    return RunResult(info, outcome, started, time.time(), ordered, message)


def stopped_outcome(cancel: Cancellation) -> Outcome:
    """INTERRUPTED for SIGINT (Ctrl-C), else TERMINATED (SIGTERM: a cancelled CI job;
    SIGHUP: the terminal went away; SIGQUIT)."""
    return Outcome.INTERRUPTED if cancel.signal in (None, signal.SIGINT) else Outcome.TERMINATED


def _own_paths(info: RunInfo, options: RunOptions) -> tuple[str, ...]:
    """relcheck's own files inside the work tree (records, reports), as git pathspecs."""
    tree = os.path.realpath(options.workdir or info.root)
    own = [".relcheck"]
    for path in info.own_paths:
        inside = os.path.relpath(os.path.realpath(path), tree)
        if not inside.startswith("..") and inside != "." and inside not in own:
            own.append(inside)
    return tuple(own)


def _also(message: str | None, text: str) -> str:
    """``message; text``: the result line says what each release step did."""
    return "; ".join(filter(None, [message, text]))


def _checkpoint(state: _Run, checklist: Checklist, started: float) -> str | None:
    """Let the caller record the checks before any release step; why not, if it failed."""
    if state.options.before_release is None or state.cancel.cancelled:
        return None
    done = tuple(state.results[s.id] for s in checklist.steps if s.id in state.results)
    try:
        state.options.before_release(
            RunResult(state.info, Outcome.RUNNING, started, time.time(), done)
        )
    except (RelcheckError, OSError) as exc:
        return f"the run could not be recorded before releasing: {exc}"
    return None


def _dry_run_text(step: Step, checklist: Checklist, info: RunInfo) -> str | StepResult:
    """What the release step would do; a runner's ``describe`` may instead return a
    non-passing StepResult to say the step would fail."""
    runner = registry.load(step.uses)
    describe = getattr(runner, "describe", None)
    if describe is None:
        return "dry run: release step not run"
    planned = describe(step.params, checklist, info)
    if isinstance(planned, StepResult) and not planned.status.ok:
        summary = f"dry run: {planned.summary}"
        return dataclasses.replace(
            planned, summary=summary, step_id=step.id, runner=step.uses, started_at=time.time()
        )
    text = planned.summary if isinstance(planned, StepResult) else planned
    return f"dry run: {text}"


def _skipped(step: Step, reason: str) -> StepResult:
    return StepResult(
        Status.SKIPPED,
        reason,
        step_id=step.id,
        runner=step.uses,
        started_at=time.time(),
        reason=reason,
    )


def _verb(status: object) -> str:
    return {
        Status.FAILED: "failed",
        Status.ERROR: "could not run",
        Status.TIMED_OUT: "timed out",
        Status.SKIPPED: "was skipped",
        Status.INTERRUPTED: "was interrupted",
    }.get(status, str(status))  # type: ignore[call-overload]
