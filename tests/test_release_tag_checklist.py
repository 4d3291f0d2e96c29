"""A release tag proves a release only when the run that made it used the project's
checklist as committed in the tagged commit: the path `relcheck run` and the hook find
(`[tool.relcheck] checklist`, else relcheck.yaml) with the sha256 the tag carries.
`relcheck verify`, the pre-push hook and "already released" all ask the same. Real runs,
real pushes to a local bare remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit_all, git, push, remote_tags, run_relcheck, tags, write

# The project's checklist: its `compile` step fails on the commit the stray tag marks.
PROJECT = """
version: 1
steps:
  - id: repo
    uses: git
  - id: compile
    run: [python, -m, py_compile, app.py]
  - id: tag
    uses: git-tag
"""

# Same release rules, none of the checks.
TRIVIAL = """
version: 1
steps:
  - {id: ok, run: "true"}
  - {id: tag, uses: git-tag}
"""


@pytest.fixture
def project(git_repo: Path, cli_invoke) -> Path:  # type: ignore[no-untyped-def]
    """git_repo with the project's checklist, pushed, and relcheck's pre-push hook."""
    write(git_repo / "relcheck.yaml", PROJECT)
    write(git_repo / "app.py", "x = 1\n")
    commit_all(git_repo, "checklist")
    git(git_repo, "push", "-q", "origin", "main")
    assert cli_invoke("hook", "install", cwd=git_repo).exit_code == 0
    return git_repo


def _tag_as_made_by(repo: Path, checklist: str, text: str) -> None:
    """v1.2.0 at HEAD as a run of the checklist ``checklist`` (with content ``text``) made
    it before relcheck refused to: every step passed, the trailers name that checklist."""
    import hashlib

    from relcheck.git.tagmessage import compose
    from relcheck.models import RunInfo, Status, StepResult

    info = RunInfo(
        run_id="20261130T120000Z-0001",
        root=str(repo),
        checklist_path=checklist,
        checklist_sha256=hashlib.sha256(text.encode()).hexdigest(),
        commit=git(repo, "rev-parse", "HEAD"),
        branch="main",
        version="1.2.0",
        tag="v1.2.0",
        relcheck_version="0.1.0",
    )
    done = [StepResult(Status.PASSED, "exit 0", step_id=i) for i in ("ok", "tag")]
    message = repo.parent / "tag-message.txt"
    message.write_text(compose(info, done))
    git(repo, "tag", "-a", "v1.2.0", "--cleanup=verbatim", "-F", str(message))


@pytest.fixture
def stray(project: Path, tmp_path: Path) -> Path:
    """v1.2.0 made by a run of a checklist outside the repository, on a commit where the
    committed checklist's `compile` step fails."""
    write(project / "app.py", "def broken(:\n")
    commit_all(project, "broken")
    write(tmp_path / "x" / "trivial.yaml", TRIVIAL)
    _tag_as_made_by(project, "../x/trivial.yaml", TRIVIAL)
    assert tags(project) == ["v1.2.0"]
    return project


def test_relcheck_makes_no_tag_with_a_checklist_that_is_not_the_project_s(
    project: Path, tmp_path: Path
) -> None:
    write(project / "app.py", "def broken(:\n")
    write(project / "ci" / "trivial.yaml", TRIVIAL)
    commit_all(project, "broken, and a checklist that checks nothing")
    outside = write(tmp_path / "x" / "trivial.yaml", TRIVIAL)
    for given in (str(outside), "ci/trivial.yaml"):
        made = run_relcheck("run", "-c", given, cwd=project)
        assert made.returncode == 1, made.stdout + made.stderr
        assert "not tagging: this run's checklist is " in made.stdout
        assert "not the project's (relcheck.yaml in " in made.stdout
        assert tags(project) == []
    # With the `git` step, before any check runs (exit 3).
    write(
        project / "ci" / "gated.yaml",
        "version: 1\nsteps:\n  - {id: repo, uses: git}\n"
        "  - {id: ok, run: 'true'}\n  - {id: tag, uses: git-tag}\n",
    )
    commit_all(project, "a gated checklist that checks nothing")
    gated = run_relcheck("run", "-c", "ci/gated.yaml", cwd=project)
    assert gated.returncode == 3, gated.stdout + gated.stderr
    assert "checklist: this run's checklist is ci/gated.yaml" in gated.stdout
    assert tags(project) == []


def test_verify_fails_a_tag_made_with_a_checklist_outside_the_repository(stray: Path) -> None:
    proc = run_relcheck("verify", "v1.2.0", cwd=stray)
    assert proc.returncode == 1, proc.stdout
    head = git(stray, "rev-parse", "HEAD")[:9]
    assert (
        f"FAIL  checklist: the run used ../x/trivial.yaml, not relcheck.yaml as committed in "
        f"{head}" in proc.stdout
    )
    assert "release with the committed checklist (`relcheck run` without --checklist)" in (
        proc.stdout
    )
    assert "relcheck: v1.2.0 does not verify: 1 problem" in proc.stdout


def test_the_hook_refuses_to_push_a_tag_made_with_a_stray_checklist(stray: Path) -> None:
    refused = push(stray, "origin", "v1.2.0")
    assert refused.returncode != 0, refused.stderr
    assert "verified, pushed without running the checks again" not in refused.stderr
    assert "pre-push refused: v1.2.0 is a release tag" in refused.stderr
    assert "checklist: the run used ../x/trivial.yaml, not relcheck.yaml" in refused.stderr
    assert "fix: delete it with `git tag -d v1.2.0`, and let `relcheck run` make" in (
        refused.stderr
    )
    assert remote_tags(stray) == []


def test_a_tag_made_with_a_stray_checklist_is_not_already_released(stray: Path) -> None:
    again = run_relcheck("run", cwd=stray)
    output = again.stdout + again.stderr
    assert again.returncode != 0, output
    assert "already released" not in output
    assert "v1.2.0 is at the checked commit but is a tag whose run summary does not hold" in (
        output
    )
    assert "delete it with `git tag -d v1.2.0` and let relcheck make it" in output


def test_a_tag_made_with_another_committed_checklist_does_not_verify(project: Path) -> None:
    write(project / "app.py", "def broken(:\n")
    write(project / "ci" / "trivial.yaml", TRIVIAL)
    commit_all(project, "broken, and a checklist that checks nothing")
    _tag_as_made_by(project, "ci/trivial.yaml", TRIVIAL)
    proc = run_relcheck("verify", "v1.2.0", cwd=project)
    assert proc.returncode == 1, proc.stdout
    assert "FAIL  checklist: the run used ci/trivial.yaml, not relcheck.yaml" in proc.stdout
    refused = push(project, "origin", "v1.2.0")
    assert refused.returncode != 0
    assert remote_tags(project) == []


def test_the_checklist_pyproject_names_is_the_project_s(git_repo: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    with (git_repo / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.relcheck]\nchecklist = "ci/release.yaml"\n')
    write(git_repo / "ci" / "release.yaml", PROJECT)
    write(git_repo / "app.py", "x = 1\n")
    commit_all(git_repo, "checklist under ci/")
    assert cli_invoke("hook", "install", cwd=git_repo).exit_code == 0
    made = run_relcheck("run", cwd=git_repo)
    assert made.returncode == 0, made.stdout + made.stderr
    proc = run_relcheck("verify", "v1.2.0", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout
    assert "ok    checklist: ci/release.yaml at" in proc.stdout
    accepted = push(git_repo, "origin", "v1.2.0")
    assert accepted.returncode == 0, accepted.stderr
    assert "verified, pushed without running the checks again" in accepted.stderr
    assert remote_tags(git_repo) == ["v1.2.0"]


def test_a_release_run_from_a_subfolder_names_the_checklist_from_the_top(project: Path) -> None:
    (project / "docs").mkdir()
    made = run_relcheck("run", "-c", "../relcheck.yaml", cwd=project / "docs")
    assert made.returncode == 0, made.stdout + made.stderr
    proc = run_relcheck("verify", "v1.2.0", cwd=project)
    assert proc.returncode == 0, proc.stdout
    assert "Relcheck-Checklist: relcheck.yaml\n" in git(project, "cat-file", "tag", "v1.2.0")


def test_the_project_s_checklist_named_through_a_symlink_releases(
    project: Path, tmp_path: Path
) -> None:
    # `-c "$PWD/relcheck.yaml"` where $PWD is a symlinked folder: the same file.
    link = tmp_path / "link"
    link.symlink_to(project)
    made = run_relcheck("run", "-c", str(link / "relcheck.yaml"), cwd=project)
    assert made.returncode == 0, made.stdout + made.stderr
    assert tags(project) == ["v1.2.0"]
    assert run_relcheck("verify", "v1.2.0", cwd=project).returncode == 0


def test_a_tag_that_names_the_project_s_checklist_another_way_verifies(project: Path) -> None:
    # Made by a relcheck that recorded `-c ../relcheck.yaml` as given in a subfolder: the
    # checklist's content is the project's, so the run made the project's checks.
    _tag_as_made_by(project, "../relcheck.yaml", (project / "relcheck.yaml").read_text())
    proc = run_relcheck("verify", "v1.2.0", cwd=project)
    assert proc.returncode == 0, proc.stdout
