"""One self-contained HTML file for a run: a timeline, each step's details, the
comparison with the previous release and each step's trend across releases.

Inline CSS, JS and SVG only; a Content-Security-Policy forbids every fetch, so the page
works offline and a value from a record (step output is untrusted) can neither load
anything nor run script: every value goes through ``escape``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from relcheck.models import RunResult, StepResult
from relcheck.report import html_charts

COLOURS = {
    "passed": "#2da44e",
    "cached": "#7fc58f",
    "failed": "#cf222e",
    "error": "#8250df",
    "timed_out": "#d4770c",
    "interrupted": "#d4770c",
    "skipped": "#9aa3ad",
}
WIDTH, LEFT, RIGHT, LANE, TOP = 960, 24, 24, 26, 24
_CHAR = 7.2  # px per character of a 12px label, to place it beside a short bar

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.facts{color:#59636e}.badge{padding:2px 8px;border-radius:10px;color:#fff;font-weight:600}
svg text{font:12px system-ui,sans-serif;fill:#1f2328}.bar{cursor:pointer}
.label{pointer-events:none}
.bar:hover{stroke:#1f2328;stroke-width:1.5}.axis{stroke:#d0d7de}
details{border:1px solid #d0d7de;border-radius:6px;margin:6px 0;padding:6px 10px}
details[open]{background:#f6f8fa}summary{cursor:pointer}
pre{background:#1f2328;color:#e6edf3;padding:8px;overflow:auto;max-height:320px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #d0d7de;padding:3px 10px;
text-align:left}td.num{text-align:right}.improved{color:#1a7f37}.regressed{color:#cf222e}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #d0d7de;padding:6px}
"""

_JS = """
document.querySelectorAll('.bar').forEach(function (bar) {
  bar.addEventListener('click', function () {
    var d = document.getElementById('step-' + bar.getAttribute('data-step'));
    if (d) { d.open = true; d.scrollIntoView({block: 'nearest'}); }
  });
});
"""


def colour(status: str) -> str:
    return COLOURS.get(status, "#59636e")


def lanes(steps: Sequence[StepResult], label_span: float = 0.0) -> dict[str, int]:
    """A lane per step so that steps running at once sit one above the other.

    ``label_span`` is the time one label character covers on the axis: a bar too short
    for its id has the id beside it, and the lane stays taken until the label ends, so
    two short steps in a row do not write their ids over each other."""
    ends: list[float] = []
    out: dict[str, int] = {}
    for r in sorted(steps, key=lambda r: (r.started_at, r.step_id)):
        label = label_span * (len(r.step_id) + 2)
        taken = r.ended_at if r.duration >= label else r.ended_at + label
        for lane, end in enumerate(ends):
            if end <= r.started_at + 1e-6:
                ends[lane] = taken
                out[r.step_id] = lane
                break
        else:
            out[r.step_id] = len(ends)
            ends.append(taken)
    return out


def timeline(run: RunResult) -> str:
    """An SVG with a bar per step on the run's time axis."""
    steps = [r for r in run.steps if r.started_at > 0]
    if not steps:
        return "<p>No step times recorded.</p>"
    start = min([run.started_at, *(r.started_at for r in steps)])
    total = max([run.ended_at, *(r.ended_at for r in steps)]) - start or 1.0
    plot = WIDTH - LEFT - RIGHT
    lane_of = lanes(steps, label_span=_CHAR * total / plot)
    height = TOP + LANE * (max(lane_of.values()) + 1) + 8
    parts = [
        f'<svg id="timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}"'
        f' data-total="{total:.6f}" data-left="{LEFT}" data-plot="{plot}"'
        ' role="img" aria-label="timeline of the run">'
    ]
    for i in range(6):
        x = LEFT + plot * i / 5
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{height}"/>')
        parts.append(f'<text x="{x:.1f}" y="11" text-anchor="middle">{total * i / 5:.2f}s</text>')
    for r in steps:
        offset = r.started_at - start
        x = LEFT + plot * offset / total
        w = max(2.0, plot * r.duration / total)
        y = TOP + LANE * lane_of[r.step_id]
        status = escape(str(r.status))
        sid = escape(r.step_id)
        parts.append(
            f'<rect class="bar status-{status}" data-step="{sid}" data-status="{status}"'
            f' data-start="{offset:.6f}" data-duration="{r.duration:.6f}" x="{x:.2f}"'
            f' y="{y}" width="{w:.2f}" height="{LANE - 6}" rx="3" fill="{colour(str(r.status))}">'
            f"<title>{sid}: {status}, {r.duration:.2f}s</title></rect>"
        )
        parts.append(_label(r.step_id, x, w, y))
    parts.append("</svg>")
    return "".join(parts)


def _label(step_id: str, x: float, w: float, y: int) -> str:
    """The step's id inside its bar when it fits, else beside it (right, or left at the
    end of the axis)."""
    need = _CHAR * len(step_id) + 8
    if w >= need:
        at, anchor, fill = x + 4, "start", ' style="fill:#fff"'
    elif x + w + need <= WIDTH:
        at, anchor, fill = x + w + 4, "start", ""
    else:
        at, anchor, fill = x - 4, "end", ""
    return (
        f'<text class="label" x="{at:.1f}" y="{y + 15}" text-anchor="{anchor}"{fill}>'
        f"{escape(step_id)}</text>"
    )


def step_details(r: StepResult, root: str = "") -> str:
    """A collapsible block: status and summary; owner, expectation, rollback, tail."""
    sid = escape(r.step_id)
    log = r.log_path
    if log and root and os.path.isabs(log) and log.startswith(root.rstrip(os.sep) + os.sep):
        log = os.path.relpath(log, root)  # the page is read beside the repository
    rows = [
        (label, value)
        for label, value in (
            ("owner", r.owner),
            ("expected", r.expect),
            ("rollback", r.rollback),
            ("runner", r.runner),
            ("exit code", None if r.exit_code is None else str(r.exit_code)),
            ("skipped because", r.reason),
            ("log", log),
        )
        if value
    ]
    body = "".join(
        f'<div class="{escape(label.replace(" ", "-"))}"><b>{escape(label)}:</b> '
        f"{escape(str(value))}</div>"
        for label, value in rows
    )
    if r.details:
        body += "<ul>" + "".join(f"<li>{escape(d)}</li>" for d in r.details[:40]) + "</ul>"
    if r.output_tail.strip():
        body += f'<pre class="tail">{escape(r.output_tail)}</pre>'
    return (
        f'<details id="step-{sid}" class="step status-{escape(str(r.status))}">'
        f'<summary><span class="badge" style="background:{colour(str(r.status))}">'
        f"{escape(str(r.status))}</span> <b>{sid}</b> {r.duration:.2f}s: "
        f"{escape(r.summary)}</summary>{body}</details>"
    )


def _fact(label: str, value: Any) -> str:
    return f"{escape(label)} <b>{escape(str(value))}</b>" if value not in (None, "") else ""


def render(
    run: RunResult,
    comparison: Mapping[str, Any] | None,
    trend: Sequence[RunResult] = (),
    note: str | None = None,
) -> str:
    """The whole page."""
    i = run.info
    when = dt.datetime.fromtimestamp(run.started_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    facts = " · ".join(
        f
        for f in (
            _fact("tag", i.tag),
            _fact("version", i.version),
            _fact("commit", (i.commit or "")[:12]),
            _fact("branch", i.branch),
            _fact("started", when),
            _fact("took", f"{run.duration:.2f}s"),
            _fact("relcheck", i.relcheck_version),
        )
        if f
    )
    title = f"relcheck run {i.run_id}"
    outcome = escape(str(run.outcome))
    page = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f'<h1>{escape(title)} <span class="badge" id="outcome" style="background:'
        f'{colour("passed" if outcome == "passed" else "failed")}">{outcome}</span></h1>',
        f'<div class="facts">{facts}</div>',
    ]
    if run.message:
        page.append(f'<p class="message">{escape(run.message)}</p>')
    if note:
        page.append(f'<p class="note"><i>{escape(note)}</i></p>')
    if i.command:
        page.append(f"<p>Command: <code>{escape(i.command)}</code></p>")
    page += ["<h2>Timeline</h2>", timeline(run), "<h2>Steps</h2>"]
    page += [step_details(r, i.root) for r in run.steps]
    page += ["<h2>Compared with the previous release</h2>", html_charts.comparison(comparison)]
    page += ["<h2>Trends across releases</h2>", html_charts.trends([*trend, run], run)]
    page += [f"<script>{_JS}</script>", "</body></html>"]
    return "\n".join(page) + "\n"
