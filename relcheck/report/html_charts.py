"""The HTML report's comparison table and trend charts (inline SVG)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from relcheck.evidence import facts
from relcheck.models import RunResult

_W, _H, _PAD = 300, 130, 28
# The one number drawn beside the duration, when the step measured it.
_MAIN = ("tests", "coverage", "p95", "findings", "drifted")


def comparison(data: Mapping[str, Any] | None) -> str:
    """Notable changes, then every step's numbers before and after."""
    if not data or "before" not in data:
        note = (data or {}).get("note", "no previous release to compare with")
        return f'<p id="comparison">{escape(str(note))}</p>'
    head = (
        f'<div id="comparison"><p>{escape(str(data["before"]))} (run '
        f"{escape(str(data.get('before_run', '')))}) &rarr; {escape(str(data.get('after', '')))}"
        "</p>"
    )
    if data.get("note"):
        head += f"<p><i>{escape(str(data['note']))}</i></p>"
    notable = data.get("notable") or []
    items = "".join(f"<li>{escape(str(line))}</li>" for line in notable)
    head += f"<ul>{items}</ul>" if items else "<p>Nothing notable changed.</p>"
    rows = []
    for step in data.get("steps", ()):
        before, after = step.get("status_before", "-"), step.get("status_after", "-")
        cls = ' class="regressed"' if before != after else ""
        rows.append(
            f"<tr{cls}><td>{escape(str(step['id']))}</td><td>status</td>"
            f"<td>{escape(str(before))}</td><td>{escape(str(after))}</td><td></td></tr>"
        )
        for m in step.get("metrics", ()):
            verdict = escape(str(m.get("verdict", "")))
            name = str(m["metric"])
            cells = [
                "-" if m.get(k) is None else escape(facts.show(name, float(m[k])))
                for k in ("before", "after")
            ]
            change = m.get("percent") if facts.unit(name) in ("ms", "s") else m.get("change")
            shown = (
                ""
                if change in (None, 0)
                else f"{change:+g}" + ("%" if facts.unit(name) in ("ms", "s") else "")
            )
            rows.append(
                f'<tr class="{verdict}"><td></td><td>{escape(name)}</td>'
                f'<td class="num">{cells[0]}</td><td class="num">{cells[1]}</td>'
                f'<td class="num">{escape(shown)}</td></tr>'
            )
    table = (
        "<table><tr><th>step</th><th>metric</th><th>before</th><th>after</th>"
        f"<th>change</th></tr>{''.join(rows)}</table>"
    )
    return head + table + "</div>"


def _chart(title: str, points: Sequence[tuple[str, float]], name: str) -> str:
    top = max(v for _label, v in points) or 1.0
    plot_w, plot_h = _W - 2 * _PAD, _H - 2 * _PAD
    step = plot_w / max(1, len(points) - 1)
    xy = [
        (_PAD + step * n if len(points) > 1 else _W / 2, _H - _PAD - plot_h * v / top)
        for n, (_label, v) in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#0969da">'
        f"<title>{escape(label)}: {escape(facts.show(name, v))}</title></circle>"
        for (x, y), (label, v) in zip(xy, points, strict=True)
    )
    labels = "".join(
        f'<text x="{x:.1f}" y="{_H - 8}" text-anchor="middle">{escape(label[:12])}</text>'
        for n, ((x, _y), (label, _v)) in enumerate(zip(xy, points, strict=True))
        if n in (0, len(points) - 1)
    )
    return (
        f'<svg class="chart" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}">'
        f'<text x="{_PAD}" y="16">{escape(title)} (max {escape(facts.show(name, top))})</text>'
        f'<line class="axis" x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}"/>'
        f'<polyline fill="none" stroke="#0969da" stroke-width="2" points="{line}"/>'
        f"{dots}{labels}</svg>"
    )


def trends(runs: Sequence[RunResult], current: RunResult) -> str:
    """For each step of ``current``: its duration, and its main number, across ``runs``
    (oldest first, ``current`` last)."""
    blocks = []
    for result in current.steps:
        series: dict[str, list[tuple[str, float]]] = {}
        for run in runs:
            r = run.result(result.step_id)
            if r is None:
                continue
            label = run.info.tag or run.info.run_id[:15]
            numbers = facts.measured(r)
            for name in (facts.DURATION, *_MAIN):
                if name in numbers:
                    series.setdefault(name, []).append((label, numbers[name]))
        charts = [
            _chart(f"{result.step_id} {name}", points, name)
            for name, points in series.items()
            if points
        ][:2]
        if charts:
            blocks.append(
                f'<div class="trend" data-step="{escape(result.step_id)}">{"".join(charts)}</div>'
            )
    if not blocks:
        return "<p>No earlier release recorded on this machine.</p>"
    return f'<div class="charts">{"".join(blocks)}</div>'
