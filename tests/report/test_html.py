"""`relcheck report`: one self-contained HTML file, every recorded value escaped."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import assert_no_traceback, commit_all, latest_record, run_relcheck, write
from tests.report.html_project import CHECKLIST, make_history


def test_report_is_one_file_with_no_external_asset_and_escaped_output(git_repo: Path) -> None:
    make_history(git_repo)
    proc = run_relcheck("report", "-o", "report.html", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert_no_traceback(proc)
    page = (git_repo / "report.html").read_text()
    # Nothing the page would fetch: no http(s) in any src or href, and a policy that
    # refuses every fetch anyway.
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "default-src 'none'" in page
    # The step's output is shown, as text.
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in page
    assert '<img src="https://example.invalid' not in page
    assert page.count("<script>") == 1  # relcheck's own, inline
    run_id = latest_record(git_repo)["run_id"]
    assert f"relcheck run {run_id}" in page
    assert 'data-step="smoke" data-status="failed"' in page
    assert "v1.1.0 (run " in page  # the comparison with the previous release
    assert "smoke: passed -&gt; failed" in page
    assert 'class="trend" data-step="unit"' in page


def test_run_html_writes_the_report_after_the_run(git_repo: Path) -> None:

    write(git_repo / "relcheck.yaml", CHECKLIST)
    (git_repo / "tests").mkdir()
    (git_repo / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    commit_all(git_repo, "checklist")
    out = git_repo.parent / "out" / "run.html"
    proc = run_relcheck("run", "--dry-run", "--no-progress", "--html", str(out), cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"report: {out}" in proc.stderr
    page = out.read_text()
    assert "no previous release to compare with (first release)" in page
    assert 'data-step="lint"' in page


def test_run_html_to_a_folder_is_refused_before_any_step_runs(git_repo: Path) -> None:
    write(git_repo / "relcheck.yaml", "version: 1\nsteps:\n  - id: a\n    run: 'true'\n")
    commit_all(git_repo, "checklist")
    (git_repo.parent / "out").mkdir()
    proc = run_relcheck("run", "--dry-run", "--html", str(git_repo.parent / "out"), cwd=git_repo)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    assert "--html needs a file path, like report.html" in proc.stderr
    assert not (git_repo / ".relcheck" / "runs").exists()


def test_short_steps_in_a_row_get_lanes_of_their_own_when_their_ids_would_overlap() -> None:
    from relcheck.models import Status, StepResult
    from relcheck.report.html import lanes

    def step(step_id: str, start: float, duration: float) -> StepResult:
        return StepResult(Status.PASSED, "", step_id=step_id, started_at=start, duration=duration)

    # 0.1 s bars on a 10 s axis: too short for their ids, which are written beside them.
    short = [step("repo", 0.0, 0.1), step("lint", 0.1, 0.1), step("unit", 5.0, 4.0)]
    lane_of = lanes(short, label_span=0.05)
    assert lane_of["repo"] != lane_of["lint"]
    assert lane_of["unit"] == lane_of["repo"]  # long after the label ended: the lane is free
    # Without labels to make room for, the steps one after another share a lane.
    assert len(set(lanes(short).values())) == 1
