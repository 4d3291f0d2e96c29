"""Run the steps the scheduler starts: command steps from its own thread, the rest in threads.

A step of the built-in ``command`` runner mostly waits for its process. With a thread
each, many short steps side by side cost more than the steps: the threads took turns at
the interpreter. Here one ``poll`` waits for every command step at once (its output
pipes and its pidfd), and a step that ends is finished between two polls. A command
step leaves the loop for a thread only to wait: to be stopped at its timeout or on
Ctrl-C, for a pipe that a stray process holds, or where there is no pidfd (not Linux).
A step of any other runner, or with a service, runs in a thread from start to end.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import os
import queue
import select
import threading
import time
from collections.abc import Callable

from relcheck.engine import runstep
from relcheck.engine.state import RunState
from relcheck.models import Step, StepResult
from relcheck.runners import command, registry
from relcheck.system import process
from relcheck.system.process_result import CommandResult

_TICK = 0.1  # seconds between looks at Ctrl-C while command steps run, as process.run


class StepLoop:
    """The steps running now: command steps polled here, the others in up to ``jobs``
    threads. :meth:`next_result` hands back each finished step with its result."""

    def __init__(self, state: RunState, jobs: int) -> None:
        self._state = state
        self._jobs = jobs
        self._tasks: queue.SimpleQueue[tuple[Step, Callable[[], StepResult]] | None] = (
            queue.SimpleQueue()
        )
        self._results: queue.SimpleQueue[tuple[Step, StepResult | BaseException]] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._busy = 0  # tasks handed to threads whose results are not yet taken
        # A thread that puts a result writes a byte here, so a poll wakes for it.
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._commands: list[_Command] = []
        self._done: collections.deque[tuple[Step, StepResult]] = collections.deque()
        # Ctrl-C wakes the poll at once, so the steps get their SIGINT without delay.
        state.cancel.wakers.append(self._wake)

    def submit(self, step: Step) -> None:
        """Start ``step``."""
        if _polled_here(self._state, step):
            self._attempt(_Command(runstep.StepRun(self._state, step)))
        else:
            self._thread(step, lambda: runstep.execute(self._state, step))

    def next_result(self, timeout: float | None) -> tuple[Step, StepResult] | None:
        """The next step to finish and its result; None when none did within ``timeout``."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._done:
                return self._done.popleft()
            try:
                step, outcome = self._results.get_nowait()
            except queue.Empty:
                pass
            else:
                self._busy -= 1
                if isinstance(outcome, BaseException):  # runstep does not raise: a bug
                    raise outcome
                return step, outcome
            now = time.monotonic()
            self._hand_off_stopped(now)
            if self._done:
                continue
            if end is not None and now >= end:
                return None
            self._poll(self._wait_time(now, end))

    def close(self) -> None:
        """Let every thread end once its step has; wait for them. A command step still
        polled here (the scheduler failed) goes to a thread, to be waited for there."""
        for cmd in list(self._commands):
            self._hand_off(cmd)
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()
        self._state.cancel.wakers.remove(self._wake)
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _attempt(self, cmd: _Command) -> None:
        """Start the command step's next attempt and poll it."""
        run, state = cmd.run, self._state
        step = run.step
        run.attempts += 1
        env = runstep.context_env(state.info, state.options.env, step, state.options.workdir)
        workdir = state.options.workdir or state.info.root

        def start() -> process.StepProcess:
            argv, cwd, shell = command.invocation(step.params, workdir)
            return process.StepProcess(
                argv,
                cwd=cwd,
                env=env,
                timeout=step.timeout,
                cancel=state.cancel.event,
                sink=run.sink,
                shell=shell,
            )

        started = runstep.guarded(step, run.sink, start)
        if isinstance(started, StepResult):  # it could not start
            self._attempted(cmd, started)
            return
        cmd.process = started
        self._commands.append(cmd)
        if not started.fds():  # no pidfd to poll: wait for it in a thread
            self._hand_off(cmd)

    def _attempted(self, cmd: _Command, result: StepResult) -> None:
        """An attempt ended here with ``result``: another attempt, or the step's end."""
        run = cmd.run
        if run.again(result):
            self._attempt(cmd)
            return
        self._done.append((run.step, run.end(result)))

    def _exited(self, cmd: _Command) -> None:
        """The command step's process has exited: finish the attempt here if nothing
        holds its pipes, else in a thread that waits for them."""
        run, step = cmd.run, cmd.run.step
        assert cmd.process is not None
        ended = runstep.guarded(step, run.sink, cmd.process.finish_now)
        if ended is False:
            self._hand_off(cmd)
            return
        self._commands.remove(cmd)
        if isinstance(ended, StepResult):  # finishing it failed
            self._attempted(cmd, ended)
            return
        finished = cmd.process.result
        self._attempted(cmd, runstep.guarded(step, run.sink, lambda: _judged(cmd, finished)))

    def _hand_off_stopped(self, now: float) -> None:
        """Command steps that must be stopped (Ctrl-C, their timeout) go to threads."""
        cancelled = self._state.cancel.cancelled
        for cmd in list(self._commands):
            assert cmd.process is not None
            if cancelled or now >= cmd.process.deadline:
                self._hand_off(cmd)

    def _hand_off(self, cmd: _Command) -> None:
        """Wait for the command step in a thread: its process, its further attempts."""
        self._commands.remove(cmd)
        run, step = cmd.run, cmd.run.step

        def finish() -> StepResult:
            try:
                assert cmd.process is not None
                waited = cmd.process.wait_out
                result = runstep.guarded(step, run.sink, lambda: _judged(cmd, waited))
                result = run.retried(result)
            finally:
                run.close()
            return run.end(result)

        self._thread(step, finish)

    def _wait_time(self, now: float, end: float | None) -> float | None:
        """How long the next poll may wait: until ``end``, the nearest deadline of a
        polled command step, and a tick to look at Ctrl-C while any is polled."""
        limits = [] if end is None else [end - now]
        if self._commands:
            limits.append(_TICK)
            limits += [cmd.process.deadline - now for cmd in self._commands if cmd.process]
        return max(0.0, min(limits)) if limits else None

    def _poll(self, seconds: float | None) -> None:
        poller = select.poll()
        poller.register(self._wake_read, select.POLLIN)
        pipes: dict[int, process.StepProcess] = {}
        exits: dict[int, _Command] = {}
        for cmd in self._commands:
            assert cmd.process is not None
            pidfd, *pipe_fds = cmd.process.fds()
            exits[pidfd] = cmd
            for fd in pipe_fds:
                pipes[fd] = cmd.process
            for fd in (pidfd, *pipe_fds):
                poller.register(fd, select.POLLIN)
        ready = [fd for fd, _ in poller.poll(None if seconds is None else seconds * 1000)]
        for fd in ready:  # output first: a process's last words come before its exit
            if fd in pipes:
                pipes[fd].read(fd)
        for fd in ready:
            if fd == self._wake_read:
                self._drain_wake()
                continue
            ended = exits.get(fd)
            if ended is not None and ended.process is not None and ended.process.exited():
                self._exited(ended)

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 4096):
                pass

    def _thread(self, step: Step, work: Callable[[], StepResult]) -> None:
        if self._busy == len(self._threads) and len(self._threads) < self._jobs:
            thread = threading.Thread(target=self._serve, name="relcheck-worker", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._busy += 1
        self._tasks.put((step, work))

    def _serve(self) -> None:
        while (task := self._tasks.get()) is not None:
            step, work = task
            try:
                outcome: StepResult | BaseException = work()
            except BaseException as exc:  # handed to the scheduler's thread
                outcome = exc
            self._results.put((step, outcome))
            self._wake()

    def _wake(self) -> None:
        """Make the poll return (a thread's result, a Ctrl-C)."""
        with contextlib.suppress(BlockingIOError):  # full: the poll wakes already
            os.write(self._wake_write, b"\0")


class _Command:
    """A command step driven by the loop, and its current attempt's process."""

    def __init__(self, run: runstep.StepRun) -> None:
        self.run = run
        self.process: process.StepProcess | None = None


def _judged(cmd: _Command, ended: Callable[[], CommandResult]) -> StepResult:
    """The attempt's result from how its process ended (``ended()`` says)."""
    return command.judge(cmd.run.step.params, ended(), cmd.run.step.timeout)


def _polled_here(state: RunState, step: Step) -> bool:
    """Whether ``step`` runs in the loop: the built-in command runner, no service, and a
    pidfd to wait on."""
    if step.service is not None or state.cancel.cancelled or not _pidfds():
        return False
    try:
        return registry.load(step.uses) is command.CommandRunner
    except Exception:  # the thread's attempt says what is wrong with it
        return False


@functools.cache
def _pidfds() -> bool:
    """Whether this system can wait on a process with a pidfd (Linux 5.3+)."""
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return False
    return True
