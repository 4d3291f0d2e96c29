"""The `git-tag` release step through real `relcheck run` processes: the tag appears only
when every required step passed, on the checked commit, and never half made."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from relcheck.models import Checklist, ReleaseConfig, RunInfo
from relcheck.runners.git_tag import GitTagParams, GitTagRunner
from tests.helpers import (
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    run_relcheck,
    step_record,
    tags,
    write,
)


def _checklist(
    repo: Path, steps: str, release: str = "", *, tag_with: str = "", commit: bool = True
) -> None:
    write(
        repo / "relcheck.yaml",
        f"""
version: 1
release:
  tag: "v{{version}}"
{release}
steps:
{steps}
  - id: tag
    uses: git-tag
    with: {{{tag_with}}}
""",
    )
    if commit:
        commit_all(repo, "checklist")
        if "push: true" in release:  # a pushed tag needs its commit on the remote
            git(repo, "push", "-q", "origin", "main")


_CHECKS = """
  - id: repo
    uses: git
  - id: lint
    run: "true"
  - id: unit
    run: [python, -c, "print('42 passed')"]
  - id: docs
    run: "exit 3"
    optional: true
"""


def _run(repo: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    proc = run_relcheck("run", *args, cwd=repo, env=env)
    assert_no_traceback(proc)
    return proc, latest_record(repo)


def test_passing_run_creates_an_annotated_tag_listing_every_step(git_repo: Path) -> None:
    _checklist(git_repo, _CHECKS)
    head = git(git_repo, "rev-parse", "HEAD")
    proc, record = _run(git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"created tag v1.2.0 at {head[:9]}" in proc.stdout
    assert git(git_repo, "cat-file", "-t", "v1.2.0") == "tag"  # annotated
    assert git(git_repo, "rev-parse", "v1.2.0^{commit}") == head
    shown = git(git_repo, "show", "-s", "v1.2.0")
    for line in (
        "Release v1.2.0",
        f"Relcheck-Run: {record['run_id']}",
        f"Relcheck-Commit: {head}",
        f"Relcheck-Checklist-Sha256: {record['checklist_sha256']}",
        "Relcheck-Step: repo passed required",
        "Relcheck-Step: lint passed required",
        "Relcheck-Step: unit passed required",
        "Relcheck-Step: docs failed optional",
    ):
        assert line in shown, shown
    assert "PASSED      unit" in shown and "FAILED?     docs" in shown
    tag = step_record(record, "tag")
    assert tag["status"] == "passed"
    assert tag["metrics"]["tag_object"] == git(git_repo, "rev-parse", "v1.2.0")


def test_failing_required_step_leaves_no_tag_and_exits_1(git_repo: Path) -> None:
    _checklist(git_repo, _CHECKS + '  - id: integration\n    run: "exit 1"\n')
    proc, record = _run(git_repo)
    assert proc.returncode == 1, proc.stdout
    assert tags(git_repo) == []
    assert step_record(record, "tag")["status"] == "skipped"
    assert "not run: required step 'integration' failed" in step_record(record, "tag")["reason"]


def test_dry_run_says_what_it_would_tag_and_tags_nothing(git_repo: Path) -> None:
    _checklist(git_repo, _CHECKS, "  push: true\n  remote: origin")
    head = git(git_repo, "rev-parse", "HEAD")
    proc, record = _run(git_repo, "--dry-run")
    assert proc.returncode == 0, proc.stdout
    assert f"would tag v1.2.0 at {head[:7]} and push to origin" in proc.stdout
    assert record["outcome"] == "passed"
    assert tags(git_repo) == []
    assert git(git_repo, "ls-remote", "--tags", "origin") == ""


def test_push_true_pushes_the_tag_to_the_remote(git_repo: Path, tmp_path: Path) -> None:
    _checklist(git_repo, _CHECKS, "  push: true", tag_with="title: Ship 1.2.0")
    proc, _ = _run(git_repo)
    assert proc.returncode == 0, proc.stdout
    assert "and pushed it to origin" in proc.stdout
    assert git(git_repo, "tag", "-l", "--format=%(contents:subject)", "v1.2.0") == "Ship 1.2.0"
    remote = git(tmp_path / "remote.git", "rev-parse", "v1.2.0^{commit}")
    assert remote == git(git_repo, "rev-parse", "HEAD")


def test_rejected_push_removes_the_local_tag_and_exits_1(git_repo: Path, tmp_path: Path) -> None:
    _checklist(git_repo, _CHECKS, "  push: true")
    hook = tmp_path / "remote.git" / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\necho 'tags are frozen today' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    proc, record = _run(git_repo)
    assert proc.returncode == 1, proc.stdout
    tag = step_record(record, "tag")
    assert tag["status"] == "failed"
    assert (
        "pushing v1.2.0 to origin failed: remote rejected (pre-receive hook declined); "
        in tag["summary"]
    )
    assert "the local tag was removed, so a rerun starts clean" in tag["summary"]
    assert any("tags are frozen today" in d for d in tag["details"])
    assert record["outcome"] == "failed"
    assert tags(git_repo) == []

    hook.unlink()  # the remote accepts again: the rerun releases normally
    proc, _ = _run(git_repo)
    assert proc.returncode == 0, proc.stdout
    assert tags(git_repo) == ["v1.2.0"]


def test_push_to_a_remote_that_is_gone_removes_the_local_tag(
    git_repo: Path, tmp_path: Path
) -> None:
    steps = '  - id: unit\n    run: "true"\n'  # no precondition asks the remote first
    _checklist(git_repo, steps, "  push: true")
    shutil.rmtree(tmp_path / "remote.git")
    proc, record = _run(git_repo)
    assert proc.returncode == 1, proc.stdout
    summary = step_record(record, "tag")["summary"]
    assert "the local tag was removed" in summary
    assert f"failed: '{tmp_path / 'remote.git'}' does not appear to be a git repository;" in (
        summary
    )
    assert "the repository exists" not in summary
    assert tags(git_repo) == []


def test_a_push_that_gets_no_answer_is_stopped_and_the_tag_kept_as_nobody_knows(
    git_repo: Path,
) -> None:
    _checklist(
        git_repo, '  - id: unit\n    run: "true"\n', "  push: true", tag_with="push_timeout: 1s"
    )
    git(git_repo, "remote", "set-url", "origin", "ssh://git@example.invalid/repo.git")
    proc, record = _run(git_repo, env={"GIT_SSH_COMMAND": "sleep 60 #"})
    assert proc.returncode == 1, proc.stdout
    summary = step_record(record, "tag")["summary"]
    assert "pushing v1.2.0 to origin failed: no answer within 1s;" in summary
    # The remote does not answer `git ls-remote` either: the push may have landed.
    assert "could not ask origin whether it has v1.2.0 (no answer within 1s)" in summary
    assert "the local tag is kept" in summary
    assert tags(git_repo) == ["v1.2.0"]


def test_a_commit_made_during_the_run_prevents_the_tag(git_repo: Path) -> None:
    steps = '  - id: sneaky\n    run: [git, commit, -q, --allow-empty, -m, "during the run"]\n'
    _checklist(git_repo, steps)
    checked = git(git_repo, "rev-parse", "HEAD")
    proc, record = _run(git_repo)
    assert proc.returncode == 1, proc.stdout
    # The step that committed is named; the release step does not run.
    assert "step 'sneaky' moved HEAD during this run" in proc.stdout
    assert step_record(record, "tag")["status"] == "skipped"
    assert record["commit"] == checked
    assert tags(git_repo) == []


def test_an_existing_tag_is_never_moved(git_repo: Path) -> None:
    old = git(git_repo, "rev-parse", "HEAD")
    git(git_repo, "tag", "-a", "-m", "earlier", "v1.2.0")
    _checklist(git_repo, '  - id: unit\n    run: "true"\n')  # no precondition
    proc, record = _run(git_repo)
    assert proc.returncode == 1, proc.stdout
    assert f"v1.2.0 already exists at {old[:9]}" in step_record(record, "tag")["summary"]
    assert git(git_repo, "rev-parse", "v1.2.0^{commit}") == old


def test_a_tag_relcheck_made_on_the_checked_commit_is_reported_as_released(
    git_repo: Path,
) -> None:
    _checklist(git_repo, '  - id: unit\n    run: "true"\n')  # no precondition
    proc, _ = _run(git_repo)
    assert proc.returncode == 0, proc.stdout
    before = git(git_repo, "rev-parse", "v1.2.0")
    proc, _ = _run(git_repo)
    assert proc.returncode == 0, proc.stdout
    assert "v1.2.0 is already released at" in proc.stdout
    assert git(git_repo, "rev-parse", "v1.2.0") == before


def test_a_hand_made_tag_on_the_checked_commit_is_refused(git_repo: Path) -> None:
    _checklist(git_repo, '  - id: unit\n    run: "true"\n')  # no precondition
    git(git_repo, "tag", "v1.2.0")
    before = git(git_repo, "rev-parse", "v1.2.0")
    proc, record = _run(git_repo)
    assert proc.returncode == 1, proc.stdout
    tag = step_record(record, "tag")
    assert tag["status"] == "failed"
    assert "v1.2.0 is at the checked commit but is a lightweight tag" in tag["summary"]
    assert "already released" not in proc.stdout
    assert git(git_repo, "rev-parse", "v1.2.0") == before


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("v1.0;rm -rf ~", "a tag name cannot contain ' ', '~'"),
        ("v1..0", "a tag name cannot contain '..'"),
        ("--upload-pack=x{version}", "a tag name cannot start with '-'"),
    ],
)
def test_a_bad_tag_name_is_refused_at_load_time_with_exit_2(
    git_repo: Path, template: str, why: str
) -> None:
    write(
        git_repo / "relcheck.yaml",
        f"""
version: 1
release:
  tag: "{template}"
steps:
  - id: unit
    run: [touch, ran]
  - id: tag
    uses: git-tag
""",
    )
    proc = run_relcheck("run", cwd=git_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "relcheck.yaml:3:8: release.tag" in proc.stderr and why in proc.stderr
    assert not (git_repo / "ran").exists()
    assert tags(git_repo) == []


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")
def test_signed_tag_verifies_with_git_tag_v(git_repo: Path, tmp_path: Path) -> None:
    key = tmp_path / "signing-key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "release", "-f", str(key)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"relcheck@example.invalid {key.with_suffix('.pub').read_text()}")
    git(git_repo, "config", "gpg.format", "ssh")
    git(git_repo, "config", "user.signingkey", str(key))
    git(git_repo, "config", "gpg.ssh.allowedSignersFile", str(signers))
    _checklist(git_repo, '  - id: unit\n    run: "true"\n', "  sign: true")
    proc, record = _run(git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "created signed tag v1.2.0" in proc.stdout
    assert step_record(record, "tag")["metrics"]["signed"] is True
    verified = subprocess.run(
        ["git", "tag", "-v", "v1.2.0"], cwd=git_repo, capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stderr
    assert 'Good "git" signature for relcheck@example.invalid' in verified.stderr


def test_signing_that_cannot_work_fails_the_step_and_leaves_no_tag(git_repo: Path) -> None:
    git(git_repo, "config", "gpg.format", "ssh")
    git(git_repo, "config", "user.signingkey", str(git_repo / "no-such-key"))
    _checklist(git_repo, '  - id: unit\n    run: "true"\n', "  sign: true")
    proc, record = _run(git_repo)
    assert proc.returncode == 1, proc.stdout
    assert "could not create v1.2.0" in step_record(record, "tag")["summary"]
    assert tags(git_repo) == []


def test_a_git_error_while_tagging_is_said_without_the_raw_command_line(git_repo: Path) -> None:
    _checklist(git_repo, '  - id: unit\n    run: "true"\n')
    lock = git_repo / ".git" / "refs" / "tags" / "v1.2.0.lock"  # another git holds the ref
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    proc, record = _run(git_repo)
    assert proc.returncode == 1, proc.stdout
    summary = step_record(record, "tag")["summary"]
    assert summary.startswith(
        "could not create v1.2.0: git tag failed: cannot lock ref 'refs/tags/v1.2.0'"
    ), summary
    assert "--cleanup=verbatim" not in summary and "fatal:" not in summary
    assert tags(git_repo) == []


def test_describe_names_the_tag_the_commit_signing_and_the_remote(git_repo: Path) -> None:
    import hashlib

    text = "version: 1\nsteps:\n  - {id: tag, uses: git-tag}\n"
    write(git_repo / "relcheck.yaml", text)
    commit_all(git_repo, "checklist")  # a tag proves a release of the committed checklist
    sha = hashlib.sha256(text.encode()).hexdigest()
    head = git(git_repo, "rev-parse", "HEAD")
    info = RunInfo(
        "r", str(git_repo), "relcheck.yaml", sha, head, "main", "1.2.0", "v1.2.0", "0.1.0"
    )
    plain = Checklist("relcheck.yaml", sha, 1, ())
    signed = Checklist(
        "relcheck.yaml", sha, 1, (), release=ReleaseConfig(sign=True, push=True, remote="up")
    )
    assert GitTagRunner.describe(GitTagParams(), plain, info) == f"would tag v1.2.0 at {head[:7]}"
    assert (
        GitTagRunner.describe(GitTagParams(), signed, info)
        == f"would tag v1.2.0 at {head[:7]} (signed) and push to up"
    )


def test_dry_run_fails_when_the_tag_exists_at_another_commit(git_repo: Path) -> None:
    old = git(git_repo, "rev-parse", "HEAD")
    git(git_repo, "tag", "-a", "-m", "earlier", "v1.2.0")
    _checklist(git_repo, '  - id: unit\n    run: "true"\n')  # no precondition
    proc, record = _run(git_repo, "--dry-run")
    assert proc.returncode == 1, proc.stdout
    assert f"dry run: would fail: tag v1.2.0 exists at {old[:9]}" in proc.stdout
    assert "would tag" not in proc.stdout
    assert record["outcome"] == "failed"
    assert step_record(record, "tag")["status"] == "failed"
    assert git(git_repo, "rev-parse", "v1.2.0^{commit}") == old


def test_dry_run_fails_when_head_moves_during_the_run(git_repo: Path) -> None:
    steps = '  - id: sneaky\n    run: [git, commit, -q, --allow-empty, -m, "during the run"]\n'
    _checklist(git_repo, steps)
    checked = git(git_repo, "rev-parse", "HEAD")
    proc, record = _run(git_repo, "--dry-run")
    assert proc.returncode == 1, proc.stdout
    assert "step 'sneaky' moved HEAD during this run" in proc.stdout
    assert record["outcome"] == "failed"
    assert record["commit"] == checked
    assert tags(git_repo) == []


def _on_feature_branch(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "feature")


def _detached(repo: Path) -> None:
    git(repo, "switch", "-q", "--detach", "HEAD")


def _dirty(repo: Path) -> None:
    write(repo / "CHANGELOG.md", "edited, not committed\n")


def _version_bumped_but_not_committed(repo: Path) -> None:
    write(repo / "pyproject.toml", "[project]\nname = 'demo'\nversion = '2.0.0'\n")


@pytest.mark.parametrize(
    ("make_state", "args", "said"),
    [
        (_dirty, (), "not tagging: clean: 1 tracked file changed and not committed"),
        (
            _version_bumped_but_not_committed,
            (),
            "not tagging: the tag names version 2.0.0 but pyproject.toml as committed in",
        ),
        (
            lambda repo: None,
            ("--version", "9.9.9"),
            "not tagging: the tag names version 9.9.9 but pyproject.toml as committed in",
        ),
    ],
    ids=["dirty", "uncommitted-version", "cli-version"],
)
def test_the_release_step_refuses_what_the_git_precondition_would_refuse(
    git_repo: Path, make_state, args: tuple[str, ...], said: str
) -> None:
    _checklist(git_repo, '  - id: unit\n    run: "true"\n')  # no `git` step
    make_state(git_repo)
    proc, record = _run(git_repo, *args)
    assert proc.returncode == 1, proc.stdout
    tag = step_record(record, "tag")
    assert tag["status"] == "failed"
    assert said in tag["summary"], tag["summary"]
    assert tags(git_repo) == []


@pytest.mark.parametrize(
    ("make_state", "said"),
    [
        (_on_feature_branch, "branch: on branch 'feature', but releases are made from main"),
        (_detached, "branch: HEAD is detached at"),
    ],
    ids=["feature-branch", "detached"],
)
def test_off_the_release_branch_the_release_step_is_refused_and_the_checks_decide(
    git_repo: Path, make_state, said: str
) -> None:
    _checklist(git_repo, '  - id: unit\n    run: "true"\n')  # no `git` step
    make_state(git_repo)
    proc, record = _run(git_repo)
    assert proc.returncode == 0, proc.stdout
    assert step_record(record, "unit")["status"] == "passed"
    tag = step_record(record, "tag")
    assert tag["status"] == "skipped"
    assert f"the release would be refused: {said}" in tag["summary"], tag["summary"]
    assert tags(git_repo) == []
