"""A project released twice, then broken: the runs an HTML report is made of."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import commit_all, run_relcheck, write

CHECKLIST = """
version: 1
steps:
  - id: lint
    run: sleep 0.4
  - id: unit
    uses: pytest
    with: {args: [-q, -p, no:cacheprovider, tests]}
  - id: smoke
    needs: [lint]
    run: |
      sleep 0.2
      if [ -f broken ]; then
        echo 'GET /health -> 503 <script>alert("owned")</script>'
        echo '<img src="https://example.invalid/x.png">'
        exit 1
      fi
    owner: web-team
    expect: /health answers 200
    rollback: redeploy the previous release
  - id: tag
    uses: git-tag
"""


def release(repo: Path, version: str, tests: int, *, broken: bool = False) -> str:
    """Commit version ``version`` with ``tests`` tests and run relcheck; its stdout."""
    (repo / "pyproject.toml").write_text(f'[project]\nname = "demo"\nversion = "{version}"\n')
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace("# Changelog\n", f"# Changelog\n\n## [{version}]\n- x\n")
    )
    for n in range(tests):
        write(repo / "tests" / f"test_{n}.py", f"def test_{n}():\n    assert True\n")
    if broken:
        (repo / "broken").write_text("")
    commit_all(repo, f"release {version}")
    proc = run_relcheck("run", "--no-progress", cwd=repo)
    assert proc.returncode == (1 if broken else 0), proc.stdout + proc.stderr
    return proc.stdout


def make_history(repo: Path) -> None:
    """v1.0.0 (3 tests), v1.1.0 (5 tests), then a failed run for 1.2.0."""
    write(repo / "relcheck.yaml", CHECKLIST)
    release(repo, "1.0.0", 3)
    release(repo, "1.1.0", 5)
    release(repo, "1.2.0", 6, broken=True)
