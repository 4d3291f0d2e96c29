"""One `relcheck run`, end to end: load, lock, record, run the engine, record again."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from relcheck import record
from relcheck.checklist import load as checklist_mod
from relcheck.engine import core as engine
from relcheck.engine import preflight
from relcheck.engine.context import build_run_info
from relcheck.engine.options import ResultCache, RunOptions, default_jobs
from relcheck.engine.state import stopped_outcome
from relcheck.errors import RecordNotWritten, RelcheckError
from relcheck.git import door, location
from relcheck.git import refs as gitrefs
from relcheck.models import Checklist, Outcome, RunInfo, RunResult, Status, StepKind, StepResult
from relcheck.report import Reporter
from relcheck.system import interrupts
from relcheck.system.interrupts import Cancellation
from relcheck.system.redact import for_checklist


@dataclass
class RunRequest:
    """What the command line asked for."""

    root: str
    checklist: str | None = None
    jobs: int | None = None
    fail_fast: bool = False
    dry_run: bool = False
    release_if_new: bool = False  # see RunOptions
    only: tuple[str, ...] = ()
    skip: Mapping[str, str] = field(default_factory=dict)
    cli_version: str | None = None
    record_dir: str | None = None
    mode: str = "run"
    interactive: bool = False
    confirmations: Mapping[str, str] = field(default_factory=dict)
    use_cache: bool = True
    failed: bool = False  # rerun what did not pass last time; reuse the rest from cache
    verbose: bool = False
    prior: Mapping[str, StepResult] = field(default_factory=dict)  # see RunOptions
    # Hook mode checks a pushed commit, maybe in a temporary worktree of it: the checklist
    # and the steps come from ``workdir``; records and the lock stay in ``root``.
    workdir: str | None = None
    commit: str | None = None
    branch: str | None = None
    own_paths: tuple[str, ...] = ()  # see RunInfo.own_paths; the record folder is added
    command: str | None = None  # the command line, kept in the record for release notes


def _has_release(checklist: Checklist) -> bool:
    return any(s.kind is StepKind.RELEASE for s in checklist.steps)


def _reached_release(checklist: Checklist, result: RunResult) -> bool:
    """Whether a release step of ``checklist`` ran (not skipped) in ``result``."""
    releases = {s.id for s in checklist.steps if s.kind is StepKind.RELEASE}
    return any(r.step_id in releases and r.status is not Status.SKIPPED for r in result.steps)


def tool_env(environ: Mapping[str, str], root: str | None = None) -> dict[str, str]:
    """The environment steps start from: the project's environment first on PATH (its
    ``.venv``, else the active virtual environment), so `python`, `pytest`, `ruff` are the
    project's; relcheck's own bin folder only last, as a fallback for a tool the project
    does not have; git hook variables removed."""
    from relcheck.system import projectenv

    env = door.without_git_hook_env(environ)
    own = os.path.dirname(sys.executable)
    parts = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p]
    project = projectenv.find(root, env) if root is not None else None
    first = project.bin_dir if project is not None else None
    if first:
        parts = [first, *(p for p in parts if p != first)]
    if own not in parts:
        parts.append(own)
    env["PATH"] = os.pathsep.join(parts)
    return env


def load(request: RunRequest) -> Checklist:
    """The checklist, validated, or unchanged since a run that validated it."""
    from relcheck.checklist import cache as checklist_cache

    source = request.workdir or request.root
    explicit = request.checklist
    if explicit and request.workdir:
        # The same file, as it is in the checked-out commit.
        inside = os.path.relpath(os.path.abspath(explicit), request.root)
        if not inside.startswith(".."):
            explicit = os.path.join(request.workdir, inside)
    path = checklist_mod.find_checklist(source, explicit)
    state_dir = os.path.join(request.root, record.STATE_DIR)
    return checklist_cache.load(path, request.root, state_dir)


def execute(
    request: RunRequest, reporter: Reporter, cancellation: Cancellation
) -> tuple[RunResult, str]:
    """Run the checklist; return the result and the path of its record."""
    checklist = load(request)
    preflight.check_selection(
        checklist, only=request.only, skip=request.skip, confirmations=request.confirmations
    )
    redactor = for_checklist(checklist, os.environ)
    # --skip --reason text goes to the terminal, the record and the tag: mask it too.
    skip = {step_id: redactor.text(why) for step_id, why in request.skip.items()}
    info = build_run_info(
        checklist,
        request.workdir or request.root,
        cli_version=request.cli_version,
        dry_run=request.dry_run,
        only=request.only,
        skipped=skip,
        mode=request.mode,
        commit=request.commit,
    )
    if request.workdir:
        info = dataclasses.replace(info, root=request.root, branch=request.branch or info.branch)
    elif request.branch:
        info = dataclasses.replace(info, branch=request.branch)
    if _has_release(checklist):
        preflight.check_tag(
            info.tag, info.version, mode=request.mode, from_cli=bool(request.cli_version)
        )
    directory = request.record_dir or record.runs_dir(request.root)
    own = (*request.own_paths, directory)
    info = dataclasses.replace(
        info,
        own_paths=tuple(os.path.abspath(p) for p in own),
        command=redactor.text(request.command) if request.command else None,
    )
    fresh = preflight.not_passed_last_time(info, checklist, directory) if request.failed else ()
    record.check_writable(directory)
    state_dir = os.path.join(request.root, record.STATE_DIR)
    from relcheck.system.lock import run_lock

    with run_lock(state_dir, location.git_dir(request.root)):
        if info.commit and info.tree is None:
            info = dataclasses.replace(info, tree=gitrefs.tree_of(request.root, info.commit))
        completed: dict[str, str] = {}
        # Only a release can be resumed: a checklist without one never loads the module.
        if request.mode in ("run", "release") and _has_release(checklist):
            from relcheck.engine import resume

            progress = resume.progress(request.root, checklist, info, directory)
            if progress is not None:
                info = dataclasses.replace(info, resume=progress.left)
                completed = progress.completed
        from relcheck.evidence import stage

        looked = stage.lookup(request.root, directory, checklist, info)
        started = time.time()
        record.write(
            directory, RunResult(info, Outcome.RUNNING, started, started, ()), durable=False
        )
        finished: list[StepResult] = []

        def record_as_ended(outcome: Outcome, message: str) -> None:
            # What finished before the end is evidence of what ran.
            done = {r.step_id: r for r in list(finished)}
            steps = tuple(done[s.id] for s in checklist.steps if s.id in done)
            run = RunResult(info, outcome, started, time.time(), steps, message)
            record.write(directory, run)

        # A third signal exits at once; the record must not stay 'running' even then.
        cancellation.last_words = lambda: record_as_ended(
            stopped_outcome(cancellation), "stopped at once; running steps were killed"
        )
        try:
            # The repository's environment, also for a temporary worktree of a commit:
            # a virtual environment is not committed, so it is only in the working tree.
            env = tool_env(os.environ, request.root)
            options = RunOptions(
                jobs=request.jobs or default_jobs(),
                fail_fast=request.fail_fast,
                dry_run=request.dry_run,
                release_if_new=request.release_if_new,
                refused=preflight.branch_refusal(checklist, info)
                if request.mode == "run"
                else None,
                release=request.mode in ("run", "release"),
                only=request.only,
                skip=skip,
                log_dir=record.log_dir(directory, info.run_id),
                workdir=request.workdir,
                env=env,
                redactor=redactor,
                on_event=reporter.on_event,
                on_output=reporter.on_output if request.verbose else None,
                interactive=request.interactive,
                confirmations=request.confirmations,
                cache=_result_cache(request, checklist, info, state_dir, fresh, env),
                prior=request.prior,
                finished=finished,
                completed=completed,
                judge=stage.judge(checklist, looked),
                # The checks' results are on disk before a tag exists: a tag is never made
                # by a run whose record could not be kept (a full disk, say).
                before_release=lambda partial: record.write(directory, partial),
            )
            begin = getattr(reporter, "begin", None)  # optional for older reporters
            if begin is not None:
                begin(checklist, info)
            result = engine.run(checklist, info, options, cancellation)
        except BaseException as exc:
            # Anything that goes wrong after the first write (a reporter, the cache, the
            # engine) ends the record as an error, not 'running'.
            cancellation.last_words = None
            with contextlib.suppress(BaseException):
                record_as_ended(Outcome.ERROR, f"relcheck failed: {exc!r}")
            raise
        cancellation.last_words = None
        result = stage.attach(result, looked.found, looked.why_none, looked.previous)
        try:
            path = record.write(directory, result)
        except (OSError, RelcheckError) as exc:
            if not _reached_release(checklist, result):
                with contextlib.suppress(BaseException):
                    record_as_ended(Outcome.ERROR, f"relcheck failed: {exc!r}")
                raise
            # The release steps ran: what they did exists whether or not it is written
            # down, so the caller reports it (and exits as the release is) with a warning.
            raise RecordNotWritten(result, str(exc)) from exc
        stage.write_notes(request.root, directory, result, checklist, os.environ)
    for lost in record.lost_logs(result):  # a step removed them (git clean -fdx)
        sys.stderr.write(f"relcheck: the step log {lost} was deleted during the run\n")
    return result, os.path.relpath(path, request.root) if path.startswith(request.root) else path


def _result_cache(
    request: RunRequest,
    checklist: Checklist,
    info: RunInfo,
    state_dir: str,
    fresh: Collection[str],
    env: Mapping[str, str],
) -> ResultCache | None:
    from relcheck.engine.cacheable import is_cacheable

    if not any(is_cacheable(step) for step in checklist.steps):
        return None  # nothing to reuse or keep: the cache and this clone's key stay unread
    from relcheck.engine.cache import StepCache
    from relcheck.engine.inputs import workspace_or_none

    cache = StepCache(
        state_dir,
        workspace_or_none(request.workdir or request.root, info.tree),
        info.run_id,
        info.relcheck_version,
        read=request.use_cache,
        fresh=fresh,
        env=env,
    )
    cache.prepare(checklist.steps)
    return cache


def exit_code(result: RunResult, cancellation: Cancellation) -> int:
    """relcheck's exit code for ``result``: 128 + the signal's number when one stopped it
    (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP, 131 for SIGQUIT)."""
    if result.outcome in (Outcome.INTERRUPTED, Outcome.TERMINATED) and cancellation.signal:
        return interrupts.exit_code(cancellation.signal)
    return EXIT_CODES[result.outcome]


EXIT_CODES = {
    Outcome.PASSED: 0,
    Outcome.FAILED: 1,
    Outcome.BLOCKED: 3,
    Outcome.INTERRUPTED: 130,
    Outcome.TERMINATED: 143,
    Outcome.ERROR: 70,
    Outcome.RUNNING: 70,
}
