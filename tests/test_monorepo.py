"""A repository of several packages: each package's checklist (beside its own
pyproject.toml) releases that package's version, with its changelog, under its tag
template; the top-level project keeps releasing its own. Real runs, a bare remote."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import commit_all, git, run_relcheck, tags, write

PACKAGE = """
version: 1
release:
  tag: "pkg-a-{version}"
steps:
  - id: repo
    uses: git
  - id: unit
    run: "true"
  - id: tag
    uses: git-tag
"""


def _monorepo(repo: Path) -> Path:
    """git_repo (its own project at version 1.2.0) with a package at 1.0.0."""
    package = repo / "packages" / "a"
    write(package / "pyproject.toml", '[project]\nname = "a"\nversion = "1.0.0"\n')
    write(package / "CHANGELOG.md", "# Changelog\n\n## 1.0.0\n- The first.\n")
    write(package / "relcheck.yaml", PACKAGE)
    commit_all(repo, "package a")
    git(repo, "push", "-q", "origin", "main")
    return package


def test_a_package_s_checklist_releases_the_package_s_version(git_repo: Path) -> None:
    package = _monorepo(git_repo)
    proc = run_relcheck("run", "-c", "relcheck.yaml", cwd=package)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tags(git_repo) == ["pkg-a-1.0.0"]
    verified = run_relcheck("verify", "pkg-a-1.0.0", cwd=git_repo)
    assert verified.returncode == 0, verified.stdout
    assert "packages/a/pyproject.toml's version" in verified.stdout
    # The same from the top of the repository: the tag is made, nothing to do again.
    again = run_relcheck("run", "-c", "packages/a/relcheck.yaml", cwd=git_repo)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already released" in again.stdout
    assert tags(git_repo) == ["pkg-a-1.0.0"]


def test_a_package_version_its_pyproject_does_not_declare_is_refused(git_repo: Path) -> None:
    package = _monorepo(git_repo)
    proc = run_relcheck("run", "-c", "relcheck.yaml", "--version", "1.0.1", cwd=package)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "but packages/a/pyproject.toml says 1.0.0" in proc.stdout
    assert tags(git_repo) == []


def test_the_top_level_project_still_releases_its_own_version(git_repo: Path) -> None:
    _monorepo(git_repo)
    write(git_repo / "relcheck.yaml", PACKAGE.replace('"pkg-a-{version}"', '"v{version}"'))
    commit_all(git_repo, "the top-level checklist")
    git(git_repo, "push", "-q", "origin", "main")
    proc = run_relcheck("run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tags(git_repo) == ["v1.2.0"]


def test_a_package_is_not_judged_by_the_top_level_project_s_releases(git_repo: Path) -> None:
    # The top-level project released 2.0.0 as v2.0.0; package a is at 1.0.0, its first.
    git(git_repo, "tag", "-a", "-m", "release 2.0.0", "v2.0.0")
    git(git_repo, "push", "-q", "origin", "v2.0.0")
    package = _monorepo(git_repo)
    proc = run_relcheck("run", "-c", "relcheck.yaml", cwd=package)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "v2.0.0" not in proc.stdout
    assert sorted(tags(git_repo)) == ["pkg-a-1.0.0", "v2.0.0"]
