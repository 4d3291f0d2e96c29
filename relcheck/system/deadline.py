"""Hold a runner's Python code to its step's deadline.

A runner can block where no timeout reaches: an HTTP server that sends one byte a second
(httpx's timeouts are per read), a FIFO that never gets a writer, a plugin that sleeps.
Its ``run()`` therefore runs in a daemon thread, and the step waits for it only until
the deadline (or a Ctrl-C), plus the time the runner needs to stop a process it waits
for. A thread cannot be killed: one that has not returned by then is abandoned, the step
is reported as timed out (or interrupted) and the run goes on; as a daemon thread it does
not keep relcheck from exiting. A runner whose only wait is ``ctx.run_command`` (the
``command`` runner: ``bounds_itself``) needs no watcher: process.run keeps the deadline
and the Ctrl-C, and the engine calls it directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from relcheck.models import Status, StepResult
from relcheck.system import process_groups
from relcheck.system.interrupts import Cancellation
from relcheck.system.process_output import OutputSink

# How long after its deadline (or a Ctrl-C) a runner that is in Python code, not waiting
# for a process, may take to return: runners that watch ``ctx.remaining()`` and
# ``ctx.cancel`` return well within it. One waiting for a process gets up to
# process_groups.stop_time() more.
SLACK = 1.0
_POLL = 0.1


def call(
    run: Callable[[], Any],
    *,
    name: str,
    timeout: float,
    deadline: float,
    cancel: Cancellation,
    sink: OutputSink,
) -> Any:
    """``run()``'s return value or exception, or a TIMED_OUT/INTERRUPTED StepResult when
    it did not return in time."""
    done = threading.Event()
    outcome: list[tuple[bool, Any]] = []

    def work() -> None:
        try:
            outcome.append((True, run()))
        except BaseException as exc:  # handed to the waiting thread
            outcome.append((False, exc))
        finally:
            done.set()

    worker = threading.Thread(target=work, name=f"relcheck-step-{name}", daemon=True)
    worker.start()
    give_up = at_most = float("inf")
    while not done.wait(_POLL):
        if cancel.hurried:  # a second Ctrl-C: stop waiting at once
            return _abandon(sink, Status.INTERRUPTED, "interrupted")
        now = time.monotonic()
        if at_most == float("inf") and (cancel.cancelled or now >= deadline):
            give_up, at_most = now + SLACK, now + process_groups.stop_time() + SLACK
        if process_groups.busy(worker.ident):
            # It waits for a process, which process.run stops by itself (SIGINT, SIGTERM,
            # SIGKILL, a grace period apart): a git push must be over before the step is
            # given up. Only for as long as that can take.
            give_up = max(give_up, now + SLACK)
        if now >= min(give_up, at_most):
            if cancel.cancelled:
                return _abandon(sink, Status.INTERRUPTED, "interrupted")
            return _abandon(sink, Status.TIMED_OUT, f"timed out after {timeout:g}s")
    ok, value = outcome[0]
    if ok:
        return value
    raise value


def _abandon(sink: OutputSink, status: Status, what: str) -> StepResult:
    summary = f"{what}; the runner did not return and was abandoned"
    sink.note(summary)
    return StepResult(status, summary, output_tail=sink.tail())
