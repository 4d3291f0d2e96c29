"""`relcheck compare`, `relcheck notes` and `relcheck history --step` on real releases."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.evidence.conftest import Project
from tests.helpers import assert_no_traceback, git, latest_record, run_relcheck


def _second_release(project: Project, tests: int = 6) -> None:
    project.tests(tests)
    write_file = project.repo / "src" / "demo.py"
    write_file.parent.mkdir(exist_ok=True)
    write_file.write_text("VALUE = 2\n")
    proc = project.release()
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_compare_two_tags_as_json(project: Project) -> None:
    _second_release(project)
    proc = run_relcheck("compare", "v1.0.0", "v1.1.0", "--format", "json", cwd=project.repo)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["before"], data["after"], data["source"]) == ("v1.0.0", "v1.1.0", "record")
    unit = next(s for s in data["steps"] if s["id"] == "unit")
    assert (unit["status_before"], unit["status_after"]) == ("passed", "passed")
    tests = next(m for m in unit["metrics"] if m["metric"] == "tests")
    assert tests == {
        "metric": "tests",
        "before": 4,
        "after": 6,
        "change": 2,
        "percent": 50.0,
        "verdict": "improved",
    }
    health = next(s for s in data["steps"] if s["id"] == "health")
    assert {m["metric"] for m in health["metrics"]} >= {"duration", "p50", "p95"}
    assert "unit: 4 -> 6 tests (+2)" in data["notable"]


def test_compare_run_ids_as_markdown(project: Project) -> None:
    first = latest_record(project.repo)["run_id"]
    _second_release(project, tests=3)
    second = latest_record(project.repo)["run_id"]
    proc = run_relcheck("compare", first, second, "--format", "markdown", cwd=project.repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("## Compared with v1.0.0\n")
    assert "- unit: 4 -> 3 tests (-1)\n" in proc.stdout
    assert "| | tests | 4 | 3 | -1 | regressed |" in proc.stdout
    assert "| health | status | passed | passed |" in proc.stdout


def test_compare_names_an_unknown_ref_without_a_traceback(project: Project) -> None:
    proc = run_relcheck("compare", "v1.0.0", "v9.9.9", cwd=project.repo)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    assert "no run matching 'v9.9.9'" in proc.stderr


def test_notes_have_the_changelog_commits_files_command_checks_and_changes(
    project: Project,
) -> None:
    _second_release(project)
    proc = run_relcheck("notes", cwd=project.repo)  # the latest release: v1.1.0
    assert proc.returncode == 0, proc.stderr
    notes = proc.stdout
    assert notes.startswith("# Release v1.1.0\n")
    assert "## Changelog (CHANGELOG.md)\n\n### Changed\n- Second release.\n" in notes
    assert "First release." not in notes  # only this version's section
    assert "## Changes since v1.0.0" in notes
    subject = git(project.repo, "log", "-1", "--format=%h %s", "v1.1.0")
    sha, _, message = subject.partition(" ")
    assert f"- `{sha}` {message}" in notes
    assert "- A `src/demo.py`" in notes
    assert "- M `pyproject.toml`" in notes
    assert "relcheck run --no-progress" in notes  # the command that made the release
    assert "| unit | passed |" in notes
    assert "## Compared with v1.0.0" in notes
    assert "- unit: 4 -> 6 tests (+2)" in notes.split("Regressed:")[0]
    # The release wrote the same notes beside its record.
    record = latest_record(project.repo)
    beside = project.repo / ".relcheck" / "runs" / f"{record['run_id']}.md"
    assert beside.read_text().startswith("# Release v1.1.0\n")


def test_notes_go_to_the_github_step_summary(project: Project, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    project.tests(4)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    proc = project.release("--ci", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = summary.read_text()
    assert "# Release v1.1.0" in text
    assert "- Second release." in text


def test_notes_for_a_tag_whose_record_is_gone_say_so(project: Project) -> None:
    _second_release(project)
    runs = project.repo / ".relcheck" / "runs"
    for path in runs.glob("*.toml"):
        os.unlink(path)
    proc = run_relcheck("notes", "v1.1.0", "-o", "notes.md", cwd=project.repo)
    assert proc.returncode == 0, proc.stderr
    notes = (project.repo / "notes.md").read_text()
    assert "is not on this machine" in notes
    assert "| unit | passed |" in notes  # from the tag's trailers
    report = run_relcheck("report", "v1.1.0", "-o", "report.html", cwd=project.repo)
    assert report.returncode == 0, report.stderr
    page = (project.repo / "report.html").read_text()
    assert "is not on this machine: its tag&#x27;s trailers stand in" in page
    assert 'id="step-unit"' in page


def test_history_step_shows_metrics_across_releases(project: Project) -> None:
    _second_release(project)
    proc = run_relcheck(
        "history", "--step", "unit", "--releases", cwd=project.repo, env={"COLUMNS": "200"}
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "v1." in line]
    assert len(lines) == 2, proc.stdout
    assert "v1.1.0" in lines[0] and "tests 6" in lines[0]
    assert "v1.0.0" in lines[1] and "tests 4" in lines[1]


def test_the_checklist_can_put_the_notes_in_the_tags_message(project: Project) -> None:
    text = (project.repo / "relcheck.yaml").read_text()
    (project.repo / "relcheck.yaml").write_text(
        text.replace("uses: git-tag", "uses: git-tag\n    with: {notes: true}")
    )
    # A changelog line that looks like a trailer must not become one.
    changelog = project.repo / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace(
            "- Second release.", "- Second release.\nRelcheck-Step: evil passed required 0.1 x"
        )
    )
    _second_release(project)
    message = git(project.repo, "tag", "-l", "--format=%(contents)", "v1.1.0")
    assert "## Changelog (CHANGELOG.md)" in message
    assert "## Changes since v1.0.0" in message
    assert "- A `src/demo.py`" in message
    assert "\\Relcheck-Step: evil" in message
    assert message.rstrip().splitlines()[-1].startswith("Relcheck-Step: ")  # trailers last
    verified = run_relcheck("verify", "v1.1.0", cwd=project.repo)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "evil" not in verified.stdout


def test_a_release_refused_on_this_branch_writes_no_release_notes(
    project: Project, tmp_path: Path
) -> None:
    # The checks pass on a feature branch, where the tag step is not run: nothing was
    # released, so neither the record folder nor CI's job summary may say "Released".
    git(project.repo, "checkout", "-q", "-b", "feature")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    proc = project.release("--ci", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the release would be refused: branch" in proc.stdout
    record = latest_record(project.repo)
    assert record["outcome"] == "passed"
    assert not (project.repo / ".relcheck" / "runs" / f"{record['run_id']}.md").exists()
    assert "Release v1.1.0" not in (summary.read_text() if summary.exists() else "")
    assert record["release_steps"] == ["tag"]
    # Nor is the run one of the releases in the history.
    history = run_relcheck("history", "--releases", "--color", "never", cwd=project.repo)
    assert history.returncode == 0, history.stderr
    assert record["run_id"] not in history.stdout
    assert " 1.0.0 " in history.stdout  # the release v1.0.0 is
