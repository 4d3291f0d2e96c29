"""A checklist whose steps end every way a step can: passed, failed, skipped, error,
timed out, and an optional failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

SECRET = "s3cr3t-value-1234"

MIXED = """
version: 1
steps:
  - id: ok
    run: echo all good
  - id: bad
    run: 'echo first line; echo "token=$DEPLOY_TOKEN"; exit 3'
    owner: qa-team
    expect: exit code 0
  - id: after
    needs: [bad]
    run: "true"
  - id: broken
    run: [no-such-tool-for-relcheck-tests]
  - id: slow
    run: sleep 5
    timeout: 300ms
  - id: maybe
    run: 'echo flaky; exit 1'
    optional: true
"""


@pytest.fixture
def mixed(git_repo: Path, checklist, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """git_repo with the MIXED checklist, and a secret in the environment."""
    monkeypatch.setenv("DEPLOY_TOKEN", SECRET)
    checklist(MIXED)
    return git_repo


FINDINGS_PLUGIN = '''
import os

from relcheck.api import Annotation, Runner, Status, StepResult


class Findings(Runner):
    """Reports two findings, as a linter that knows files and lines would."""

    name = "findings"

    def run(self, params, ctx):
        secret = os.environ["DEPLOY_TOKEN"]
        return StepResult(
            Status.FAILED,
            "2 findings",
            annotations=(
                Annotation(f"E501 line too long (token {secret})", "pkg/mod.py", 3, 5),
                Annotation("W291 trailing whitespace", "pkg/mod.py", 7, 1, "warning"),
            ),
        )
'''


@pytest.fixture
def findings_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real plugin distribution with a `findings` runner, on sys.path for this test."""
    from relcheck.runners import registry
    from tests.helpers import make_plugin

    folder = make_plugin(
        tmp_path / "plugins",
        {"findings": "findings_plugin:Findings"},
        FINDINGS_PLUGIN,
        dist="findings_plugin",
    )
    monkeypatch.syspath_prepend(str(folder))
    registry.installed.cache_clear()
    registry.load.cache_clear()
    yield "findings"
    registry.installed.cache_clear()
    registry.load.cache_clear()
