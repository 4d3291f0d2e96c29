"""Checks that modify the tree: every way a check can change what it checks (a fixing
linter, a test that writes its fixture, a step that stages, commits, deletes or rewrites
a hidden file) must fail the run, name the change and make no tag; a step that leaves
the tree as it found it (or writes only ignored files) must still release."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import commit_all, git, latest_record, push, run_relcheck, tags, write
from tests.reliability.support import FIGURES, check_run

FAMILY = "checks that modify the tree"


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: str  # the checklist's steps before the tag step
    expect_release: bool = False
    hide: str | None = None  # an update-index flag set on data.db before the run
    pyproject: str = ""
    app: str = "import os\nimport sys\n\nprint(sys.argv)\n"  # an unused import


FIXING = """
[tool.ruff]
fix = true
unsafe-fixes = true

[tool.ruff.lint]
select = ["F"]
"""

SCENARIOS = [
    Scenario("ruff with fix = true", "  - id: lint\n    uses: ruff\n", pyproject=FIXING),
    Scenario(
        "ruff format with fix = true",
        "  - id: lint\n    uses: ruff\n    with: {format: true}\n",
        pyproject=FIXING,
        app="import sys\nprint( sys.argv )\n",
    ),
    Scenario("appends to a tracked file", "  - id: unit\n    run: echo row >> data.db\n"),
    Scenario("empties a tracked file", "  - id: unit\n    run: ': > data.db'\n"),
    Scenario("deletes a tracked file", "  - id: unit\n    run: rm data.db\n"),
    Scenario("makes a tracked file executable", "  - id: unit\n    run: chmod +x data.db\n"),
    Scenario("stages a deletion", "  - id: unit\n    run: git rm -q --cached data.db\n"),
    Scenario("commits", "  - id: unit\n    run: git commit -q --allow-empty -m sneaky\n"),
    Scenario(
        "rewrites an assume-unchanged file",
        "  - id: unit\n    run: echo row >> data.db\n",
        hide="--assume-unchanged",
    ),
    Scenario(
        "rewrites a skip-worktree file",
        "  - id: unit\n    run: echo row >> data.db\n",
        hide="--skip-worktree",
    ),
    Scenario(
        "a test writes its fixture",
        "  - id: unit\n    uses: pytest\n    with: {args: [-q, -p, no:cacheprovider, tests]}\n",
    ),
    Scenario(
        "an optional step writes",
        "  - id: unit\n    optional: true\n    run: echo row >> data.db\n",
    ),
    Scenario(
        "writes while another step runs",
        "  - id: unit\n    run: echo row >> data.db\n  - id: other\n    run: 'true'\n",
    ),
    # Controls: the tree is as the commit has it when the checks end.
    Scenario(
        "writes and restores the same content",
        "  - id: unit\n    run: cp data.db copy.tmp && echo row >> data.db && mv copy.tmp data.db\n",
        expect_release=True,
    ),
    Scenario(
        "writes an ignored file", "  - id: unit\n    run: echo x > out.log\n", expect_release=True
    ),
    Scenario(
        "declares what it writes",
        "  - id: unit\n    run: echo row >> data.db\n    writes: [data.db]\n",
        expect_release=True,
    ),
]

HOOK_SCENARIOS = ("ruff with fix = true", "appends to a tracked file", "a test writes its fixture")

FIXTURE_TEST = """
from pathlib import Path


def test_updates_its_fixture():
    Path("data.db").write_text("rows written by a test\\n")
"""


def _project(repo: Path, scenario: Scenario) -> None:
    write(
        repo / "pyproject.toml",
        f'[project]\nname = "demo"\nversion = "1.2.0"\n{scenario.pyproject}',
    )
    write(repo / "data.db", "fixture\n")
    write(repo / "app.py", scenario.app)
    write(repo / "tests" / "test_fixture.py", FIXTURE_TEST)
    with (repo / ".gitignore").open("a") as fh:
        fh.write("out.log\n*.tmp\n")
    write(
        repo / "relcheck.yaml",
        "version: 1\nrelease:\n  branch: main\nsteps:\n"
        + scenario.steps
        + "  - id: tag\n    uses: git-tag\n",
    )
    commit_all(repo, "project")
    git(repo, "push", "-q", "origin", "main")
    if scenario.hide:
        git(repo, "update-index", scenario.hide, "--", "data.db")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_a_check_that_changes_what_it_checks_never_releases(
    git_repo: Path, run_env: dict[str, str], scenario: Scenario
) -> None:
    _project(git_repo, scenario)
    before = {p: (git_repo / p).read_bytes() for p in ("app.py",)}
    proc = run_relcheck("run", cwd=git_repo, env=run_env)
    output = proc.stdout + proc.stderr
    FIGURES.add(f"{FAMILY}: scenarios")
    released = proc.returncode == 0 or bool(tags(git_repo))
    wrong = released != scenario.expect_release
    lint_rewrote = (git_repo / "app.py").read_bytes() != before["app.py"]
    FIGURES.add(f"{FAMILY}: passes that should have failed", int(wrong and released))
    FIGURES.add(f"{FAMILY}: failures that should have passed", int(wrong and not released))
    FIGURES.add(f"{FAMILY}: files rewritten by a lint step", int(lint_rewrote))
    # Committing what a check wrote would release a file nobody meant to change.
    FIGURES.add(f"{FAMILY}: refusals advising to commit it", int("commit the changes" in output))
    check_run(proc.returncode, output, git_repo)
    assert not lint_rewrote, "the lint step changed the file it checked"
    if scenario.expect_release:
        assert proc.returncode == 0, output
        assert tags(git_repo) == ["v1.2.0"]
        return
    assert proc.returncode == 1, output
    assert tags(git_repo) == []
    if not scenario.name.startswith("ruff"):
        message = latest_record(git_repo)["message"]
        assert "during this run" in message, message
        assert "'unit'" in message, message


THROUGH_HOOK = [s for s in SCENARIOS if s.name in HOOK_SCENARIOS]


@pytest.mark.parametrize("scenario", THROUGH_HOOK, ids=[s.name for s in THROUGH_HOOK])
def test_the_pre_push_hook_refuses_a_push_whose_checks_changed_the_tree(
    git_repo: Path, run_env: dict[str, str], scenario: Scenario, cli_invoke
) -> None:  # type: ignore[no-untyped-def]
    _project(git_repo, scenario)
    assert cli_invoke("hook", "install", cwd=git_repo).exit_code == 0
    write(git_repo / "notes.txt", "a new commit to push\n")
    pushed_commit = commit_all(git_repo, "to push")
    before = (git_repo / "app.py").read_bytes()
    pushed = push(git_repo, "origin", "main", env=run_env)
    remote = git(git_repo, "ls-remote", "origin", "refs/heads/main").split()[0]
    FIGURES.add(f"{FAMILY}: scenarios")
    FIGURES.add(f"{FAMILY}: passes that should have failed", int(remote == pushed_commit))
    lint_rewrote = (git_repo / "app.py").read_bytes() != before
    FIGURES.add(f"{FAMILY}: files rewritten by a lint step", int(lint_rewrote))
    assert pushed.returncode != 0, pushed.stdout + pushed.stderr
    assert remote != pushed_commit
    assert not lint_rewrote
    assert "pre-push refused" in pushed.stderr
