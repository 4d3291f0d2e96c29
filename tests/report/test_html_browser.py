"""The HTML report in a real headless browser (the system's Chromium, driven by
Playwright): bars where the run's times put them, a failed step's details opening on a
click, no network request, and the screenshot docs/how-to/history.md shows."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import latest_record, run_relcheck
from tests.report.html_project import make_history

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "images" / "report.png"
# Set to refresh docs/images/report.png from this test's run.
UPDATE = "UPDATE_DOCS_SCREENSHOT"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


BROWSER = _chromium()
needs_browser = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium on PATH: install the system package (apt-get install chromium; "
    ".ci/run does)",
)


def _expected_bars(record: dict[str, Any]) -> tuple[float, dict[str, tuple[float, float]]]:
    """The time axis (seconds) and each step's (start offset, duration), from the record."""
    import datetime as dt

    def epoch(text: str) -> float:
        return dt.datetime.fromisoformat(text).timestamp()

    steps = [s for s in record["steps"] if epoch(s["started_at"]) > 0]
    start = min([epoch(record["started_at"]), *(epoch(s["started_at"]) for s in steps)])
    end = max([epoch(record["ended_at"]), *(epoch(s["ended_at"]) for s in steps)])
    return end - start, {s["id"]: (epoch(s["started_at"]) - start, s["duration"]) for s in steps}


@needs_browser
def test_the_report_in_a_browser_puts_bars_at_the_runs_times(
    git_repo: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    make_history(git_repo)
    record = latest_record(git_repo)
    page_path = tmp_path / "report.html"
    proc = run_relcheck("report", "-o", str(page_path), cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    total, expected = _expected_bars(record)
    requested: list[str] = []
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root otherwise
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=BROWSER, args=args)
        try:
            context = browser.new_context(viewport={"width": 1040, "height": 900})

            def block(route: Any) -> None:
                if not route.request.url.startswith("file://"):
                    requested.append(route.request.url)
                    route.abort()
                else:
                    route.continue_()

            context.route("**/*", block)
            page = context.new_page()
            page.goto(page_path.as_uri())
            svg = page.locator("#timeline")
            box = svg.bounding_box()
            assert box is not None
            scale = box["width"] / float(svg.get_attribute("width") or 1)
            left = float(svg.get_attribute("data-left") or 0) * scale
            plot = float(svg.get_attribute("data-plot") or 0) * scale
            bars = {}
            for step_id, (offset, duration) in expected.items():
                bar = page.locator(f'rect.bar[data-step="{step_id}"]').bounding_box()
                assert bar is not None, step_id
                bars[step_id] = bar
                assert bar["x"] == pytest.approx(box["x"] + left + plot * offset / total, abs=1.5)
                width = max(2.0 * scale, plot * duration / total)
                assert bar["width"] == pytest.approx(width, abs=1.5)
            # lint and unit ran at once: one above the other. smoke needed lint: after it.
            assert bars["lint"]["y"] != bars["unit"]["y"]
            assert bars["smoke"]["x"] >= bars["lint"]["x"] + bars["lint"]["width"] - 1.5
            colour = page.locator('rect.bar[data-step="smoke"]').get_attribute("fill")
            assert colour == "#cf222e"

            details = page.locator("#step-smoke")
            assert details.get_attribute("open") is None
            assert not page.locator("#step-smoke .owner").is_visible()
            page.locator('rect.bar[data-step="smoke"]').click()
            assert details.get_attribute("open") is not None
            assert page.locator("#step-smoke .owner").inner_text() == "owner: web-team"
            assert page.locator("#step-smoke .expected").is_visible()
            assert page.locator("#step-smoke .rollback").is_visible()
            tail = page.locator("#step-smoke pre.tail").inner_text()
            assert '<script>alert("owned")</script>' in tail  # shown as text, not run
            assert page.evaluate("typeof window.owned") == "undefined"

            assert "smoke: passed -> failed" in page.locator("#comparison").inner_text()
            assert page.locator('.trend[data-step="unit"] svg').count() == 2
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert requested == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get(UPDATE):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


def test_the_committed_screenshot_is_a_png() -> None:
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", (
        f"regenerate it: {UPDATE}=1 pytest tests/report/test_html_browser.py"
    )
    assert tomllib  # the record format the bars are checked against
