"""The live terminal view: every step and its state, redrawn in place, then a summary.

Steps are shown waiting, running (spinner and elapsed time), then with how they ended.
The engine calls ``on_event`` from worker threads; the display is redrawn by rich's own
refresh thread, so state lives behind a lock. ``-v`` prints each step's output lines,
prefixed with the step id, above the live display.

Only as many rows as the terminal has lines are drawn: when the steps do not fit, the
running ones, the latest to finish and the next to start are shown, with a line that
counts the rest. Drawing every row of a 3000-step checklist on every event made the
view quadratic (minutes of rendering for a run of `true` steps).
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from relcheck.durations import format_duration
from relcheck.models import Checklist, RunInfo, RunResult, Step, StepResult
from relcheck.report.summary import render_run, run_header, status_text, unicode_ok
from relcheck.system import terminal
from relcheck.system.redact import printable


@dataclass
class _Row:
    step_id: str
    started: float | None = None  # time.monotonic() when it started
    result: StepResult | None = None
    spinner: Spinner | None = None
    finished: int = 0  # the order in which it finished (1, 2, ...)


_MIN_REFRESH = 1 / 16  # seconds between redraws asked for by events


class LiveReporter:
    """Shows a run as it happens at a terminal (see the module docstring)."""

    def __init__(self, console: Console, *, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self.unicode = unicode_ok(console)
        self._rows: dict[str, _Row] = {}
        self._lock = threading.RLock()  # the rows
        self._output_lock = threading.Lock()  # the lines of -v, printed in turn
        self._live: Live | None = None
        self._partial: dict[str, str] = {}
        self._stack = ExitStack()
        self._closed = False
        self._finished = 0
        self._drawn = 0.0  # time.monotonic() of the last redraw an event asked for

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
                self._finished += 1
                row.finished = self._finished
            now = time.monotonic()
            if now - self._drawn < _MIN_REFRESH:
                return  # the refresh thread draws it within 1/8 s
            self._drawn = now
        live = self._live  # may be swapped by a question being asked meanwhile
        if live is not None:
            live.refresh()

    def on_output(self, step_id: str, text: str) -> None:
        if not self.verbose:
            return
        # Not under self._lock: the refresh thread holds the console's lock while it
        # draws the rows, which takes self._lock; printing under it waited for ever.
        with self._output_lock:
            buffered = self._partial.pop(step_id, "") + text
            *lines, rest = buffered.split("\n")
            if rest:
                self._partial[step_id] = rest
            for line in lines:
                # Printed through the live console, so it lands above the live rows.
                self.console.print(Text(f"[{step_id}] ", style="dim") + Text(printable(line)))

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
        # Lines of Text laid out here, not a rich Table: a table measures every cell on
        # every redraw, which cost ~25 ms a frame, eight frames a second.
        now = time.monotonic()
        with self._lock:
            rows, hidden = _visible(list(self._rows.values()), self.console.size.height - 1)
        cells: list[tuple[Text, Text, str, Text]] = []
        for row in rows:
            if row.result is not None:
                r = row.result
                elapsed = "" if r.status.value == "skipped" else format_duration(r.duration)
                state = status_text(r, unicode=self.unicode)
                cells.append((state, Text(r.step_id), elapsed, Text(printable(r.summary))))
            elif row.started is not None and row.spinner is not None:
                spinner = row.spinner.render(now)
                state = spinner if isinstance(spinner, Text) else Text("running")
                elapsed = format_duration(now - row.started)
                cells.append((state, Text(row.step_id), elapsed, Text("")))
            else:
                waiting = Text("· waiting", style="dim")
                cells.append((waiting, Text(row.step_id, style="dim"), "", Text("")))
        widths = [
            max((c[0].cell_len for c in cells), default=0),
            max((c[1].cell_len for c in cells), default=0),
        ]
        width = max((len(c[2]) for c in cells), default=0)
        lines = []
        for state, step_id, elapsed, summary in cells:
            line = Text()
            line.append_text(state)
            line.pad_right(widths[0] - state.cell_len + 1)
            line.append_text(step_id)
            line.pad_right(widths[1] - step_id.cell_len + 1)
            line.append(elapsed.rjust(width) + " ")
            line.append_text(summary)
            line.no_wrap, line.overflow = True, "ellipsis"
            lines.append(line)
        if hidden:
            lines.append(Text(f"… {hidden}", style="dim", no_wrap=True, overflow="ellipsis"))
        return Group(*lines)

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


def _visible(rows: list[_Row], lines: int) -> tuple[list[_Row], str]:
    """The rows that fit in ``lines`` (in checklist order), and what the rest are."""
    if len(rows) <= lines:
        return rows, ""
    budget = max(1, lines - 1)  # one line says what is not shown
    running = [r for r in rows if r.result is None and r.started is not None]
    done = [r for r in rows if r.result is not None]
    waiting = [r for r in rows if r.result is None and r.started is None]
    shown = running[:budget]
    room = budget - len(shown)
    # Up to half the room for the steps that come next, the rest for the latest done.
    upcoming = waiting[: room // 2]
    recent = heapq.nlargest(room - len(upcoming), done, key=lambda r: r.finished)
    shown += upcoming + recent + waiting[len(upcoming) : room - len(recent)]
    keep = {id(r) for r in shown}
    counts: dict[str, int] = {}
    for r in rows:
        if id(r) not in keep:
            word = "waiting" if r.result is None and r.started is None else "running"
            if r.result is not None:
                word = r.result.status.value.replace("_", " ")
            counts[word] = counts.get(word, 0) + 1
    hidden = ", ".join(f"{n} {word}" for word, n in counts.items())
    return [r for r in rows if id(r) in keep], f"{hidden} not shown"
