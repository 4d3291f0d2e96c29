"""Wait for the steps the scheduler starts: command steps from one thread, the rest in threads.

A step of the built-in ``command`` runner mostly waits for its process. With a thread
each, many short steps side by side cost more than the steps: the threads took turns at
the interpreter. Here one thread, the poller, waits for every command step at once with
one ``poll`` (each step's output pipes and pidfd), and finishes a step that ended
between two polls. It is not the scheduler's thread, which may wait on other things (a
shared service stopping, a terminal): the steps' deadlines, output and exits are looked
after whatever it does. A command step leaves the poller for a thread of its own only to
wait: to be stopped at its timeout or on Ctrl-C, for a pipe that a stray process holds,
or where there is no pidfd (not Linux). A step of any other runner, or with a service,
runs in a thread from start to end.
"""

from __future__ import annotations

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

_TICK = 0.1  # seconds between looks at the clock while command steps run, at most


class StepLoop:
    """The steps running now: command steps waited for by the poller, the others in up
    to ``jobs`` threads. :meth:`next_result` hands back each finished step's result."""

    def __init__(self, state: RunState, jobs: int) -> None:
        self._state = state
        self._jobs = jobs
        self._tasks: queue.SimpleQueue[tuple[Step, Callable[[], StepResult]] | None] = (
            queue.SimpleQueue()
        )
        # (step, its result or what a thread raised, whether a thread's task ended); no
        # step when the poller failed
        self._results: queue.SimpleQueue[tuple[Step | None, StepResult | BaseException, bool]] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._busy = 0  # tasks handed to threads whose results are not yet taken
        self._threads_lock = threading.Lock()  # the poller hands steps to threads too
        self._poller: _Poller | None = None

    def submit(self, step: Step) -> None:
        """Start ``step``."""
        if not _polled(self._state, step):
            self._thread(step, lambda: runstep.execute(self._state, step))
            return
        if self._poller is None:
            self._poller = _Poller(self._state, self._thread, self._finished, self._crashed)
        cmd = _Command(runstep.StepRun(self._state, step))
        # Started here, right after the tree watch's snapshot; then the poller waits.
        ended = _advance(self._state, cmd, None)
        if ended is None:
            self._poller.watch(cmd)
        else:  # it could not start, on any attempt
            self._finished(step, ended)

    def next_result(self, timeout: float | None) -> tuple[Step, StepResult] | None:
        """The next step to finish and its result; None when none did within ``timeout``."""
        try:
            step, outcome, from_thread = self._results.get(timeout=timeout)
        except queue.Empty:
            return None
        if from_thread:
            with self._threads_lock:
                self._busy -= 1
        if isinstance(outcome, BaseException):  # runstep does not raise: a bug
            raise outcome
        assert step is not None
        return step, outcome

    def close(self) -> None:
        """Stop the poller (a command step it still waits for goes to a thread: the
        scheduler failed) and let every thread end once its step has; wait for them."""
        if self._poller is not None:
            self._poller.close()
        with self._threads_lock:
            threads = list(self._threads)
        for _ in threads:
            self._tasks.put(None)
        for thread in threads:
            thread.join()

    def _finished(self, step: Step, result: StepResult) -> None:
        self._results.put((step, result, False))

    def _crashed(self, exc: BaseException) -> None:
        self._results.put((None, exc, False))

    def _thread(self, step: Step, work: Callable[[], StepResult]) -> None:
        """Run ``work`` in a thread; its result comes back through next_result."""
        with self._threads_lock:
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
            self._results.put((step, outcome, True))


class _Command:
    """A command step and its current attempt's process."""

    def __init__(self, run: runstep.StepRun) -> None:
        self.run = run
        self.process: process.StepProcess | None = None


class _Poller:
    """The thread that waits for every command step: their output, exits and deadlines."""

    def __init__(
        self,
        state: RunState,
        thread: Callable[[Step, Callable[[], StepResult]], None],
        finished: Callable[[Step, StepResult], None],
        crashed: Callable[[BaseException], None],
    ) -> None:
        self._state = state
        self._thread = thread
        self._finished = finished
        self._crashed = crashed
        self._inbox: queue.SimpleQueue[_Command | None] = queue.SimpleQueue()
        # Written to wake the poll: a new step, a Ctrl-C (from the signal handler), close.
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._poll = select.poll()
        self._poll.register(self._wake_read, select.POLLIN)
        self._fds: dict[int, _Command] = {}  # what is registered: pidfds and pipes
        self._commands: list[_Command] = []
        state.cancel.wakers.append(self._wake)
        self._loop = threading.Thread(target=self._run, name="relcheck-poller", daemon=True)
        self._loop.start()

    def watch(self, cmd: _Command) -> None:
        """Wait for ``cmd``'s process (from the scheduler's thread)."""
        self._inbox.put(cmd)
        self._wake()

    def ended(self, cmd: _Command, result: StepResult) -> None:
        """An attempt of ``cmd`` ended here with ``result``: another, or the step's end."""
        ended = _advance(self._state, cmd, result)
        if ended is None:
            self._add(cmd)
        else:
            self._finished(cmd.run.step, ended)

    def close(self) -> None:
        self._inbox.put(None)
        self._wake()
        self._loop.join()
        self._state.cancel.wakers.remove(self._wake)
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # full: the poll wakes already
            os.write(self._wake_write, b"\0")

    def _run(self) -> None:
        try:
            self._serve()
        except BaseException as exc:  # a bug: the scheduler raises it, never waits on
            self._crashed(exc)

    def _serve(self) -> None:
        while True:
            if not self._take_inbox():
                for cmd in list(self._commands):  # the run is over without them: a bug
                    self._hand_off(cmd)
                return
            now = time.monotonic()
            self._hand_off_stopped(now)
            wait = min([_TICK] + [c.process.deadline - now for c in self._commands if c.process])
            ready = self._poll.poll(max(0.0, wait) * 1000 if self._commands else None)
            self._handle(ready)

    def _take_inbox(self) -> bool:
        """Take the steps handed over; False once the loop must end."""
        while True:
            try:
                cmd = self._inbox.get_nowait()
            except queue.Empty:
                return True
            if cmd is None:
                return False
            self._add(cmd)

    def _add(self, cmd: _Command) -> None:
        assert cmd.process is not None
        fds = cmd.process.fds()
        if not fds:  # no pidfd to poll: wait for it in a thread
            self._commands.append(cmd)
            self._hand_off(cmd)
            return
        for fd in fds:
            self._fds[fd] = cmd
            self._poll.register(fd, select.POLLIN)
        self._commands.append(cmd)

    def _handle(self, ready: list[tuple[int, int]]) -> None:
        fds = [fd for fd, _ in ready]
        if self._wake_read in fds:
            with contextlib.suppress(BlockingIOError):
                while os.read(self._wake_read, 4096):
                    pass
        exits: list[_Command] = []
        for fd in fds:  # output first: a process's last words come before its exit
            cmd = self._fds.get(fd)
            if cmd is None or cmd.process is None:
                continue
            if fd == cmd.process.fds()[0]:
                if cmd not in exits:
                    exits.append(cmd)
            else:
                cmd.process.read(fd)
                if fd not in cmd.process.fds():  # at its end: closed
                    self._forget_fd(fd)
        for cmd in exits:
            if cmd in self._commands and cmd.process is not None and cmd.process.exited():
                self._exited(cmd)

    def _exited(self, cmd: _Command) -> None:
        """The command step's process has exited: finish the attempt here if nothing
        holds its pipes, else in a thread that waits for them."""
        assert cmd.process is not None
        run, proc = cmd.run, cmd.process
        ended = runstep.guarded(run.step, run.sink, proc.finish_now)
        if ended is False:
            self._hand_off(cmd)
            return
        self._drop(cmd)
        if isinstance(ended, StepResult):  # finishing it failed
            self.ended(cmd, ended)
            return
        self.ended(cmd, runstep.guarded(run.step, run.sink, lambda: _judged(cmd, proc.result)))

    def _hand_off_stopped(self, now: float) -> None:
        """Command steps that must be stopped (Ctrl-C, their timeout) go to threads."""
        cancelled = self._state.cancel.cancelled
        for cmd in list(self._commands):
            assert cmd.process is not None
            if cancelled or now >= cmd.process.deadline:
                self._hand_off(cmd)

    def _hand_off(self, cmd: _Command) -> None:
        """Wait for the command step in a thread: its process, its further attempts."""
        proc = cmd.process
        assert proc is not None
        self._drop(cmd)
        run = cmd.run

        def finish() -> StepResult:
            try:
                result = runstep.guarded(run.step, run.sink, lambda: _judged(cmd, proc.wait_out))
                result = run.retried(result)
            finally:
                run.close()
            return run.end(result)

        self._thread(run.step, finish)

    def _drop(self, cmd: _Command) -> None:
        """Stop polling ``cmd``'s process."""
        self._commands.remove(cmd)
        for fd in [fd for fd, owner in self._fds.items() if owner is cmd]:
            self._forget_fd(fd)

    def _forget_fd(self, fd: int) -> None:
        del self._fds[fd]
        self._poll.unregister(fd)


def _advance(state: RunState, cmd: _Command, result: StepResult | None) -> StepResult | None:
    """After an attempt that ended with ``result`` (None: before the first), start the
    next if there is one: None once one has started (``cmd.process``), else the step's
    result as the run records it."""
    run = cmd.run
    while True:
        if result is None:
            started = _start(state, cmd)
            if isinstance(started, process.StepProcess):
                cmd.process = started
                return None
            result = started  # it could not start
        if not run.again(result):
            return run.end(result)
        result = None


def _start(state: RunState, cmd: _Command) -> process.StepProcess | StepResult:
    """Start the command step's next attempt: its process, or why it could not start."""
    run = cmd.run
    step = run.step
    run.attempts += 1
    env = runstep.context_env(state.info, state.options.env, step, state.options.workdir)
    workdir = state.options.workdir or state.info.root

    def spawn() -> process.StepProcess:
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

    return runstep.guarded(step, run.sink, spawn)


def _judged(cmd: _Command, ended: Callable[[], CommandResult]) -> StepResult:
    """The attempt's result from how its process ended (``ended()`` says)."""
    return command.judge(cmd.run.step.params, ended(), cmd.run.step.timeout)


def _polled(state: RunState, step: Step) -> bool:
    """Whether the poller waits for ``step``: the built-in command runner, no service,
    and a pidfd to wait on."""
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
