"""The pre-push hook's temporary worktree: the main tree's environment, the commit's code.

A project's ``.venv`` is not committed, so it exists only in the working tree; an
editable install in it imports the working tree's code, whatever the pushed commit holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from relcheck.git import hooks
from tests.helpers import (
    commit_all,
    git,
    latest_record,
    push,
    run_relcheck,
    step_record,
    write,
)

CHECKLIST = """
version: 1
release: {changelog: null}
steps:
  - id: lint
    uses: ruff
  - id: unit
    uses: pytest
    with: {args: [-q, tests]}
  - id: where
    env: {PYTHONPATH: extra}
    run: >-
      python -c "import os, demo;
      print('demo=' + demo.__file__);
      print('pythonpath=' + os.environ['PYTHONPATH']);
      print('root=' + os.environ['RELCHECK_ROOT'])"
"""

GOOD = "def answer() -> int:\n    return 42\n"
BROKEN = 'def answer() -> int:\n    raise RuntimeError("broken")\n'


def _editable_venv(repo: Path, project_env: Path) -> Path:
    """The project's own ``.venv``, untracked: the suite's packages and tools, and the
    project installed editable (a path file naming the working tree's ``src``)."""
    venv = repo / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    [site] = venv.glob("lib/python3*/site-packages")
    [packages] = project_env.glob("lib/python3*/site-packages")
    (site / "00-tools.pth").write_text(f"import site; site.addsitedir({str(packages)!r})\n")
    (site / "demo.pth").write_text(f"{repo / 'src'}\n")
    (venv / "bin" / "ruff").symlink_to(project_env / "bin" / "ruff")
    return venv


@pytest.fixture
def src_project(git_repo: Path, project_env_for_tests: Path) -> Path:
    """A src-layout project whose tests import it, with an editable install in its own
    ``.venv`` and relcheck's pre-push hook; everything committed and pushed."""
    write(git_repo / "src" / "demo" / "__init__.py", GOOD)
    write(
        git_repo / "tests" / "test_demo.py",
        "from demo import answer\n\n\ndef test_answer() -> None:\n    assert answer() == 42\n",
    )
    write(git_repo / "relcheck.yaml", CHECKLIST)
    ignored = ".relcheck/\n.venv/\n__pycache__/\n.pytest_cache/\n.ruff_cache/\n"
    write(git_repo / ".gitignore", ignored)
    _editable_venv(git_repo, project_env_for_tests)
    commit_all(git_repo, "demo")
    git(git_repo, "push", "-q", "--no-verify", "origin", "main")
    hooks.install(str(git_repo))
    return git_repo


def remote_head(repo: Path) -> str:
    return git(repo, "ls-remote", "origin", "refs/heads/main").split()[0]


def test_a_broken_commit_is_refused_though_the_fix_is_uncommitted(src_project: Path) -> None:
    write(src_project / "src" / "demo" / "__init__.py", BROKEN)
    broken = commit_all(src_project, "break answer")
    git(src_project, "checkout", "HEAD~1", "--", "src/demo/__init__.py")  # fixed, uncommitted
    # With the project's venv active, as a developer pushes from their shell.
    refused = push(src_project, "origin", "main", env={"VIRTUAL_ENV": str(src_project / ".venv")})
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "in a clean temporary worktree" in output
    assert "pre-push refused" in output
    assert remote_head(src_project) != broken
    record = latest_record(src_project)
    assert record["commit"] == broken
    unit = step_record(record, "unit")
    assert unit["status"] == "failed"
    assert unit["summary"].startswith("1 failed")


def test_a_clean_commit_passes_with_the_main_trees_environment(src_project: Path) -> None:
    write(src_project / "README.md", "# demo\n")
    commit_all(src_project, "readme")
    write(src_project / "src" / "demo" / "extra.py", "")  # untracked: a temporary worktree
    pushed = push(src_project, "origin", "main")
    output = pushed.stdout + pushed.stderr
    assert pushed.returncode == 0, output
    assert "in a clean temporary worktree" in output
    record = latest_record(src_project)
    assert record["outcome"] == "passed"
    venv = src_project / ".venv"
    lint = step_record(record, "lint")
    assert lint["metrics"]["ruff"]["from"] == ".venv", lint
    assert "no ruff of its own" not in lint["summary"]
    unit = step_record(record, "unit")
    assert unit["metrics"]["python"] == {"path": str(venv / "bin" / "python"), "from": ".venv"}
    lines = dict(
        line.split("=", 1) for line in step_record(record, "where")["output_tail"].splitlines()
    )
    tree = lines["root"]
    assert tree != str(src_project)
    # The commit's code is imported, not the working tree's; the step's own setting follows.
    assert lines["demo"] == os.path.join(tree, "src", "demo", "__init__.py")
    assert lines["pythonpath"] == os.pathsep.join([os.path.join(tree, "src"), "extra"])


def test_a_flat_layout_puts_the_worktrees_root_first(git_repo: Path) -> None:
    write(git_repo / "demo" / "__init__.py", GOOD)
    write(
        git_repo / "relcheck.yaml",
        """
        version: 1
        release: {changelog: null}
        steps:
          - id: where
            run: python -c "import os; print(os.environ['PYTHONPATH'])" > "$WHERE"
        """,
    )
    commit_all(git_repo, "flat")
    hooks.install(str(git_repo))
    write(git_repo / "notes.txt", "untracked\n")
    where = git_repo.parent / "where.txt"
    # The user's own setting (this suite's includes where relcheck is imported from).
    user = [str(git_repo.parent / "mine"), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    user = [entry for entry in user if entry]
    pythonpath = os.pathsep.join(user)
    pushed = push(git_repo, "origin", "main", env={"WHERE": str(where), "PYTHONPATH": pythonpath})
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    first, *rest = where.read_text().strip().split(os.pathsep)
    assert Path(first).name == git_repo.name
    assert Path(first) != git_repo
    assert rest == user
    # In the working tree itself, a run leaves PYTHONPATH as it is.
    ran = run_relcheck(
        "run", "--dry-run", cwd=git_repo, env={"WHERE": str(where), "PYTHONPATH": pythonpath}
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert where.read_text().strip() == pythonpath


def test_a_pass_in_the_working_tree_is_reused_by_the_hooks_worktree(src_project: Path) -> None:
    write(src_project / "README.md", "# demo\n")
    commit_all(src_project, "readme")
    ran = run_relcheck("run", "--dry-run", cwd=src_project)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    first = latest_record(src_project)["run_id"]
    write(src_project / "notes.txt", "untracked\n")  # so the hook checks a worktree
    pushed = push(src_project, "origin", "main")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "in a clean temporary worktree" in pushed.stderr
    record = latest_record(src_project)
    for step in ("lint", "unit"):
        found = step_record(record, step)
        assert (found["status"], found.get("cached_from")) == ("cached", first), step
