"""Steps run in the project's environment, not the one relcheck is installed in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import commit_all, latest_record, run_relcheck, step_record, write

WHICH_PYTHON = """
version: 1
release: {{changelog: null}}
steps:
  - id: which
    run: [python, -c, "import sys; print('prefix=' + sys.prefix)"]
"""


def _venv(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    return where


def test_a_step_runs_the_projects_venv_python(git_repo: Path) -> None:
    write(git_repo / "relcheck.yaml", WHICH_PYTHON.format())
    venv = _venv(git_repo / ".venv")
    write(git_repo / ".gitignore", ".relcheck/\n.venv/\n")
    commit_all(git_repo, "checklist")
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tail = step_record(latest_record(git_repo), "which")["output_tail"]
    assert f"prefix={venv}" in tail


def test_a_step_runs_the_active_virtual_environment(git_repo: Path, tmp_path: Path) -> None:
    write(git_repo / "relcheck.yaml", WHICH_PYTHON.format())
    commit_all(git_repo, "checklist")
    venv = _venv(tmp_path / "active")
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env={"VIRTUAL_ENV": str(venv)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tail = step_record(latest_record(git_repo), "which")["output_tail"]
    assert f"prefix={venv}" in tail


def test_relcheck_own_environment_is_never_first(git_repo: Path) -> None:
    """With no project environment, `python3` is the one on the user's PATH."""
    write(git_repo / "relcheck.yaml", WHICH_PYTHON.format().replace("[python,", "[python3,"))
    commit_all(git_repo, "checklist")
    system = "/usr/bin:/bin"
    # No active virtual environment either (the suite's own is active by default).
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env={"PATH": system, "VIRTUAL_ENV": ""})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tail = step_record(latest_record(git_repo), "which")["output_tail"]
    assert "prefix=" in tail
    assert f"prefix={sys.prefix}\n" not in tail + "\n"
