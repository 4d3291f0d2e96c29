"""The CI configurations and the pre-commit manifest shipped with relcheck are valid and
say what the CI guide (docs/how-to/ci.md) says."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from tests.helpers import commit_all, latest_record, run_relcheck, write

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
    assert "relcheck run --junit relcheck-junit.xml" in script
    assert "relcheck run --dry-run --junit relcheck-junit.xml" in script
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
    assert "relcheck run --junit relcheck-junit.xml" in script


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
