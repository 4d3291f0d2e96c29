"""Run one step: its services, its runner under a deadline, its retries, the tree watch."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Mapping

from relcheck.api import StepContext
from relcheck.engine import treeverdict, treewatch
from relcheck.engine.state import RunState
from relcheck.errors import PluginError, RunnerError, ServiceFailed
from relcheck.models import RunInfo, Status, Step, StepKind, StepResult
from relcheck.runners import registry
from relcheck.system import deadline as deadline_mod
from relcheck.system import projectenv
from relcheck.system.process_output import OutputSink


def context_env(
    info: RunInfo, base: Mapping[str, str], step: Step, workdir: str | None = None
) -> dict[str, str]:
    """The environment of a step: base, RELCHECK_* context values, then the step's env.

    ``RELCHECK_ROOT`` is where the step runs: ``workdir`` (a clean checkout of the commit
    being checked, in hook mode) when given, else the repository. In such a checkout the
    checkout's code comes first on PYTHONPATH, before the step's own setting: the
    environment is the repository's, whose editable install imports the repository's."""
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
    if workdir is not None and os.path.realpath(workdir) != os.path.realpath(info.root):
        env = projectenv.with_import_root(env, workdir)
    return env


def execute(state: RunState, step: Step) -> StepResult:
    """Run one step (with its retries); never raises."""
    options = state.options
    state.emit("start", step, None)
    started, t0 = time.time(), time.monotonic()
    logs = state.logs
    log_path = os.path.join(logs.path, f"{step.id}.log") if logs is not None else None
    live = None
    if options.on_output is not None:
        on_output = options.on_output
        live = lambda text: on_output(step.id, text)  # noqa: E731
    sink = OutputSink(log_path, options.redactor, live, folder=logs)
    said = options.cache.note(step) if options.cache is not None else None
    if said:  # why a pass on record was not reused (an entry not signed here)
        sink.note(said)
    attempts = 0
    # Checks must not change what they check; release steps make tags, not changes.
    watch = None if step.kind is StepKind.RELEASE else state.watch
    treewatch.safely(watch, "begin", step.id, step.writes)
    try:
        while True:
            attempts += 1
            result = _attempt(state, step, sink)
            retry = result.status.failed_itself
            if not retry or attempts > step.retries or state.cancel.cancelled:
                break
            sink.note(f"attempt {attempts} {result.status.words}: {result.summary}; retrying")
    finally:
        found = treewatch.safely(watch, "end", step.id)
        sink.close()
    if watch is not None and found is not None:
        result = treeverdict.verdict(step.id, result, watch, found)
    redact = options.redactor.text
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
        log_path=sink.kept_log,
        attempts=attempts,
        # How much the step printed, over all attempts: the tail alone cannot say
        # whether 2 KiB or 200 MB came before it.
        output_bytes=sink.bytes_seen,
    )
    return state.judged(step, result)


def _attempt(state: RunState, step: Step, sink: OutputSink) -> StepResult:
    deadline = time.monotonic() + step.timeout
    env = context_env(state.info, state.options.env, step, state.options.workdir)
    workdir = state.options.workdir or state.info.root
    try:
        with contextlib.ExitStack() as services:
            if step.service is not None and step.service.name is not None:
                env.update(
                    state.shared.acquire(step.service.name, env=env, sink=sink, deadline=deadline)
                )
            elif step.service is not None:  # started per attempt, stopped however it ends
                from relcheck.engine import service

                env.update(
                    services.enter_context(
                        service.running(
                            step.service,
                            workdir=workdir,
                            env=env,
                            cancel=state.cancel.event,
                            sink=sink,
                            deadline=deadline,
                        )
                    )
                )
            ctx = StepContext(
                step=step,
                checklist=state.checklist,
                info=state.info,
                workdir=workdir,
                env=env,
                cancel=state.cancel.event,
                sink=sink,
                results=dict(state.results),
                interactive=state.options.interactive,
                confirmations=state.options.confirmations,
                deadline=deadline,
            )
            runner = registry.load(step.uses)()
            # Declared by the class itself: a subclass's own run() is not vouched for.
            if type(runner).__dict__.get("bounds_itself", False):
                result = runner.run(step.params, ctx)
            else:
                result = deadline_mod.call(
                    lambda: runner.run(step.params, ctx),
                    name=step.id,
                    timeout=step.timeout,
                    deadline=deadline,
                    cancel=state.cancel,
                    sink=sink,
                )
    except ServiceFailed as exc:
        return exc.result
    except (RunnerError, PluginError) as exc:
        sink.note(f"error: {exc}")
        return StepResult(Status.ERROR, str(exc))
    except Exception as exc:  # a runner bug must not lose the run or its record
        import traceback  # only for a crash (~1 ms of imports)

        sink.write(traceback.format_exc().encode())
        return StepResult(
            Status.ERROR, f"runner {step.uses!r} crashed: {type(exc).__name__}: {exc}"
        )
    if not isinstance(result, StepResult):
        return StepResult(Status.ERROR, f"runner {step.uses!r} returned {type(result).__name__}")
    return result
