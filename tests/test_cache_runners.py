"""Which runners' passes are reused: a real plugin distribution declares the attributes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from relcheck.runners import registry
from tests.helpers import latest_record, write

PLUGIN = '''
from dataclasses import dataclass
from typing import Any, ClassVar

from relcheck.api import Runner, Status, StepResult


@dataclass(frozen=True)
class Params:
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
    path: str = "src"
    cache_me: bool = True


class FilesCheck(Runner):
    """Passes; its result depends only on the files."""

    name = "files-check"
    Params = Params
    cacheable = True
    version = "{version}"

    @staticmethod
    def cacheable_for(params: Params) -> bool:
        return params.cache_me

    def run(self, params: Params, ctx: Any) -> StepResult:
        return StepResult(Status.PASSED, "files fine")


class RepoPrecondition(FilesCheck):
    """Would be cacheable, but a precondition looks at the repository's state."""

    name = "repo-precondition"
    precondition = True
'''


def install_plugin(site: Path, version: str) -> None:
    # Bytecode is checked by the source's size and whole-second mtime: a new version
    # of the same size written within the second would be served from the old one's.
    shutil.rmtree(site / "__pycache__", ignore_errors=True)
    write(site / "demo_cache_plugin.py", PLUGIN.replace("{version}", version))
    dist = site / "demo_cache_plugin-0.1.dist-info"
    write(dist / "METADATA", "Metadata-Version: 2.1\nName: demo-cache-plugin\nVersion: 0.1\n")
    write(
        dist / "entry_points.txt",
        "[relcheck.runners]\n"
        "files-check = demo_cache_plugin:FilesCheck\n"
        "repo-precondition = demo_cache_plugin:RepoPrecondition\n",
    )


def forget_runners() -> None:
    import sys

    registry.reset()
    sys.modules.pop("demo_cache_plugin", None)


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    install_plugin(site, "1")
    monkeypatch.syspath_prepend(str(site))
    forget_runners()
    yield site
    forget_runners()


def statuses(repo: Path) -> dict[str, str]:
    return {s["id"]: s["status"] for s in latest_record(repo)["steps"]}


CHECKLIST = """
version: 1
steps:
  - id: pre
    uses: repo-precondition
  - id: files
    uses: files-check
  - id: not-for-this-step
    uses: files-check
    with: {cache_me: false}
  - id: opted-out
    uses: files-check
    cache: false
"""


def test_a_cacheable_runner_is_reused_unless_it_or_the_step_says_otherwise(
    plugin_site: Path, git_repo: Path, checklist, cli_invoke
) -> None:
    checklist(CHECKLIST)
    assert cli_invoke("run", "--dry-run", cwd=git_repo).exit_code == 0
    assert cli_invoke("run", "--dry-run", cwd=git_repo).exit_code == 0
    assert statuses(git_repo) == {
        "pre": "passed",
        "files": "cached",
        "not-for-this-step": "passed",
        "opted-out": "passed",
    }


def test_a_new_runner_version_runs_the_step_again(
    plugin_site: Path, git_repo: Path, checklist, cli_invoke
) -> None:
    checklist(CHECKLIST)
    cli_invoke("run", "--dry-run", cwd=git_repo)
    install_plugin(plugin_site, "2")
    forget_runners()
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo)["files"] == "passed"
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo)["files"] == "cached"
