"""Hostile records against the HTML report: whatever a step printed or a record says,
the page keeps one script (relcheck's own), loads nothing, and shows each value as text."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from relcheck.evidence.baseline import RECORD, Baseline
from relcheck.evidence.compare import compare
from relcheck.models import Outcome, RunInfo, RunResult, Status, StepResult
from relcheck.report.html import render
from tests.reliability.support import FIGURES

# Text that tries every way out of an HTML text node or attribute.
HOSTILE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "</pre></details><script src=https://example.invalid/x.js></script>",
            "<a href='https://example.invalid'>x</a>",
            "' onmouseover='alert(1)",
            "<style>body{background:url(https://example.invalid/x)}</style>",
            "<!-- --><svg onload=alert(1)>",
            "&lt;already escaped&gt; & more",
        ]
    ),
)
STEP_IDS = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)
ALLOWED = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "div", "p", "span", "b",
    "i", "code", "svg", "line", "text", "rect", "polyline", "circle", "details", "summary",
    "ul", "li", "pre", "table", "tr", "th", "td", "script",
}  # fmt: skip


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _result(step_id: str, texts: list[str], status: Status, start: float) -> StepResult:
    summary, detail, tail, owner, expect, rollback = texts
    return StepResult(
        status=status,
        summary=summary,
        details=(detail,),
        output_tail=tail,
        step_id=step_id,
        runner="command",
        started_at=start,
        duration=0.5,
        owner=owner,
        expect=expect,
        rollback=rollback,
        metrics={"tests": 3, "latency_p95_ms": 12.5},
    )


def _run(run_id: str, tag: str, steps: tuple[StepResult, ...], message: str) -> RunResult:
    info = RunInfo(run_id, "/repo", "relcheck.yaml", "0" * 64, "abc", "main", "1.0", tag, "0")
    info = dataclasses.replace(info, command=f"relcheck run --version {message}")
    return RunResult(info, Outcome.FAILED, 1000.0, 1002.0, steps, message)


@settings(max_examples=150, deadline=None, database=None)
@given(
    ids=st.lists(STEP_IDS, min_size=1, max_size=4, unique=True),
    texts=st.lists(HOSTILE, min_size=6, max_size=6),
    tag=HOSTILE,
    message=HOSTILE,
    status=st.sampled_from(list(Status)),
)
def test_no_record_value_escapes_into_the_page(
    ids: list[str], texts: list[str], tag: str, message: str, status: Status
) -> None:
    steps = tuple(_result(i, texts, status, 1000.0 + n * 0.1) for n, i in enumerate(ids))
    before = _run("20261101T000000Z-0001", tag, steps, message)
    after = _run("20261102T000000Z-0002", tag + "x", steps, message)
    data = compare(Baseline(before, RECORD, tag), after).as_dict()
    page = render(after, data, [before])
    parser = _Page()
    parser.feed(page)
    scripts = [t for t, _a in parser.tags if t == "script"]
    strangers = {t for t, _a in parser.tags} - ALLOWED
    links = [a for _t, attrs in parser.tags for a in attrs if a in ("src", "href", "action")]
    handlers = [a for _t, attrs in parser.tags for a in attrs if a.startswith("on")]
    shown = "".join(parser.text)
    missing = [t for t in (*texts[:2], message) if t.strip() and t.strip() not in shown]
    FIGURES.add("html report: scenarios")
    failed = len(scripts) != 1 or strangers or links or handlers or missing
    FIGURES.add("html report: failures", int(bool(failed)))
    assert len(scripts) == 1
    assert not strangers
    assert not links
    assert not handlers
    assert not missing  # shown, as text
