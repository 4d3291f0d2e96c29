"""GitHub Actions output: annotations, log groups and the step summary, from real runs
with GITHUB_ACTIONS=true and GITHUB_STEP_SUMMARY set to a temporary file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from relcheck.models import Outcome, RunInfo, RunResult, Status, StepResult
from relcheck.report.github import command, escape_data, escape_property, step_summary
from tests.helpers import run_relcheck
from tests.report.conftest import MIXED, SECRET


@pytest.fixture
def on_github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """GitHub's variables set; returns the step summary file (with earlier content)."""
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier content\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_annotations_point_at_files_and_lines_when_the_runner_knows_them(
    mixed: Path,
    checklist,
    cli_invoke,
    on_github: Path,
    findings_runner: str,  # type: ignore[no-untyped-def]
) -> None:
    checklist(MIXED + "  - id: lint\n    uses: findings\n")
    result = cli_invoke("run", "--dry-run", cwd=mixed)
    assert result.exit_code == 1
    lines = _lines(result.stdout)
    assert (
        "::error file=pkg/mod.py,line=3,col=5,title=relcheck%3A lint failed::"
        "E501 line too long (token ***)"
    ) in lines
    assert (
        "::warning file=pkg/mod.py,line=7,col=1,title=relcheck%3A lint failed::"
        "W291 trailing whitespace"
    ) in lines
    assert SECRET not in result.output


def test_a_failed_step_without_findings_gets_one_annotation_and_optional_ones_warn(
    mixed: Path,
    cli_invoke,
    on_github: Path,  # type: ignore[no-untyped-def]
) -> None:
    result = cli_invoke("run", "--dry-run", cwd=mixed)
    lines = _lines(result.stdout)
    annotations = [line for line in lines if re.match(r"::(error|warning|notice)", line)]
    assert (
        "::error title=relcheck%3A bad failed::exit 3 (expected 0)%0Aowner: qa-team"
        "%0Aexpected: exit code 0"
    ) in annotations
    assert any(a.startswith("::error title=relcheck%3A broken error::") for a in annotations)
    assert any(a.startswith("::error title=relcheck%3A slow timed out::") for a in annotations)
    assert "::warning title=relcheck%3A maybe failed::exit 1 (expected 0)" in annotations
    assert len(annotations) == 4  # passed and skipped steps are not annotated


def test_each_step_s_output_is_in_a_log_group_that_cannot_issue_commands(
    git_repo: Path,
    checklist,
    cli_invoke,
    on_github: Path,  # type: ignore[no-untyped-def]
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: chatty
            run: 'echo hello; echo "::warning::injected"; echo "::add-mask::x"'
          - id: quiet
            run: "true"
        """
    )
    result = cli_invoke("run", "--dry-run", cwd=git_repo)
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    start = lines.index("::group::chatty: passed")
    token_line = lines[start + 1]
    assert token_line.startswith("::stop-commands::")
    token = token_line.removeprefix("::stop-commands::")
    end = lines.index(f"::{token}::")
    inside = lines[start + 2 : end]
    assert "hello" in inside
    assert "::warning::injected" in inside  # shown, but GitHub is not listening then
    assert lines[end + 1] == "::endgroup::"
    assert "::group::quiet: passed" in lines
    outside = lines[:start] + lines[end:]
    assert not any("injected" in line for line in outside)


def test_step_summary_gets_a_markdown_table_appended(
    mixed: Path,
    cli_invoke,
    on_github: Path,  # type: ignore[no-untyped-def]
) -> None:
    cli_invoke("run", "--dry-run", cwd=mixed)
    text = on_github.read_text()
    assert text.startswith("earlier content\n")
    assert "### relcheck: FAILED" in text
    assert "| Step | Status | Duration | Summary |" in text
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| Step") and "---" not in line
    }
    assert rows == {
        "ok": "✅ passed",
        "bad": "❌ failed",
        "after": "⏭️ skipped",
        "broken": "❌ error",
        "slow": "❌ timed out",
        "maybe": "❌ failed (optional)",
    }
    assert "> required step 'bad' failed" in text
    assert SECRET not in text


def test_with_json_output_workflow_commands_go_to_stderr(mixed: Path, on_github: Path) -> None:
    proc = run_relcheck("run", "--dry-run", "--format", "json", cwd=mixed)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)  # stdout is one JSON document and nothing else
    assert data["outcome"] == "failed"
    assert "::error title=relcheck%3A bad failed::" in proc.stderr


def test_without_github_actions_there_are_no_workflow_commands(
    mixed: Path, cli_invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = cli_invoke("run", "--dry-run", cwd=mixed)
    assert not [line for line in result.output.splitlines() if line.startswith("::")]
    assert not summary.exists()


def test_workflow_command_values_are_escaped() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert (
        command("error", "x\ny", file="a,b.py", line=3, col=None)
        == "::error file=a%2Cb.py,line=3::x%0Ay"
    )


def test_a_summary_cell_cannot_break_the_table(tmp_path: Path) -> None:
    info = RunInfo("r1", str(tmp_path), "relcheck.yaml", "0" * 64, None, None, None, None, "0")
    step = StepResult(Status.FAILED, "a | b\nnext line", step_id="pipe", runner="command")
    text = step_summary(RunResult(info, Outcome.FAILED, 0.0, 1.0, (step,)))
    row = next(line for line in text.splitlines() if line.startswith("| pipe"))
    assert row.endswith("| a \\| b next line |")
    assert row.replace("\\|", "").count("|") == 5  # four cells
