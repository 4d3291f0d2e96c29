"""Plan and run a checklist's steps; own the release gate. Never prints, never exits.

Order: repository preconditions first, then the checks (in parallel up to ``jobs``,
along ``needs``: relcheck.engine.scheduler), then release steps, one by one, and only
when every required step passed or was served from cache (relcheck.engine.gate and
relcheck.engine.release). Nothing a runner does can open that gate.

Preconditions stop the checks only when a release is asked for on a release branch.
Off a release branch, in a dry run, or with nothing new to release (``release_if_new``),
a failed precondition refuses the release alone: the checks run and decide the outcome.
"""

from __future__ import annotations

import os
import time

from relcheck.engine import release, scheduler, treewatch
from relcheck.engine.options import RunOptions
from relcheck.engine.shared import shared_services
from relcheck.engine.state import RunState
from relcheck.models import Checklist, RunInfo, RunResult, StepKind
from relcheck.system.interrupts import Cancellation


def run(
    checklist: Checklist, info: RunInfo, options: RunOptions, cancel: Cancellation
) -> RunResult:
    """Run ``checklist`` and return every step's result, in checklist order."""
    started = time.time()
    state = RunState(checklist, info, options, cancel)
    try:
        releases = [s for s in checklist.steps if s.kind is StepKind.RELEASE]
        checks = [s for s in checklist.steps if s.kind is not StepKind.RELEASE]
        if options.only:
            checks = [s for s in checks if s.id in options.only]
            releases = []
        state.shared = shared_services(
            checks,
            workdir=options.workdir or info.root,
            cancel=cancel,
            log_dir=options.log_dir,
            redactor=options.redactor,
            needed=any(s.service for s in checklist.steps),
        )
        if state.logs is not None:
            # There while steps run, though a silent step makes no log in it.
            state.logs.make()
        state.watch = treewatch.start(options.workdir or info.root, _own_paths(info, options))
        # A push is not a release: the release preconditions are not its question.
        hook = info.mode == "hook"
        try:
            for step in checks:
                if hook and step.kind is StepKind.PRECONDITION:
                    state.skip(
                        step, "skipped: release preconditions are checked by a release, not a push"
                    )
                    continue
                if step.id in options.prior:
                    state.emit("start", step, None)
                    state.finish(step, options.prior[step.id])
            scheduler.run_checks(
                state,
                [s for s in checks if s.id not in options.prior and s.id not in state.results],
            )
        finally:
            state.shared.stop_all()
        outcome, message = release.conclude(state, checks, releases, started)
        ordered = tuple(state.results[s.id] for s in checklist.steps if s.id in state.results)
        return RunResult(info, outcome, started, time.time(), ordered, message)
    finally:
        if state.logs is not None:
            state.logs.close()


def _own_paths(info: RunInfo, options: RunOptions) -> tuple[str, ...]:
    """relcheck's own files inside the work tree (records, reports), as git pathspecs."""
    tree = os.path.realpath(options.workdir or info.root)
    own = [".relcheck"]
    for path in info.own_paths:
        inside = os.path.relpath(os.path.realpath(path), tree)
        if not inside.startswith("..") and inside != "." and inside not in own:
            own.append(inside)
    return tuple(own)
