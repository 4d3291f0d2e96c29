"""Projects released twice by relcheck: real git, real pytest, real tags and records."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit_all, run_relcheck, tags, write


class Project:
    """A repository whose releases are made by `relcheck run` (the git-tag step)."""

    def __init__(self, repo: Path, url: str) -> None:
        self.repo = repo
        self.url = url

    def checklist(self, gates: str = "", http: str = "/ok", http_gates: str = "") -> None:
        write(
            self.repo / "relcheck.yaml",
            f"""
            version: 1
            steps:
              - id: unit
                uses: pytest
                with: {{args: [-q, -p, no:cacheprovider, tests]}}
                owner: qa-team
                expect: every test passes
                rollback: revert the release commit
                {gates}
              - id: health
                uses: http
                with: {{url: "{self.url}{http}", repeat: 3}}
                {http_gates}
              - id: tag
                uses: git-tag
            """,
        )

    def tests(self, count: int) -> None:
        folder = self.repo / "tests"
        for old in folder.glob("test_*.py"):
            old.unlink()
        for n in range(count):
            write(folder / f"test_{n}.py", f"def test_{n}():\n    assert True\n")

    def version(self, version: str, note: str) -> None:
        pyproject = self.repo / "pyproject.toml"
        pyproject.write_text(f'[project]\nname = "demo"\nversion = "{version}"\n')
        changelog = self.repo / "CHANGELOG.md"
        text = changelog.read_text().replace(
            "# Changelog\n", f"# Changelog\n\n## [{version}] - 2026-11-28\n### Changed\n- {note}\n"
        )
        changelog.write_text(text)

    def release(self, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        commit_all(self.repo, "prepare release")
        return run_relcheck("run", "--no-progress", *args, cwd=self.repo, env=env)


@pytest.fixture
def project(git_repo: Path, http_server: str) -> Project:
    """v1.0.0 released with 4 tests; the working tree at version 1.1.0, not released."""
    p = Project(git_repo, http_server)
    p.checklist()
    p.tests(4)
    p.version("1.0.0", "First release.")
    first = p.release()
    assert first.returncode == 0, first.stdout + first.stderr
    assert tags(git_repo) == ["v1.0.0"]
    p.version("1.1.0", "Second release.")
    return p
