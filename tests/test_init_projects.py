"""`relcheck init` in projects as they are found, then its `next:` command as printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers import commit_all, git, latest_record, run_relcheck, step_record, write

FORMATTED_TEST = "def test_it_works() -> None:\n    assert 1 + 1 == 2\n"
BIN = os.path.dirname(sys.executable)  # where the `relcheck` command is installed


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "project"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    for name, text in files.items():
        write(repo / name, text)
    commit_all(repo, "initial")
    return repo


def _init_then_next(
    repo: Path, env: dict[str, str] | None = None, *, bin_dir: str = BIN
) -> tuple[str, str]:
    """Run `relcheck init`, then its `next:` line in a shell, exactly as printed; return
    init's output and the next command's. ``bin_dir`` comes first on PATH."""
    env = {**os.environ, **(env or {})}
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", os.defpath)])
    init = subprocess.run(
        ["relcheck", "init"], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert init.returncode == 0, init.stderr
    command = next(line for line in init.stdout.splitlines() if line.startswith("next: "))
    proc = subprocess.run(
        command.removeprefix("next: "),
        shell=True,
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, init.stdout + proc.stdout + proc.stderr
    return init.stdout, proc.stdout


def _checklist(repo: Path) -> dict:
    return yaml.safe_load((repo / "relcheck.yaml").read_text())


def test_a_changes_rst_changelog_is_found_and_next_passes(tmp_path: Path) -> None:
    repo = _project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "2.1.0"\n\n[tool.ruff]\n',
            "CHANGES.rst": "Changes\n=======\n\n2.1.0 (2026-11-30)\n------------------\n\n- New.\n",
            "tests/test_demo.py": FORMATTED_TEST,
        },
    )
    out, ran = _init_then_next(repo)
    assert "changelog CHANGES.rst" in out
    assert _checklist(repo)["release"]["changelog"] == "CHANGES.rst"
    # The checklist is new and not committed: the checks run and pass, and the release
    # would be refused for the untracked file, which the dry run says.
    assert "the release would be refused: untracked: 1 untracked file" in ran
    record = latest_record(repo)
    assert record["outcome"] == "passed"
    assert step_record(record, "unit")["status"] == "passed"
    assert step_record(record, "lint")["status"] == "passed"
    commit_all(repo, "checklist")
    proc = run_relcheck("run", "--dry-run", cwd=repo)
    assert proc.returncode == 0, proc.stdout
    assert "would be refused" not in proc.stdout


def test_a_setuptools_scm_project_gets_a_first_release_version(tmp_path: Path) -> None:
    repo = _project(
        tmp_path,
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=64", "setuptools-scm>=8"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "demo"
                dynamic = ["version"]

                [tool.setuptools_scm]
                """,
            "HISTORY.md": "# History\n\n## 0.3.0\n\n- First.\n",
            ".gitignore": ".relcheck/\n",
            "tests/test_demo.py": FORMATTED_TEST,
        },
    )
    out, _ran = _init_then_next(repo)
    assert "version from git-describe" in out
    assert "next: relcheck validate && relcheck run --dry-run --version 0.3.0" in out
    assert _checklist(repo)["release"]["changelog"] == "HISTORY.md"
    commit_all(repo, "checklist")
    proc = run_relcheck("run", "--dry-run", "--version", "0.3.0", cwd=repo)
    assert proc.returncode == 0, proc.stdout
    assert "would tag v0.3.0" in proc.stdout


def test_a_hatch_vcs_project_with_tags_proposes_the_next_version(tmp_path: Path) -> None:
    repo = _project(
        tmp_path,
        {
            "pyproject.toml": """
                [build-system]
                requires = ["hatchling", "hatch-vcs"]
                build-backend = "hatchling.build"

                [project]
                name = "demo"
                dynamic = ["version"]

                [tool.hatch.version]
                source = "vcs"
                """,
            "NEWS": "1.4.0\n=====\n\n- Old.\n",
            ".gitignore": ".relcheck/\n",
            "test/test_demo.py": FORMATTED_TEST,
        },
    )
    git(repo, "tag", "1.4.0")
    write(repo / "NEWS", "1.4.1\n=====\n\n- Fixed.\n\n1.4.0\n=====\n\n- Old.\n")
    commit_all(repo, "news")
    out, ran = _init_then_next(repo)
    assert "changelog NEWS" in out
    assert "next: relcheck validate && relcheck run --dry-run --version 1.4.1" in out
    assert _checklist(repo)["release"]["tag"] == "{version}"
    assert "would be refused" in ran  # relcheck.yaml is not committed yet
    assert step_record(latest_record(repo), "unit")["status"] == "passed"


def test_a_project_without_checks_is_told_to_write_them_first(tmp_path: Path) -> None:
    repo = _project(tmp_path, {"pyproject.toml": '[project]\nname = "b"\nversion = "1.0.0"\n'})
    proc = run_relcheck("init", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-2] == "next: replace the write-checks step with the project's checks"
    assert lines[-1] == "then: relcheck validate && relcheck run --dry-run"


FASTAPI_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
"""


def test_a_fastapi_service_gets_an_integration_step_that_starts_it(tmp_path: Path) -> None:
    repo = _project(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "svc"
                version = "1.0.0"
                dependencies = ["fastapi>=0.110", "uvicorn>=0.29"]
                """,
            "CHANGELOG.md": "# Changelog\n\n## 1.0.0\n\n- First.\n",
            "svc/__init__.py": "",
            "svc/main.py": FASTAPI_APP,
            ".gitignore": ".relcheck/\n",
        },
    )
    # The project's environment is the one with FastAPI and uvicorn: the tests' own.
    out, _ran = _init_then_next(repo, {"VIRTUAL_ENV": sys.prefix})
    assert "from the python-service template" in out
    assert "a web service (fastapi in the dependencies): its integration step starts it" in out
    step = next(s for s in _checklist(repo)["steps"] if s["id"] == "integration")
    assert step["service"]["run"] == [
        *("python", "-m", "uvicorn", "svc.main:app", "--host", "127.0.0.1"),
        *("--port", "{port}"),
    ]
    assert step["with"]["url"] == "${RELCHECK_SERVICE_URL}/openapi.json"
    assert step_record(latest_record(repo), "integration")["status"] == "passed"


def test_flask_in_the_dependencies_offers_the_service_template(tmp_path: Path) -> None:
    repo = _project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "web"\nversion = "1.0.0"\n'
            'dependencies = ["Flask>=3"]\n',
            "app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
        },
    )
    proc = run_relcheck("init", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "a web service (flask in the dependencies)" in proc.stdout
    assert "left out integration" not in proc.stdout
    step = next(s for s in _checklist(repo)["steps"] if s["id"] == "integration")
    assert step["service"]["run"][:5] == ["python", "-m", "flask", "--app", "app"]
    assert run_relcheck("validate", cwd=repo).returncode == 0


def test_a_procfile_names_the_command_that_starts_the_service(tmp_path: Path) -> None:
    repo = _project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "web"\nversion = "1.0.0"\n',
            "Procfile": "release: ./migrate\nweb: gunicorn web.wsgi --bind 127.0.0.1:$PORT\n",
        },
    )
    proc = run_relcheck("init", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "a web service (a Procfile)" in proc.stdout
    step = next(s for s in _checklist(repo)["steps"] if s["id"] == "integration")
    assert step["service"]["run"] == "gunicorn web.wsgi --bind 127.0.0.1:$PORT"


# Stands in for a tool installed in the project's .venv: says what it was asked, passes.
TOOL = '#!/bin/sh\necho "$(basename "$0") $*"\n'


def test_the_projects_own_tools_become_run_steps(tmp_path: Path) -> None:
    repo = _project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.0.0"\n\n[tool.black]\n',
            "CHANGELOG.md": "# Changelog\n\n## 1.0.0\n\n- First.\n",
            ".pre-commit-config.yaml": "repos: []\n",
            "tox.ini": "[tox]\nenv_list = py\n\n[flake8]\nmax-line-length = 100\n",
            "noxfile.py": "",
            ".gitignore": ".relcheck/\n.venv/\n",
        },
    )
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    for name in ("black", "tox", "flake8", "pre-commit"):  # nox is not installed
        tool = repo / ".venv" / "bin" / name
        tool.write_text(TOOL)
        tool.chmod(0o755)
    # Only relcheck itself from its environment: nox, a dev tool of relcheck's own, must
    # not be found there.
    only_relcheck = tmp_path / "bin"
    only_relcheck.mkdir()
    (only_relcheck / "relcheck").symlink_to(Path(BIN) / "relcheck")
    out, _ran = _init_then_next(
        repo, {"PATH": os.pathsep.join(["/usr/bin", "/bin"])}, bin_dir=str(only_relcheck)
    )
    steps = {s["id"]: s for s in _checklist(repo)["steps"]}
    assert steps["flake8"]["run"] == ["flake8"]
    assert steps["black"]["run"] == ["black", "--check", "."]
    assert steps["tox"]["run"] == ["tox"]
    assert steps["pre-commit"]["run"] == ["pre-commit", "run", "--all-files"]
    assert "nox" not in steps
    assert "added black: the project's own check ([tool.black])" in out
    assert "added flake8: the project's own check ([flake8] in tox.ini)" in out
    assert "left out nox: noxfile.py configures it, but nox is not installed" in out
    record = latest_record(repo)
    for step_id in ("flake8", "black", "tox", "pre-commit"):
        assert step_record(record, step_id)["status"] == "passed"
    tail = step_record(record, "pre-commit")["output_tail"]
    assert "pre-commit run --all-files" in tail
    ids = list(steps)
    assert ids.index("pre-commit") < ids.index("tag")  # checks come before the release
