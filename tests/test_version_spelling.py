"""A version spelt with a leading `v` (PEP 440 reads `v1.3.0` as 1.3.0) is released as
its version: the tag is the template's, never a doubled `vv1.3.0`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import (
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    remote_tags,
    run_relcheck,
    step_record,
    tags,
    write,
)

CHECKLIST = """
version: 1
release:
  branch: main
  push: true{extra}
steps:
  - id: repo
    uses: git
  - id: check
    run: "true"
  - id: tag
    uses: git-tag
"""


def _project(repo: Path, version: str | None, heading: str, extra: str = "") -> None:
    write(repo / "relcheck.yaml", CHECKLIST.format(extra=extra))
    if version is None:
        (repo / "pyproject.toml").unlink()
    else:
        write(repo / "pyproject.toml", f'[project]\nname = "demo"\nversion = "{version}"\n')
    write(repo / "CHANGELOG.md", f"# Changelog\n\n## {heading}\n- Things.\n")
    commit_all(repo, "release")
    git(repo, "push", "-q", "origin", "main")


def _released(repo: Path, proc: subprocess.CompletedProcess[str], tag: str) -> None:
    assert_no_traceback(proc)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert f"vv{tag.lstrip('v')}" not in out
    assert tags(repo) == [tag]
    assert remote_tags(repo) == [tag]
    record = latest_record(repo)
    assert (record["version"], record["tag"]) == ("1.3.0", tag)
    assert step_record(record, "check")["status"] == "passed"


@pytest.mark.parametrize("spelt", ["v1.3.0", "V1.3.0"])
def test_a_v_in_the_pyproject_version_is_not_doubled_in_the_tag(git_repo: Path, spelt: str) -> None:
    _project(git_repo, spelt, "v1.3.0")
    proc = run_relcheck("run", cwd=git_repo)
    _released(git_repo, proc, "v1.3.0")


def test_the_changelog_section_of_a_v_spelt_version_is_found(git_repo: Path) -> None:
    _project(git_repo, "v1.3.0", "v1.3.0")
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "would tag v1.3.0 at" in proc.stdout
    repo = step_record(latest_record(git_repo), "repo")
    assert repo["status"] == "passed"
    assert "changelog: CHANGELOG.md:3 is the section for 1.3.0" in repo["details"]


@pytest.mark.parametrize("source", ["git-describe", "cli"])
def test_a_ci_tag_name_passed_as_version_is_not_doubled(git_repo: Path, source: str) -> None:
    # A tag build's natural call: relcheck run --version "$GITHUB_REF_NAME".
    _project(git_repo, None, "[1.3.0] - 2026-12-01", extra=f"\n  version_from: {source}")
    proc = run_relcheck("run", "--version", "v1.3.0", cwd=git_repo)
    _released(git_repo, proc, "v1.3.0")


def test_a_v_spelt_version_agrees_with_pyproject_spelt_without_it(git_repo: Path) -> None:
    _project(git_repo, "1.3.0", "1.3.0")
    proc = run_relcheck("run", "--version", "v1.3.0", cwd=git_repo)
    _released(git_repo, proc, "v1.3.0")


def test_the_template_alone_decides_whether_the_tag_has_a_v(git_repo: Path) -> None:
    _project(git_repo, "v1.3.0", "1.3.0", extra='\n  tag: "{version}"')
    proc = run_relcheck("run", cwd=git_repo)
    _released(git_repo, proc, "1.3.0")
