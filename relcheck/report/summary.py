"""The end-of-run summary as rich renderables: shared by the live view and `relcheck show`.

Only imported where rich output is wanted, so rich is never loaded for plain output.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from relcheck.durations import format_duration
from relcheck.models import Outcome, RunInfo, RunResult, Status, StepResult
from relcheck.report.text import failure_lines, result_line
from relcheck.system.redact import printable

if TYPE_CHECKING:
    from collections.abc import Iterable

# status -> (symbol, word, style)
STATUS_LOOK: dict[Status, tuple[str, str, str]] = {
    Status.PASSED: ("✓", "passed", "green"),
    Status.FAILED: ("✗", "failed", "bold red"),
    Status.ERROR: ("!", "error", "bold red"),
    Status.TIMED_OUT: ("✗", "timed out", "bold red"),  # ⏱ is two cells wide in some terminals
    Status.SKIPPED: ("-", "skipped", "yellow"),
    Status.CACHED: ("↺", "cached", "cyan"),
    Status.INTERRUPTED: ("■", "interrupted", "yellow"),
}
ASCII_SYMBOLS = {
    Status.PASSED: "+",
    Status.FAILED: "x",
    Status.ERROR: "!",
    Status.TIMED_OUT: "T",
    Status.SKIPPED: "-",
    Status.CACHED: "=",
    Status.INTERRUPTED: "#",
}
OUTCOME_STYLE = {
    Outcome.PASSED: "bold green",
    Outcome.FAILED: "bold red",
    Outcome.BLOCKED: "bold red",
    Outcome.INTERRUPTED: "bold yellow",
    Outcome.TERMINATED: "bold yellow",
    Outcome.ERROR: "bold red",
    Outcome.RUNNING: "bold yellow",
}


def unicode_ok(console: Console) -> bool:
    return console.encoding.lower().replace("-", "").startswith("utf")


def status_text(result: StepResult, *, unicode: bool = True) -> Text:
    """``✓ passed`` in the status's colour; an optional step's failure says so."""
    symbol, word, style = STATUS_LOOK[result.status]
    if not unicode:
        symbol = ASCII_SYMBOLS[result.status]
    if result.optional and result.status.fails_run:
        word += " (optional)"
        style = "yellow"
    return Text(f"{symbol} {word}", style=style)


def run_header(info: RunInfo) -> Text:
    """One line: checklist, version and tag, commit and branch."""
    text = Text("relcheck ", style="bold")
    text.append(printable(info.checklist_path))
    if info.version:
        text.append(f"  version {printable(info.version)}")
    if info.tag:
        text.append(f"  tag {printable(info.tag)}")
    if info.commit:
        text.append(f"  {printable(info.commit[:9])}", style="dim")
    if info.branch:
        text.append(f" on {printable(info.branch)}", style="dim")
    if info.dry_run:
        text.append("  (dry run)", style="yellow")
    return text


def summary_table(results: Iterable[StepResult], *, unicode: bool = True) -> Table:
    """Step, status, duration, summary: one row per step."""
    table = Table(show_edge=False, pad_edge=False, expand=False, header_style="bold")
    table.add_column("step", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("duration", justify="right", no_wrap=True)
    table.add_column("summary", overflow="fold")
    for r in results:
        duration = "-" if r.status is Status.SKIPPED else format_duration(r.duration)
        table.add_row(
            Text(printable(r.step_id)),
            status_text(r, unicode=unicode),
            duration,
            Text(printable(r.summary)),
        )
    return table


def failure_details(results: Iterable[StepResult]) -> list[RenderableType]:
    """Owner, expected result, rollback note and output tail of every failed step."""
    out: list[RenderableType] = []
    for r in results:
        if not r.status.failed_itself:
            continue
        first, *rest = failure_lines(r)
        out.append(Text(first, style="yellow" if r.optional else "bold red"))
        for line in rest:
            out.append(Text(line, style="dim" if line.lstrip().startswith("|") else ""))
    return out


def outcome_line(run: RunResult) -> Text:
    return Text(result_line(run), style=OUTCOME_STYLE[run.outcome])


def render_run(
    run: RunResult, record_path: str | None, *, unicode: bool = True, quiet: bool = False
) -> Group:
    """The summary printed after a live run, and by `relcheck show`."""
    parts: list[RenderableType] = [Text(""), summary_table(run.steps, unicode=unicode)]
    details = failure_details(run.steps)
    if details:
        parts.extend([Text(""), *details])
    from relcheck.evidence.stage import end_lines

    changes = end_lines(run.baseline) if not quiet else []
    if changes:
        parts.extend([Text(""), *(Text(line, style="cyan") for line in changes)])
    parts.extend([Text(""), outcome_line(run)])
    if record_path and not quiet:
        parts.append(Text(f"record: {printable(record_path)}", style="dim"))
    return Group(*parts)


def local_time(epoch: float) -> str:
    """``2026-11-26 10:15`` in the viewer's time zone."""
    return dt.datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M")
