"""The ruff runner checks and never fixes, and runs the project's own ruff."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import (
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    push,
    run_relcheck,
    step_record,
    write,
)

# A project that asks ruff to fix whatever it can, safe or not, on every run.
FIXING_CONFIG = """
[project]
name = "demo"
version = "1.2.0"

[tool.ruff]
fix = true
unsafe-fixes = true

[tool.ruff.lint]
select = ["F"]
"""

UNUSED_IMPORT = "import os\nimport sys\n\nprint(sys.argv)\n"

LINT = """
version: 1
release:
  branch: main
steps:
  - id: lint
    uses: ruff
"""


def _fixing_project(repo: Path, checklist: str = LINT) -> Path:
    write(repo / "pyproject.toml", FIXING_CONFIG)
    write(repo / "app.py", UNUSED_IMPORT)
    write(repo / "relcheck.yaml", checklist)
    commit_all(repo, "project")
    return repo


def _fake_ruff(folder: Path, version: str, *, json_format: bool = True) -> Path:
    """A ruff executable of another version: it says its version, writes its arguments
    to ``ruff.args`` beside it, finds one F401 in app.py and, for `format --check`,
    answers as that version would."""
    script = folder / "ruff"
    old_format = (
        'if [ "$1" = format ]; then\n'
        '  case "$*" in *--output-format*) echo "error: unexpected argument '
        "'--output-format' found\" >&2; exit 2;; esac\n"
        '  echo "Would reformat: app.py"; echo "1 file would be reformatted"; exit 1\n'
        "fi\n"
    )
    write(
        script,
        f"""#!/bin/sh
        echo "$@" >> "$(dirname "$0")/ruff.args"
        if [ "$1" = --version ]; then echo "ruff {version}"; exit 0; fi
        {old_format if not json_format else ""}
        if [ "$1" = format ]; then echo '[]'; exit 0; fi
        printf '[{{"code": "F401", "message": "`os` imported but unused", '
        printf '"filename": "%s/app.py", "location": {{"row": 1, "column": 8}}}}]' "$PWD"
        exit 1
        """,
    )
    script.chmod(0o755)
    return script


def _venv(repo: Path) -> Path:
    """A real virtual environment at ``repo/.venv`` (no pip: nothing is downloaded)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    with (repo / ".gitignore").open("a") as fh:
        fh.write(".venv/\n")
    return repo / ".venv" / "bin"


def _path_without_ruff(tmp_path: Path) -> str:
    """A PATH with git and sh only: no ruff, and no python3 whose environment has one."""
    folder = tmp_path / "bin-without-ruff"
    folder.mkdir()
    for tool in ("git", "sh"):
        found = next(
            Path(d) / tool
            for d in os.environ["PATH"].split(os.pathsep)
            if (Path(d) / tool).is_file()
        )
        (folder / tool).symlink_to(found)
    return str(folder)


def test_lint_fails_and_leaves_the_file_unchanged_when_the_project_sets_fix_true(
    git_repo: Path,
) -> None:
    repo = _fixing_project(git_repo)
    before = (repo / "app.py").read_bytes()
    proc = run_relcheck("run", "--dry-run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout
    lint = step_record(latest_record(repo), "lint")
    assert lint["status"] == "failed"
    assert lint["summary"] == "1 finding in 1 file: F401 ×1"
    assert (repo / "app.py").read_bytes() == before
    assert git(repo, "status", "--porcelain") == ""
    assert "--no-fix" in Path(lint["log"]).read_text()


def test_a_fixing_project_cannot_push_an_unused_import_through_the_hook(
    git_repo: Path, cli_invoke
) -> None:  # type: ignore[no-untyped-def]
    repo = _fixing_project(git_repo)
    assert cli_invoke("hook", "install", cwd=repo).exit_code == 0
    before = (repo / "app.py").read_bytes()
    remote_before = git(repo, "ls-remote", "origin", "refs/heads/main")
    pushed = push(repo, "origin", "main")
    assert pushed.returncode != 0
    assert "pre-push refused" in pushed.stderr
    assert git(repo, "ls-remote", "origin", "refs/heads/main") == remote_before
    assert (repo / "app.py").read_bytes() == before
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    "arg", ["--fix", "--fix-only", "--unsafe-fixes", "--add-noqa", "--add-noqa=later", "-w"]
)
def test_extra_args_that_would_change_files_are_refused_at_load_time(
    git_repo: Path, arg: str
) -> None:
    repo = _fixing_project(git_repo, LINT + f"    with: {{extra_args: [{arg}]}}\n")
    proc = run_relcheck("validate", cwd=repo)
    assert proc.returncode == 2
    assert f"relcheck.yaml:7:11: steps[0].with: `extra_args` may not hold '{arg}'" in proc.stderr
    assert "a check must never change what it checks" in proc.stderr
    assert_no_traceback(proc)


def test_the_projects_venv_ruff_runs_and_the_record_names_it(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    repo = _fixing_project(git_repo, LINT + "    with: {format: true}\n")
    fake = _fake_ruff(_venv(repo), "0.11.11", json_format=False)
    commit_all(repo, "venv ignored")
    proc = run_relcheck("run", "--dry-run", cwd=repo)
    assert_no_traceback(proc)
    lint = step_record(latest_record(repo), "lint")
    assert lint["metrics"]["ruff"] == {"version": "0.11.11", "path": str(fake), "from": ".venv"}
    # An old ruff has no JSON for `format --check`: its text is read instead.
    assert lint["summary"] == "2 findings in 1 file: F401 ×1, unformatted ×1"
    assert "app.py:1:1 unformatted File would be reformatted" in lint["details"]
    calls = (fake.parent / "ruff.args").read_text().splitlines()
    assert calls[0] == "--version"
    assert calls[1].startswith("check --output-format json --force-exclude")
    assert calls[1].endswith("--no-fix")
    assert calls[-1] == "format --check --force-exclude"


def test_ruff_given_in_with_runs_over_the_projects_venv(git_repo: Path) -> None:
    repo = _fixing_project(git_repo, LINT + "    with: {ruff: tools/ruff}\n")
    fake = _fake_ruff(repo / "tools", "0.15.2")
    commit_all(repo, "a pinned ruff")
    proc = run_relcheck("run", "--dry-run", cwd=repo)
    assert_no_traceback(proc)
    lint = step_record(latest_record(repo), "lint")
    assert lint["metrics"]["ruff"]["from"] == "ruff: given"
    assert lint["metrics"]["ruff"]["version"] == "0.15.2"
    assert lint["metrics"]["ruff"]["path"] == str(fake)


def test_relcheck_s_bundled_ruff_runs_only_when_the_project_has_none_and_says_so(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    repo = _fixing_project(git_repo)
    proc = run_relcheck("run", "--dry-run", cwd=repo, env={"PATH": _path_without_ruff(tmp_path)})
    assert_no_traceback(proc)
    lint = step_record(latest_record(repo), "lint")
    assert lint["status"] == "failed"
    assert lint["metrics"]["ruff"]["from"] == "relcheck's bundled extra"
    assert lint["summary"].startswith("1 finding in 1 file: F401 ×1 (ruff 0.")
    assert lint["summary"].endswith(
        "from relcheck's bundled extra: the project has no ruff of its own)"
    )


def test_no_ruff_anywhere_is_a_step_error_with_a_one_line_fix(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    repo = _fixing_project(git_repo)
    # relcheck installed without its ruff extra: an importable `ruff` without its binary.
    shadow = tmp_path / "no-ruff-extra"
    write(shadow / "ruff" / "__init__.py", "")
    env = {"PATH": _path_without_ruff(tmp_path), "PYTHONPATH": str(shadow)}
    proc = run_relcheck("run", "--dry-run", cwd=repo, env=env)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    lint = step_record(latest_record(repo), "lint")
    assert lint["status"] == "error"
    assert lint["summary"] == (
        "no ruff found: not in the project's environment (no .venv), not on PATH, and "
        "relcheck was installed without its ruff extra; fix: add ruff to the project's "
        "dev dependencies, or `pip install 'relcheck[ruff]'`"
    )
