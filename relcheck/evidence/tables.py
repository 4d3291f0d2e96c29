"""A comparison of two runs for people: aligned text, or Markdown."""

from __future__ import annotations

from relcheck.evidence import facts
from relcheck.evidence.compare import Comparison, Delta


def _value(delta: Delta, which: float | None) -> str:
    return "-" if which is None else facts.show(delta.metric, which)


def _by(delta: Delta) -> str:
    if delta.change is None or delta.change == 0:
        return ""
    if delta.percent is not None and facts.unit(delta.metric) in ("ms", "s"):
        return f"{delta.percent:+.0f}%"
    return f"{delta.change:+g}"


def text(comparison: Comparison) -> str:
    """Every step and metric side by side, for a terminal."""
    rows = [("step", "metric", comparison.before, comparison.after, "change", "")]
    for s in comparison.steps:
        status_mark = "changed" if s.status_changed else ""
        rows.append(
            (s.step, "status", s.status_before or "-", s.status_after or "-", "", status_mark)
        )
        for d in s.deltas:
            mark = "" if d.verdict == "same" else d.verdict
            rows.append(("", d.metric, _value(d, d.before), _value(d, d.after), _by(d), mark))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [
        f"{comparison.before} (run {comparison.before_run}) -> "
        f"{comparison.after} (run {comparison.after_run})"
    ]
    if comparison.note:
        lines.append(f"note: {comparison.note}")
    lines.append("")
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row[:5], widths, strict=True)]
        lines.append(("  ".join(cells) + "  " + row[5]).rstrip())
    notable = comparison.notable()
    lines.append("")
    lines.append("notable: " + ("; ".join(notable) if notable else "nothing changed"))
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(comparison: Comparison, *, heading: str = "##") -> str:
    """A Markdown section: notable changes, then a table of every step and metric."""
    out = [f"{heading} Compared with {_cell(comparison.before)}", ""]
    out.append(
        f"`{_cell(comparison.before)}` (run `{comparison.before_run}`) -> "
        f"`{_cell(comparison.after)}` (run `{comparison.after_run}`)."
    )
    if comparison.note:
        out += ["", f"> {_cell(comparison.note)}"]
    notable = comparison.notable()
    out.append("")
    if notable:
        out += [f"- {_cell(line)}" for line in notable]
    else:
        out.append("Nothing notable changed.")
    out += [
        "",
        f"| step | metric | {_cell(comparison.before)} | {_cell(comparison.after)} | change | |",
        "|---|---|---:|---:|---:|---|",
    ]
    for s in comparison.steps:
        mark = "**changed**" if s.status_changed else ""
        out.append(
            f"| {_cell(s.step)} | status | {s.status_before or '-'} | {s.status_after or '-'} "
            f"| | {mark} |"
        )
        for d in s.deltas:
            mark = "" if d.verdict == "same" else d.verdict
            out.append(
                f"| | {_cell(d.metric)} | {_value(d, d.before)} | {_value(d, d.after)} "
                f"| {_by(d)} | {mark} |"
            )
    return "\n".join(out) + "\n"
