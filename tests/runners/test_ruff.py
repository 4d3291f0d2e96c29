"""The ruff runner against real small projects and the ruff installed with relcheck."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.helpers import (
    assert_no_traceback,
    commit_all,
    latest_record,
    run_relcheck,
    step_record,
    write,
)

# The project's own ruff settings: a short line length, so E501 proves they are honoured.
RUFF_CONFIG = """
[project]
name = "demo"
version = "1.2.0"

[tool.ruff]
line-length = 60

[tool.ruff.lint]
select = ["E", "F"]
"""

LINT_FINDINGS = """
import os
import sys

GREETING = "a line that is longer than sixty characters, on purpose"
"""


def _project(repo: Path, files: dict[str, str], steps: str) -> Path:
    write(repo / "pyproject.toml", RUFF_CONFIG)
    for name, text in files.items():
        write(repo / name, text)
    write(repo / "relcheck.yaml", "version: 1\nsteps:\n" + steps)
    commit_all(repo, "project")
    return repo


def _run(repo: Path, env: dict[str, str] | None = None) -> tuple[Any, dict[str, Any]]:
    proc = run_relcheck("run", "--dry-run", cwd=repo, env=env)
    print(proc.stdout, proc.stderr)
    assert_no_traceback(proc)
    return proc, latest_record(repo)


LINT_STEP = """
  - id: lint
    uses: ruff
"""


def test_lint_findings_fail_with_counts_by_rule_and_each_finding_by_file_and_line(
    git_repo: Path,
) -> None:
    repo = _project(
        git_repo,
        {"pkg/mod.py": LINT_FINDINGS, "pkg/other.py": "import json\n"},
        LINT_STEP,
    )
    proc, record = _run(repo)
    assert proc.returncode == 1
    lint = step_record(record, "lint")
    assert lint["status"] == "failed"
    assert lint["summary"] == "4 findings in 2 files: F401 ×3, E501 ×1"
    metrics = {k: v for k, v in lint["metrics"].items() if k != "ruff"}
    assert metrics == {
        "findings": 4,
        "files": 2,
        "by_rule": {"E501": 1, "F401": 3},
    }
    assert lint["details"] == [
        "pkg/mod.py:1:8 F401 `os` imported but unused",
        "pkg/mod.py:2:8 F401 `sys` imported but unused",
        "pkg/mod.py:4:61 E501 Line too long (68 > 60)",
        "pkg/other.py:1:8 F401 `json` imported but unused",
    ]
    assert "    pkg/mod.py:1:8 F401 `os` imported but unused" in proc.stdout
    assert lint["annotations"][0] == {
        "message": "F401 `os` imported but unused",
        "path": "pkg/mod.py",
        "line": 1,
        "column": 8,
        "level": "error",
    }


def test_a_clean_project_passes_and_says_so(git_repo: Path) -> None:
    repo = _project(
        git_repo,
        {"pkg/mod.py": 'GREETING = "hello"\n'},
        LINT_STEP + "    with: {format: true}\n",
    )
    proc, record = _run(repo)
    assert proc.returncode == 0
    lint = step_record(record, "lint")
    assert lint["status"] == "passed"
    assert lint["summary"] == "no findings, every file formatted"
    assert lint["metrics"]["findings"] == 0


def test_an_unformatted_file_is_a_finding_only_when_format_is_asked_for(
    git_repo: Path,
) -> None:
    files = {"pkg/mod.py": "GREETING   =   'hello'\n"}
    repo = _project(
        git_repo,
        files,
        LINT_STEP + "    with: {format: true}\n  - id: lint-only\n    uses: ruff\n",
    )
    proc, record = _run(repo)
    assert proc.returncode == 1
    lint = step_record(record, "lint")
    assert lint["status"] == "failed"
    assert lint["summary"] == "1 finding in 1 file: unformatted ×1"
    assert lint["metrics"]["unformatted_files"] == 1
    assert lint["details"] == ["pkg/mod.py:1:10 unformatted File would be reformatted"]
    assert step_record(record, "lint-only")["status"] == "passed"


def test_paths_with_no_python_files_pass_but_say_nothing_was_checked(git_repo: Path) -> None:
    repo = _project(
        git_repo, {"docs/index.md": "# Docs\n"}, LINT_STEP + "    with: {paths: [docs]}\n"
    )
    proc, record = _run(repo)
    assert proc.returncode == 0
    lint = step_record(record, "lint")
    assert lint["summary"] == "no findings (ruff found no Python files to check)"


def test_a_broken_ruff_configuration_is_an_error_in_ruffs_own_words(git_repo: Path) -> None:
    repo = _project(git_repo, {"pkg/mod.py": "import os\n"}, LINT_STEP)
    write(repo / "ruff.toml", "line-lenght = 60\n")
    commit_all(repo, "broken ruff config")
    proc, record = _run(repo)
    assert proc.returncode == 1
    lint = step_record(record, "lint")
    assert lint["status"] == "error"
    assert lint["summary"].startswith("ruff failed (exit 2): ")
    assert "ruff.toml" in lint["summary"]
    assert "unknown field `line-lenght`" in lint["summary"]
    assert "finding" not in lint["summary"]
    assert lint["exit_code"] == 2
    assert "lint (ruff) error: ruff failed" in proc.stdout


def test_max_findings_lets_that_many_findings_pass_as_warnings(git_repo: Path) -> None:
    repo = _project(
        git_repo,
        {"pkg/mod.py": LINT_FINDINGS},
        LINT_STEP + "    with: {max_findings: 3}\n",
    )
    proc, record = _run(repo)
    assert proc.returncode == 0
    lint = step_record(record, "lint")
    assert lint["status"] == "passed"
    assert lint["summary"] == "3 findings in 1 file: F401 ×2, E501 ×1 (within max_findings 3)"
    assert {a["level"] for a in lint["annotations"]} == {"warning"}


def test_select_paths_and_extra_args_reach_ruff(git_repo: Path) -> None:
    repo = _project(
        git_repo,
        {"pkg/mod.py": LINT_FINDINGS, "pkg/other.py": "import json\n"},
        LINT_STEP + "    with: {select: [E501], paths: [pkg/mod.py], extra_args: [--no-cache]}\n",
    )
    _proc, record = _run(repo)
    lint = step_record(record, "lint")
    assert lint["summary"] == "1 finding in 1 file: E501 ×1"
    log = Path(lint["log"]).read_text()
    assert (
        "check --output-format json --force-exclude --select E501 --no-cache --no-fix pkg/mod.py"
        in log
    )
    assert not (repo / ".ruff_cache").exists()


def test_the_ruff_of_the_projects_environment_runs_not_the_one_on_path(
    git_repo: Path, tmp_path: Path
) -> None:
    decoy = write(tmp_path / "bin" / "ruff", "#!/bin/sh\ntouch \"$0.ran\"\necho '[]'\n")
    decoy.chmod(0o755)
    repo = _project(git_repo, {"pkg/other.py": "import json\n"}, LINT_STEP)
    path = f"{decoy.parent}{os.pathsep}{os.environ['PATH']}"
    _proc, record = _run(repo, env={"PATH": path})
    assert step_record(record, "lint")["summary"] == "1 finding in 1 file: F401 ×1"
    assert not (tmp_path / "bin" / "ruff.ran").exists()


def test_the_step_log_keeps_ruffs_full_output(git_repo: Path) -> None:
    repo = _project(git_repo, {"pkg/other.py": "import json\n"}, LINT_STEP)
    _proc, record = _run(repo)
    log = Path(step_record(record, "lint")["log"]).read_text()
    start = log.index("\n[\n") + 1
    findings = json.loads(log[start : log.rindex("]") + 1])
    assert [f["code"] for f in findings] == ["F401"]


def test_a_typo_in_with_is_a_file_line_col_error_before_ruff_runs(git_repo: Path) -> None:
    repo = _project(
        git_repo, {"pkg/other.py": "import json\n"}, LINT_STEP + "    with: {formatt: true}\n"
    )
    proc = run_relcheck("run", "--dry-run", cwd=repo)
    assert proc.returncode == 2
    assert (
        "relcheck.yaml:6:12: steps[0].with: unknown key 'formatt'; did you mean 'format'?"
        in proc.stderr
    )
    assert not list(repo.glob(".relcheck/runs/*.toml")), "no step may run"
    assert_no_traceback(proc)


def test_a_negative_max_findings_is_refused_at_load_time(git_repo: Path) -> None:
    repo = _project(
        git_repo, {"pkg/other.py": "import json\n"}, LINT_STEP + "    with: {max_findings: -1}\n"
    )
    proc = run_relcheck("validate", cwd=repo)
    assert proc.returncode == 2
    assert "relcheck.yaml:6:11: steps[0].with: `max_findings` must be 0 or more" in proc.stderr
