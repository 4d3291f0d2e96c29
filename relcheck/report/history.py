"""Tables over recorded runs: recent runs, and one step across runs (slow or flaky?)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from relcheck.durations import format_duration
from relcheck.models import RunResult, Status, StepResult
from relcheck.report.summary import OUTCOME_STYLE, status_text
from relcheck.system.redact import printable

_BAR_WIDTH = 12


def _table(*columns: str, unicode: bool) -> Table:
    table = Table(box=box.SIMPLE if unicode else box.ASCII, header_style="bold", pad_edge=False)
    for name in columns:
        table.add_column(name, no_wrap=name not in ("failed steps", "summary"))
    return table


def runs_table(runs: Sequence[RunResult], *, unicode: bool = True) -> Table:
    """When, run id, commit, version, outcome, failed steps, duration: newest first."""
    table = _table(
        "when", "run", "commit", "version", "outcome", "failed steps", "duration", unicode=unicode
    )
    table.columns[-1].justify = "right"
    table.columns[5].min_width = 12
    for run in runs:
        failed = [r.step_id for r in run.steps if r.status.fails_run and not r.optional]
        outcome = str(run.outcome) + (" (dry)" if run.info.dry_run else "")
        table.add_row(
            short_time(run.started_at),
            Text(printable(run.info.run_id)),
            Text(printable((run.info.commit or "-")[:9])),
            Text(printable(run.info.version or "-")),
            Text(outcome, style=OUTCOME_STYLE[run.outcome]),
            Text(printable(", ".join(failed) or "-")),
            format_duration(run.duration),
        )
    return table


def step_history(step_id: str, runs: Sequence[RunResult], *, unicode: bool = True) -> Group:
    """One step across runs, newest first, with a duration bar and pass/flaky counts."""
    found: list[tuple[RunResult, StepResult]] = [
        (run, result) for run in runs if (result := run.result(step_id)) is not None
    ]
    timed = [r.duration for _run, r in found if r.status not in (Status.SKIPPED, Status.CACHED)]
    longest = max(timed, default=0.0) or 1.0
    from relcheck.evidence.facts import brief
    from relcheck.models import is_release_run

    # The release and metrics columns only when some run has them: the table stays
    # narrow for a plain command step.
    tags = {run.info.run_id: run.info.tag for run, _r in found if is_release_run(run)}
    numbers = {id(r): brief(r) for _run, r in found}
    columns = ["when", "run", "status", "duration", "", "attempts", "summary"]
    if any(numbers.values()):
        columns.insert(6, "metrics")
    if tags:
        columns.insert(2, "release")
    table = _table(*columns, unicode=unicode)
    table.columns[columns.index("duration")].justify = "right"
    table.columns[-1].min_width = 24
    for run, result in found:
        ran = result.status not in (Status.SKIPPED, Status.CACHED)
        bar = _bar(result.duration / longest, unicode) if ran else ""
        cells: dict[str, RenderableType] = {
            "when": short_time(run.started_at),
            "run": Text(printable(run.info.run_id)),
            "release": Text(printable(tags.get(run.info.run_id) or "-")),
            "status": status_text(result, unicode=unicode),
            "duration": format_duration(result.duration) if ran else "-",
            "": Text(bar, style="cyan"),
            "attempts": str(result.attempts),
            "metrics": numbers[id(result)] or "-",
            "summary": Text(printable(result.summary)),
        }
        table.add_row(*(cells[c] for c in columns))
    return Group(table, Text(step_stats(found)))


def step_stats(found: Sequence[tuple[RunResult, StepResult]]) -> str:
    """``passed 7 of 9 runs (1 flaky); duration median 3.20s, last 4.10s, max 4.10s``."""
    if not found:
        return "the step is in no recorded run"
    results = [r for _run, r in found]
    passed = sum(1 for r in results if r.status.ok)
    flaky = sum(1 for r in results if r.status is Status.PASSED and r.attempts > 1)
    text = f"passed {passed} of {len(results)} runs"
    if flaky:
        text += f" ({flaky} flaky: passed after a retry)"
    timed = [r.duration for r in results if r.status not in (Status.SKIPPED, Status.CACHED)]
    if timed:
        text += (
            f"; duration median {format_duration(statistics.median(timed))}, "
            f"last {format_duration(timed[0])}, max {format_duration(max(timed))}"
        )
    return text


def _bar(fraction: float, unicode: bool) -> str:
    cells = max(1, round(fraction * _BAR_WIDTH))
    return ("█" if unicode else "#") * cells


def short_time(epoch: float) -> str:
    """``Nov 26 10:15`` in the viewer's time zone (the year is in the run id)."""
    return dt.datetime.fromtimestamp(epoch).astimezone().strftime("%b %d %H:%M")


def no_runs(directory: str, *, releases: bool = False) -> RenderableType:
    what = "no release recorded" if releases else "no runs recorded"
    return Text(f"{what} in {printable(directory)}")
