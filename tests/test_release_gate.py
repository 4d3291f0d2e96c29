"""The release gate at its edges: what may skip, select, interrupt or crash around the
release steps, through real `relcheck` processes on real repositories."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.helpers import (
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    make_plugin,
    run_relcheck,
    start_relcheck,
    step_record,
    tags,
    write,
)


def _tag_checklist(repo: Path, extra: str = "") -> None:
    write(
        repo / "relcheck.yaml",
        f"""
        version: 1
        steps:
          - id: unit
            run: "true"
          - id: tag
            uses: git-tag
        {extra}""",
    )
    commit_all(repo, "checklist")


def test_skipping_a_release_step_is_refused_and_no_tag_is_made(git_repo: Path) -> None:
    _tag_checklist(git_repo)
    proc = run_relcheck("run", "--skip", "tag", "--reason", "not today", cwd=git_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--skip cannot skip release step 'tag'" in proc.stderr
    assert "--dry-run" in proc.stderr
    assert tags(git_repo) == []
    assert_no_traceback(proc)


def test_only_naming_a_release_step_is_refused_with_exit_2(git_repo: Path) -> None:
    _tag_checklist(git_repo)
    proc = run_relcheck("run", "--only", "tag", cwd=git_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--only cannot select release step 'tag'" in proc.stderr
    assert "relcheck release --from-records" in proc.stderr
    assert tags(git_repo) == []
    assert_no_traceback(proc)


def _interrupt_tag_push(repo: Path, tmp_path: Path, sig: int):  # type: ignore[no-untyped-def]
    """Run with a tag push that hangs (an ssh that never answers); signal it there."""
    write(
        repo / "relcheck.yaml",
        """
        version: 1
        release:
          push: true
        steps:
          - id: unit
            run: "true"
          - id: tag
            uses: git-tag
            with: {push_timeout: 60s}
        """,
    )
    commit_all(repo, "checklist")
    git(repo, "remote", "set-url", "origin", "ssh://git@example.invalid/repo.git")
    pushing = tmp_path / "pushing"
    # The push hangs; the `git ls-remote` asked afterwards fails at once (unreachable).
    ssh = write(
        tmp_path / "ssh.sh",
        f"""
        #!/bin/sh
        case "$*" in *receive-pack*) touch {pushing}; sleep 60;; esac
        echo "ssh: connect to host example.invalid: Connection refused" >&2
        exit 255
        """,
    )
    ssh.chmod(0o755)
    proc = start_relcheck("run", "--no-progress", cwd=repo, env={"GIT_SSH_COMMAND": str(ssh)})
    deadline = time.monotonic() + 60
    while not pushing.exists():
        assert time.monotonic() < deadline and proc.poll() is None, "the push never started"
        time.sleep(0.05)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out + err


def test_sigint_during_the_tag_push_exits_130_and_keeps_the_tag_the_remote_may_have(
    git_repo: Path, tmp_path: Path
) -> None:
    code, output = _interrupt_tag_push(git_repo, tmp_path, signal.SIGINT)
    assert code == 130, output
    record = latest_record(git_repo)
    assert record["outcome"] == "interrupted"
    summary = step_record(record, "tag")["summary"]
    assert step_record(record, "tag")["status"] == "interrupted"
    # Nobody can say whether the stopped push landed: the tag stays, and the fix is said.
    assert "could not ask origin whether it has v1.2.0" in summary
    assert "the local tag is kept" in summary
    assert "git ls-remote origin refs/tags/v1.2.0" in summary
    assert tags(git_repo) == ["v1.2.0"]
    assert "Traceback" not in output


def test_sigterm_during_the_tag_push_exits_143(git_repo: Path, tmp_path: Path) -> None:
    code, output = _interrupt_tag_push(git_repo, tmp_path, signal.SIGTERM)
    assert code == 143, output
    assert latest_record(git_repo)["outcome"] == "terminated"
    assert "the local tag is kept" in output


CRASHING_DESCRIBE = """
from dataclasses import dataclass
from typing import ClassVar

from relcheck.api import Runner, Status, StepResult


@dataclass(frozen=True)
class Params:
    __pydantic_config__: ClassVar[dict] = {"extra": "forbid"}


class BrokenRelease(Runner):
    name = "broken-release"
    Params = Params
    release = True

    def run(self, params, ctx):
        return StepResult(Status.PASSED, "released")

    @staticmethod
    def describe(params, checklist, info):
        raise RuntimeError("describe is broken")
"""


def test_a_crash_after_steps_finished_keeps_their_results_in_the_record(
    git_repo: Path, tmp_path: Path
) -> None:
    make_plugin(
        tmp_path / "plugins", {"broken-release": "demo_plugin:BrokenRelease"}, CRASHING_DESCRIBE
    )
    write(
        git_repo / "relcheck.yaml",
        """
        version: 1
        steps:
          - id: unit
            run: "echo unit-ran"
          - id: tag
            uses: broken-release
        """,
    )
    commit_all(git_repo, "checklist")
    proc = run_relcheck(
        "run", "--dry-run", cwd=git_repo, env={"PYTHONPATH": str(tmp_path / "plugins")}
    )
    assert proc.returncode == 70, proc.stdout + proc.stderr
    record = latest_record(git_repo)
    assert record["outcome"] == "error"
    assert step_record(record, "unit")["status"] == "passed"


def test_junit_to_a_dash_is_refused_and_writes_no_file_named_dash(git_repo: Path) -> None:
    _tag_checklist(git_repo)
    proc = run_relcheck("run", "--dry-run", "--junit", "-", cwd=git_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--junit needs a file path" in proc.stderr
    assert not (git_repo / "-").exists()
    assert_no_traceback(proc)


def test_an_empty_version_is_refused_by_run_and_release(git_repo: Path, tmp_path: Path) -> None:
    _tag_checklist(git_repo)
    proc = run_relcheck("run", "--version", "", cwd=git_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--version must not be empty" in proc.stderr
    assert tags(git_repo) == []
    (tmp_path / "records").mkdir()
    proc = run_relcheck(
        "release", "--from-records", str(tmp_path / "records"), "--version", " ", cwd=git_repo
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--version must not be empty" in proc.stderr
