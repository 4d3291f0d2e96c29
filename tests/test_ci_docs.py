"""The CI configurations and the pre-commit manifest shipped with relcheck are valid and
say what the CI guide (docs/how-to/ci.md) says."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import commit_all, git, latest_record, run_relcheck, write

ROOT = Path(__file__).resolve().parent.parent
CI_GUIDE = (ROOT / "docs/how-to/ci.md").read_text()


def _load(name: str) -> object:
    return yaml.safe_load((ROOT / name).read_text())


def test_github_actions_workflow_runs_the_checklist_on_every_push() -> None:
    workflow = _load("docs/ci/github-actions.yml")
    assert isinstance(workflow, dict)
    # PyYAML reads the bare key `on` as True, as YAML 1.1 says.
    assert workflow[True]["push"]["branches"] == ["**"]
    assert workflow["permissions"]["contents"] == "write"
    steps = workflow["jobs"]["checklist"]["steps"]
    script = next(s["run"] for s in steps if s.get("name") == "Run the checklist")
    assert "relcheck run --release-if-new --junit relcheck-junit.xml" in script
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert ".relcheck/runs/" in upload["with"]["path"]


def test_gitlab_job_runs_on_every_branch_and_reports_junit() -> None:
    job = _load("docs/ci/gitlab-ci.yml")["relcheck"]  # type: ignore[index]
    assert job["rules"] == [{"if": "$CI_COMMIT_BRANCH"}]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "relcheck-junit.xml"
    script = "\n".join(job["script"])
    assert "RELCHECK_PUSH_TOKEN" in script
    assert "relcheck run --release-if-new --junit relcheck-junit.xml" in script


def test_the_ci_guide_shows_the_ci_files_exactly() -> None:
    for name in ("docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml"):
        assert f"```yaml\n{(ROOT / name).read_text()}```" in CI_GUIDE, name


def test_pre_commit_manifest_declares_a_pre_push_hook() -> None:
    (hook,) = _load(".pre-commit-hooks.yaml")  # type: ignore[misc]
    assert hook["id"] == "relcheck"
    assert hook["stages"] == ["pre-push"]
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert hook["always_run"] is True
    assert re.search(r"relcheck run --hook pre-push", hook["entry"])


def test_the_pre_commit_entry_checks_the_commit_pre_commit_names(git_repo: Path, checklist) -> None:  # type: ignore[no-untyped-def]
    """Run the manifest's entry as pre-commit does: PRE_COMMIT_* set, nothing on stdin."""
    (hook,) = _load(".pre-commit-hooks.yaml")  # type: ignore[misc]
    checklist(
        """
        version: 1
        steps:
          - id: check
            run: test "$(cat status.txt)" = good
        """,
        commit=False,
    )
    write(git_repo / "status.txt", "bad\n")
    bad = commit_all(git_repo, "bad")
    args = shlex.split(hook["entry"])
    assert args[0] == "relcheck"
    env = {
        "PRE_COMMIT": "1",
        "PRE_COMMIT_HOOK_STAGE": "pre-push",
        "PRE_COMMIT_FROM_REF": "0" * 40,
        "PRE_COMMIT_TO_REF": bad,
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
        "PRE_COMMIT_REMOTE_NAME": "origin",
    }
    proc = run_relcheck(*args[1:], cwd=git_repo, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pre-push refused" in proc.stderr
    assert latest_record(git_repo)["commit"] == bad


CI_CHECKLIST = """
version: 1
release:
  branch: main
  push: true
steps:
  - id: repo
    uses: git
  - id: check
    run: test "$(cat status.txt)" = good
  - id: tag
    uses: git-tag
"""


def _github_job(remote: Path, where: Path, branch: str) -> subprocess.CompletedProcess[str]:
    """The CI guide's GitHub job on a push to ``branch``, as the runner does it: a full
    clone on the branch (actions/checkout with fetch-depth 0), then the job's script."""
    git(where.parent, "clone", "-q", str(remote), str(where))
    git(where, "checkout", "-q", "-B", branch, f"refs/remotes/origin/{branch}")
    workflow = _load("docs/ci/github-actions.yml")
    steps = workflow["jobs"]["checklist"]["steps"]  # type: ignore[index]
    script = next(s["run"] for s in steps if s.get("name") == "Run the checklist")
    env = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_REF": f"refs/heads/{branch}",
        "GITHUB_REF_NAME": branch,
        "GITHUB_SHA": git(where, "rev-parse", "HEAD"),
        "GITHUB_STEP_SUMMARY": str(where.parent / f"{where.name}-summary.md"),
    }
    return _shell(script, where, env)


def _gitlab_job(remote: Path, where: Path, branch: str) -> subprocess.CompletedProcess[str]:
    """The CI guide's GitLab job on a push to ``branch``: a full clone with HEAD detached
    at the pushed commit, as GitLab's runner leaves it, then before_script and script
    (without the pip install)."""
    git(where.parent, "clone", "-q", str(remote), str(where))
    sha = git(where, "rev-parse", f"refs/remotes/origin/{branch}")
    git(where, "checkout", "-q", "--detach", sha)
    job = _load("docs/ci/gitlab-ci.yml")["relcheck"]  # type: ignore[index]
    lines = [line for line in job["before_script"] if not line.startswith("pip install")]
    env = {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_COMMIT_BRANCH": branch,
        "CI_COMMIT_SHA": sha,
        "CI_DEFAULT_BRANCH": "main",
        "CI_SERVER_HOST": "gitlab.example.invalid",
        "CI_PROJECT_PATH": "team/demo",
    }
    return _shell("\n".join([*lines, *job["script"]]), where, env)


def _shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # `relcheck` on PATH is this relcheck, as `pip install` makes it in the job.
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])
    return subprocess.run(
        ["sh", "-ec", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **env, "PATH": path},
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("job", [_github_job, _gitlab_job], ids=["github", "gitlab"])
def test_the_docs_ci_job_is_green_exactly_when_it_should_be(git_repo: Path, job) -> None:  # type: ignore[no-untyped-def]
    """Pushes in the order a team makes them, each followed by the docs' CI job."""
    remote = git_repo.parent / "remote.git"
    jobs = iter(range(100))

    def ci(branch: str) -> subprocess.CompletedProcess[str]:
        proc = job(remote, git_repo.parent / f"ci-{next(jobs)}", branch)
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        return proc

    write(git_repo / "relcheck.yaml", CI_CHECKLIST)
    write(git_repo / "status.txt", "good\n")
    commit_all(git_repo, "checklist")
    git(git_repo, "push", "-q", "origin", "main")
    first = ci("main")  # the first release
    assert first.returncode == 0, first.stdout + first.stderr
    assert git(remote, "tag", "--list") == "v1.2.0"

    # A feature branch whose check passes: green, nothing released.
    git(git_repo, "switch", "-q", "-c", "feature")
    write(git_repo / "feature.txt", "new\n")
    commit_all(git_repo, "feature")
    git(git_repo, "push", "-q", "origin", "feature")
    feature = ci("feature")
    assert feature.returncode == 0, feature.stdout + feature.stderr
    assert "the release would be refused: branch: on branch 'feature'" in feature.stdout
    assert "PASS" in feature.stdout and "check" in feature.stdout

    # A feature branch whose check fails: red with the checks' exit code, not 3.
    write(git_repo / "status.txt", "bad\n")
    commit_all(git_repo, "break it")
    git(git_repo, "push", "-q", "origin", "feature")
    broken = ci("feature")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    write(git_repo / "status.txt", "good\n")
    commit_all(git_repo, "fix it")
    git(git_repo, "push", "-q", "origin", "feature")

    # Merged to main without a version bump: nothing to release, green.
    git(git_repo, "switch", "-q", "main")
    git(git_repo, "merge", "-q", "--ff-only", "feature")
    git(git_repo, "push", "-q", "origin", "main")
    again = ci("main")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to release: v1.2.0 is already released at" in again.stdout
    if job is _github_job:  # a notice on the run's page, not an error
        assert "::notice title=relcheck%3A no release::nothing to release: v1.2.0" in again.stdout
        assert "::error" not in again.stdout
    assert git(remote, "tag", "--list") == "v1.2.0"

    # Main with a bump: released, and the tag reaches the remote.
    write(git_repo / "pyproject.toml", '[project]\nname = "demo"\nversion = "1.3.0"\n')
    changelog = (git_repo / "CHANGELOG.md").read_text()
    write(
        git_repo / "CHANGELOG.md",
        changelog.replace("## [1.2.0]", "## [1.3.0] - 2026-11-30\n- More.\n\n## [1.2.0]"),
    )
    commit_all(git_repo, "release 1.3.0")
    git(git_repo, "push", "-q", "origin", "main")
    bump = ci("main")
    assert bump.returncode == 0, bump.stdout + bump.stderr
    assert git(remote, "tag", "--list").split() == ["v1.2.0", "v1.3.0"]
