"""The live terminal view: every step and its state, redrawn in place, then a summary.

Steps are shown waiting, running (spinner and elapsed time), then with how they ended.
The engine calls ``on_event`` from worker threads; the display is redrawn by rich's own
refresh thread, so state lives behind a lock. ``-v`` prints each step's output lines,
prefixed with the step id, above the live display.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from relcheck import terminal
from relcheck.durations import format_duration
from relcheck.models import Checklist, RunInfo, RunResult, Step, StepResult
from relcheck.report.summary import render_run, run_header, status_text, unicode_ok


@dataclass
class _Row:
    step_id: str
    started: float | None = None  # time.monotonic() when it started
    result: StepResult | None = None
    spinner: Spinner | None = None


class LiveReporter:
    """Shows a run as it happens at a terminal (see the module docstring)."""

    def __init__(self, console: Console, *, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self.unicode = unicode_ok(console)
        self._rows: dict[str, _Row] = {}
        self._lock = threading.RLock()
        self._live: Live | None = None
        self._partial: dict[str, str] = {}
        self._stack = ExitStack()
        self._closed = False

    # -- the reporter protocol ---------------------------------------------------------
    def begin(self, checklist: Checklist, info: RunInfo) -> None:
        steps = [s for s in checklist.steps if not info.only or s.id in info.only]
        self._rows = {s.id: _Row(s.id) for s in steps}
        self.console.print(run_header(info))
        self._live = self._start_live()
        self._stack.enter_context(terminal.pausing(self._paused))

    def _start_live(self) -> Live:
        live = Live(
            self,
            console=self.console,
            transient=True,  # the summary table replaces the live rows at the end
            refresh_per_second=8,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        live.start()
        return live

    def on_event(self, kind: str, step: Step, result: StepResult | None) -> None:
        with self._lock:
            row = self._rows.setdefault(step.id, _Row(step.id))
            if kind == "start":
                row.started = time.monotonic()
                row.spinner = Spinner(
                    "dots" if self.unicode else "line", text=Text("running"), style="cyan"
                )
            elif kind == "finish" and result is not None:
                row.result = result
                row.spinner = None
        live = self._live  # may be swapped by a question being asked meanwhile
        if live is not None:
            live.refresh()

    def on_output(self, step_id: str, text: str) -> None:
        if not self.verbose:
            return
        with self._lock:
            buffered = self._partial.pop(step_id, "") + text
            *lines, rest = buffered.split("\n")
            if rest:
                self._partial[step_id] = rest
            for line in lines:
                # Printed through the live console, so it lands above the live rows.
                self.console.print(Text(f"[{step_id}] ", style="dim") + Text(line))

    def finish(self, run: RunResult, record_path: str | None) -> None:
        self.close()
        self.console.print(render_run(run, record_path, unicode=self.unicode))

    def close(self) -> None:
        """Stop the live display (idempotent); the cursor comes back."""
        self._closed = True
        self._stack.close()
        if self._live is not None:
            self._live.stop()
            self._live = None

    # -- rendering ---------------------------------------------------------------------
    def __rich__(self) -> RenderableType:
        now = time.monotonic()
        with self._lock:
            rows = list(self._rows.values())
        cells: list[tuple[RenderableType, Text, str, Text]] = []
        for row in rows:
            if row.result is not None:
                r = row.result
                elapsed = "" if r.status.value == "skipped" else format_duration(r.duration)
                state = status_text(r, unicode=self.unicode)
                cells.append((state, Text(r.step_id), elapsed, Text(r.summary)))
            elif row.started is not None and row.spinner is not None:
                elapsed = format_duration(now - row.started)
                cells.append((row.spinner, Text(row.step_id), elapsed, Text("")))
            else:
                waiting = Text("· waiting", style="dim")
                cells.append((waiting, Text(row.step_id, style="dim"), "", Text("")))
        # State, id and elapsed time are shown whole; only the summary gives way to a
        # narrow terminal, cut to the room left and ended with an ellipsis.
        state_width = max([len("⠋ running"), *(_width(c[0]) for c in cells)])
        fixed = (
            state_width
            + max((c[1].cell_len for c in cells), default=0)
            + max((len(c[2]) for c in cells), default=0)
            + 3  # the padding between the four columns
        )
        room = max(0, self.console.size.width - fixed)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, min_width=state_width)  # state
        grid.add_column(no_wrap=True)  # step id
        grid.add_column(no_wrap=True, justify="right")  # elapsed
        grid.add_column(no_wrap=False)  # summary, already cut to fit
        for state, step_id, elapsed, summary in cells:
            summary.truncate(room, overflow="ellipsis")
            grid.add_row(state, step_id, elapsed, summary)
        return grid

    @contextmanager
    def _paused(self) -> Iterator[None]:
        """Take the live rows off the screen while a question is asked."""
        live = self._live
        if live is None:
            yield
            return
        live.stop()
        self._live = None
        try:
            yield
        finally:
            # A new Live: a restarted one would first erase as many lines as it last
            # drew, taking the question and its answer with them.
            if not self._closed:
                self._live = self._start_live()


def _width(cell: RenderableType) -> int:
    return cell.cell_len if isinstance(cell, Text) else len("⠋ running")
