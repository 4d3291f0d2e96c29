"""`relcheck verify TAG` and `relcheck show TAG`: reading a release tag back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import assert_no_traceback, commit_all, git, run_relcheck, write

_CHECKLIST = """
version: 1
release: {tag: "v{version}"}
steps:
  - id: repo
    uses: git
  - id: unit
    run: [python, -c, "print('ok')"]
  - id: docs
    run: "exit 1"
    optional: true
  - id: tag
    uses: git-tag
"""


@pytest.fixture
def released(git_repo: Path) -> Path:
    """git_repo with v1.2.0 made by a real relcheck run."""
    write(git_repo / "relcheck.yaml", _CHECKLIST)
    commit_all(git_repo, "checklist")
    proc = run_relcheck("run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return git_repo


def _verify(repo: Path, tag: str = "v1.2.0") -> subprocess.CompletedProcess[str]:
    proc = run_relcheck("verify", tag, cwd=repo)
    assert_no_traceback(proc)
    return proc


def _retag(repo: Path, message: str, commit: str = "HEAD", name: str = "v1.2.0") -> None:
    """Replace ``name`` with an annotated tag carrying ``message`` on ``commit``."""
    git(repo, "tag", "-d", name, check=False)
    subprocess.run(
        ["git", "tag", "-a", "--cleanup=verbatim", "-F", "-", name, commit],
        cwd=repo,
        input=message,
        text=True,
        check=True,
    )


def _message(repo: Path, tag: str = "v1.2.0") -> str:
    body = git(repo, "cat-file", "tag", tag)
    return body.split("\n\n", 1)[1] + "\n"


def test_a_tag_made_by_a_passing_run_verifies(released: Path) -> None:
    proc = _verify(released)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    head = git(released, "rev-parse", "HEAD")
    assert f"ok    commit: the run checked {head[:9]}, the commit the tag points at" in proc.stdout
    assert "ok    steps: all 2 required steps passed (1 optional)" in proc.stdout
    assert "ok    checklist: relcheck.yaml at" in proc.stdout
    assert "ok    signature: none (the tag is not signed)" in proc.stdout
    assert proc.stdout.strip().endswith("relcheck: v1.2.0 verified")


def test_a_missing_tag_does_not_verify(git_repo: Path) -> None:
    proc = _verify(git_repo, "v9.9.9")
    assert proc.returncode == 1
    assert "no tag named 'v9.9.9'" in proc.stdout


def test_a_lightweight_tag_does_not_verify(git_repo: Path) -> None:
    git(git_repo, "tag", "v1.2.0")
    proc = _verify(git_repo)
    assert proc.returncode == 1
    assert "v1.2.0 is a lightweight tag" in proc.stdout


def test_a_tag_not_made_by_relcheck_does_not_verify(git_repo: Path) -> None:
    git(git_repo, "tag", "-a", "-m", "Release 1.2.0 (by hand)", "v1.2.0")
    proc = _verify(git_repo)
    assert proc.returncode == 1
    assert "carries no relcheck run summary" in proc.stdout


def test_a_summary_moved_to_another_commit_does_not_verify(released: Path) -> None:
    checked = git(released, "rev-parse", "HEAD")
    message = _message(released)
    other = commit_all(released, "later")
    _retag(released, message, other)
    proc = _verify(released)
    assert proc.returncode == 1
    assert f"the tag points at {other[:9]} but the run checked {checked[:9]}" in proc.stdout
    assert "relcheck: v1.2.0 does not verify: 1 problem" in proc.stdout


def test_a_summary_with_a_failed_required_step_does_not_verify(released: Path) -> None:
    message = _message(released).replace(
        "Relcheck-Step: unit passed required", "Relcheck-Step: unit failed required"
    )
    _retag(released, message)
    proc = _verify(released)
    assert proc.returncode == 1
    assert "FAIL  steps: required step 'unit' failed" in proc.stdout


def test_a_checklist_hash_that_does_not_match_does_not_verify(released: Path) -> None:
    original = _message(released)
    carried = original.split("Relcheck-Checklist-Sha256: ")[1].split()[0]
    _retag(released, original.replace(carried, "0" * 64))
    proc = _verify(released)
    assert proc.returncode == 1
    assert (
        f"relcheck.yaml at {git(released, 'rev-parse', 'HEAD')[:9]} has sha256 {carried[:12]}"
        in proc.stdout
    )
    assert "the tag carries 000000000000" in proc.stdout


def test_a_checklist_changed_after_the_release_still_verifies_with_a_note(released: Path) -> None:
    write(released / "relcheck.yaml", _CHECKLIST + "# edited later\n")
    commit_all(released, "change the checklist")
    proc = _verify(released)
    assert proc.returncode == 0, proc.stdout
    assert "note: relcheck.yaml has changed since" in proc.stdout


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")
def test_a_signed_tag_verifies_its_signature_too(git_repo: Path, tmp_path: Path) -> None:
    key = tmp_path / "key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"relcheck@example.invalid {key.with_suffix('.pub').read_text()}")
    for name, value in (
        ("gpg.format", "ssh"),
        ("user.signingkey", str(key)),
        ("gpg.ssh.allowedSignersFile", str(signers)),
    ):
        git(git_repo, "config", name, value)
    write(git_repo / "relcheck.yaml", _CHECKLIST.replace('{tag: "v{version}"}', "{sign: true}"))
    commit_all(git_repo, "checklist")
    assert run_relcheck("run", cwd=git_repo).returncode == 0
    proc = _verify(git_repo)
    assert proc.returncode == 0, proc.stdout
    assert "ok    signature: good" in proc.stdout

    signers.write_text("")  # nobody is trusted any more
    proc = _verify(git_repo)
    assert proc.returncode == 1
    assert "FAIL  signature: does not verify" in proc.stdout
    assert "No principal matched" in proc.stdout


def test_show_renders_the_run_summary_from_the_tag(released: Path) -> None:
    proc = run_relcheck("show", "v1.2.0", cwd=released)
    assert proc.returncode == 0, proc.stderr
    head = git(released, "rev-parse", "HEAD")
    assert f"tag v1.2.0 -> {head}" in proc.stdout
    lines = proc.stdout.splitlines()
    assert any(line.startswith("PASS    repo") for line in lines)
    assert any(line.startswith("PASS    unit") for line in lines)
    assert any(line.startswith("FAIL?   docs") for line in lines)

    data = json.loads(run_relcheck("show", "v1.2.0", "--format", "json", cwd=released).stdout)
    assert data["commit"] == head and data["run_commit"] == head
    assert [s["id"] for s in data["steps"]] == ["repo", "unit", "docs"]


def test_show_of_a_tag_without_a_summary_is_a_clear_error(git_repo: Path) -> None:
    git(git_repo, "tag", "-a", "-m", "by hand", "v1.0.0")
    proc = run_relcheck("show", "v1.0.0", cwd=git_repo)
    assert proc.returncode == 2
    assert "v1.0.0's message carries no relcheck run summary" in proc.stderr
    assert_no_traceback(proc)


def test_a_run_with_only_the_release_step_makes_a_tag_that_verifies(git_repo: Path) -> None:
    write(git_repo / "relcheck.yaml", "version: 1\nsteps:\n  - id: tag\n    uses: git-tag\n")
    commit_all(git_repo, "checklist")
    assert run_relcheck("run", cwd=git_repo).returncode == 0
    proc = _verify(git_repo)
    assert proc.returncode == 0, proc.stdout
    assert "ok    steps: the run had no steps before the release step" in proc.stdout


def test_show_of_a_run_id_still_works_outside_a_repository(git_repo: Path, tmp_path: Path) -> None:
    write(git_repo / "relcheck.yaml", "version: 1\nsteps:\n  - id: hello\n    run: 'true'\n")
    commit_all(git_repo, "checklist")
    records = tmp_path / "records"
    assert (
        run_relcheck("run", "--dry-run", "--record-dir", str(records), cwd=git_repo).returncode == 0
    )
    (record,) = records.glob("*.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = run_relcheck("show", record.stem, "--record-dir", str(records), cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert f"run {record.stem}" in proc.stdout


def test_verify_outside_a_repository_says_so_in_words(tmp_path: Path) -> None:
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    proc = run_relcheck("verify", "v1", cwd=elsewhere)
    assert_no_traceback(proc)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert (
        "not in a git repository (run relcheck verify inside the repository that has the tag)"
        in proc.stderr
    )
    assert "fatal:" not in proc.stderr and "for-each-ref" not in proc.stderr


def test_a_relcheck_summary_under_another_version_does_not_verify(released: Path) -> None:
    _retag(released, _message(released), name="v9.9.9")
    proc = _verify(released, "v9.9.9")
    assert proc.returncode == 1
    assert "FAIL  version: v9.9.9 names 9.9.9, the run released 1.2.0" in proc.stdout
    assert "FAIL  name: the run made v1.2.0, not v9.9.9" in proc.stdout


def test_a_release_tag_spelled_without_the_v_is_read_as_its_version(released: Path) -> None:
    proc = _verify(released)
    assert "ok    version: v1.2.0 names 1.2.0, pyproject.toml's version at" in proc.stdout
    git(released, "tag", "1.2.0", "v1.2.0")  # the same tag object, spelled without the v
    proc = _verify(released, "1.2.0")
    assert "ok    version: 1.2.0 names 1.2.0" in proc.stdout
    assert "FAIL  name: the run made v1.2.0, not 1.2.0" in proc.stdout
