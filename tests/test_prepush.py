"""Hook mode: what a push is about, and which pushed commits get checked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from relcheck.checklist.load import load_checklist
from relcheck.errors import UsageError
from relcheck.git import prepush
from relcheck.runners import registry
from tests.helpers import (
    RELCHECK,
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    make_plugin,
    records,
    run_relcheck,
    run_relcheck_anew,
    step_record,
    write,
)

SHA_A = "a" * 40
SHA_B = "b" * 40
ZERO = "0" * 40


def ref(remote_ref: str, local_sha: str = SHA_A) -> prepush.PushedRef:
    return prepush.PushedRef(remote_ref, local_sha, remote_ref, ZERO)


def test_pre_push_lines_are_parsed_one_ref_per_line() -> None:
    text = (
        f"refs/heads/main {SHA_A} refs/heads/main {SHA_B}\n\n(delete) {ZERO} refs/heads/x {SHA_B}\n"
    )
    main, deleted = prepush.parse_lines(text)
    assert main == prepush.PushedRef("refs/heads/main", SHA_A, "refs/heads/main", SHA_B)
    assert not main.deletes
    assert deleted.deletes
    assert deleted.name == "x"


def test_a_malformed_pre_push_line_is_a_usage_error_naming_the_line() -> None:
    with pytest.raises(UsageError, match="line 2 is not"):
        prepush.parse_lines(f"refs/heads/main {SHA_A} refs/heads/main {SHA_B}\nnonsense\n")


def test_pre_commit_variables_describe_the_push() -> None:
    refs = prepush.from_pre_commit(
        {
            "PRE_COMMIT_FROM_REF": SHA_B,
            "PRE_COMMIT_TO_REF": SHA_A,
            "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
            "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/topic",
        }
    )
    assert refs == [prepush.PushedRef("refs/heads/topic", SHA_A, "refs/heads/main", SHA_B)]
    assert prepush.from_pre_commit({"PATH": "/bin"}) is None


def test_pre_commit_without_to_ref_means_the_local_branch_is_pushed() -> None:
    refs = prepush.from_pre_commit(
        {"PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main", "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/x"}
    )
    assert refs is not None
    assert refs[0].local_sha == "refs/heads/x"
    assert refs[0].remote_ref == "refs/heads/main"


def _checklist(tmp_path: Path, hook: str = "") -> object:
    path = write(
        tmp_path / "relcheck.yaml",
        f"""
        version: 1
        release:
          branch: [main, "release/*"]
          tag: "v{{version}}"
        {hook}
        steps:
          - id: a
            run: "true"
        """,
    )
    return load_checklist(str(path))


def test_by_default_every_branch_and_release_tags_are_checked(tmp_path: Path) -> None:
    checklist = _checklist(tmp_path)
    pushed = [
        ref("refs/heads/main", SHA_A),
        ref("refs/heads/release/2.0", SHA_B),
        ref("refs/heads/feature", "c" * 40),
        ref("refs/tags/v1.2.0", SHA_A),
        ref("refs/tags/nightly", "d" * 40),
    ]
    found = prepush.targets(checklist, pushed)  # type: ignore[arg-type]
    assert [(t.sha, t.refs, t.branch) for t in found] == [
        (SHA_A, ("refs/heads/main", "refs/tags/v1.2.0"), "main"),
        (SHA_B, ("refs/heads/release/2.0",), "release/2.0"),
        ("c" * 40, ("refs/heads/feature",), "feature"),
    ]


def test_hook_branches_choose_branches_by_glob_and_refs_by_full_name(tmp_path: Path) -> None:
    checklist = _checklist(tmp_path, 'hook: {branches: ["feat*", "refs/tags/nightly"]}')
    pushed = [
        ref("refs/heads/main", SHA_A),
        ref("refs/heads/feature", SHA_B),
        ref("refs/tags/nightly", "d" * 40),
    ]
    found = prepush.targets(checklist, pushed)  # type: ignore[arg-type]
    assert [t.refs for t in found] == [("refs/heads/feature",), ("refs/tags/nightly",)]


def test_deletions_are_never_checked(tmp_path: Path) -> None:
    checklist = _checklist(tmp_path)
    pushed = [prepush.PushedRef("(delete)", ZERO, "refs/heads/main", SHA_A)]
    assert prepush.targets(checklist, pushed) == []  # type: ignore[arg-type]


# -- `relcheck run --hook pre-push`, with git's input given on stdin -------------------


@pytest.fixture
def gated(git_repo: Path, checklist) -> Path:  # type: ignore[no-untyped-def]
    checklist(
        """
        version: 1
        steps:
          - id: check
            run: test "$(cat status.txt)" = good
          - id: other
            run: "true"
        """,
        commit=False,
    )
    write(git_repo / "status.txt", "good\n")
    commit_all(git_repo, "gated")
    return git_repo


def _line(repo: Path, sha: str | None = None, branch: str = "main") -> str:
    sha = sha or git(repo, "rev-parse", "HEAD")
    return f"refs/heads/{branch} {sha} refs/heads/{branch} {ZERO}\n"


def test_hook_mode_checks_the_pushed_commit_and_records_it(gated: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    result = cli_invoke("run", "--hook", "pre-push", cwd=gated, input=_line(gated))
    assert result.exit_code == 0, result.output
    record = latest_record(gated)
    assert record["mode"] == "hook"
    assert record["commit"] == git(gated, "rev-parse", "HEAD")
    assert record["branch"] == "main"


def test_hook_mode_failure_names_the_record_to_read(gated: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    write(gated / "status.txt", "bad\n")
    commit_all(gated, "bad")
    result = cli_invoke("run", "--hook", "pre-push", cwd=gated, input=_line(gated))
    assert result.exit_code == 1
    run_id = latest_record(gated)["run_id"]
    assert (
        f"pre-push refused: required step 'check' failed. Full record: relcheck show {run_id}"
        in (result.output)
    )


def test_pre_commit_s_variables_stand_in_for_stdin(gated: Path) -> None:
    write(gated / "status.txt", "bad\n")
    bad = commit_all(gated, "bad")
    write(gated / "status.txt", "good\n")
    good = commit_all(gated, "good")
    env = {
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
        "PRE_COMMIT_TO_REF": bad,
        "PRE_COMMIT_FROM_REF": ZERO,
    }
    refused = run_relcheck("run", "--hook", "pre-push", cwd=gated, env=env)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert latest_record(gated)["commit"] == bad
    passed = run_relcheck(
        "run", "--hook", "pre-push", cwd=gated, env={**env, "PRE_COMMIT_TO_REF": good}
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert latest_record(gated)["commit"] == good


def test_an_empty_push_runs_nothing(gated: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    result = cli_invoke("run", "--hook", "pre-push", cwd=gated, input="")
    assert result.exit_code == 0
    assert "nothing to check: the push sends no commits" in result.output
    assert records(gated) == []


def test_a_closed_stdin_is_a_push_of_nothing(gated: Path) -> None:
    # `relcheck run --hook pre-push <&-`: Python starts with no sys.stdin at all.
    proc = subprocess.run(
        [*RELCHECK, "run", "--hook", "pre-push"],
        cwd=gated,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: os.close(0),
    )
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert "nothing to check: the push sends no commits" in proc.stderr


def test_a_branch_named_in_utf8_is_checked_under_an_ascii_locale(gated: Path) -> None:
    git(gated, "branch", "café")
    sha = git(gated, "rev-parse", "HEAD")
    proc = run_relcheck_anew(
        "run",
        "--hook",
        "pre-push",
        cwd=gated,
        env={"PYTHONIOENCODING": "ascii"},
        input=f"refs/heads/café {sha} refs/heads/café {ZERO}\n",
    )
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert latest_record(gated)["commit"] == sha


def test_a_push_made_by_a_relcheck_step_is_not_checked_again(
    gated: Path, cli_invoke, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RELCHECK_RUN_ID", "20261126T101500Z-3fa2")
    result = cli_invoke("run", "--hook", "pre-push", cwd=gated, input=_line(gated))
    assert result.exit_code == 0
    assert "pushed by a step of relcheck run 20261126T101500Z-3fa2" in result.output
    assert records(gated) == []


def test_hook_steps_limit_what_the_hook_runs(gated: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    text = (gated / "relcheck.yaml").read_text()
    write(gated / "relcheck.yaml", text.replace("steps:\n", "hook:\n  steps: [other]\nsteps:\n", 1))
    write(gated / "status.txt", "bad\n")  # `check` would fail; the hook does not run it
    commit_all(gated, "hook runs only other")
    result = cli_invoke("run", "--hook", "pre-push", cwd=gated, input=_line(gated))
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in latest_record(gated)["steps"]] == ["other"]


def test_hook_steps_naming_an_unknown_step_is_a_usage_error(gated: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    text = (gated / "relcheck.yaml").read_text()
    write(gated / "relcheck.yaml", text.replace("steps:\n", "hook:\n  steps: [nope]\nsteps:\n", 1))
    commit_all(gated, "typo")
    result = cli_invoke("run", "--hook", "pre-push", cwd=gated, input=_line(gated))
    assert result.exit_code == 2
    assert "relcheck: error: relcheck.yaml: hook.steps names unknown step(s): nope" in (
        result.output
    )


def test_the_checklist_of_the_pushed_commit_is_the_one_run(gated: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    pushed = git(gated, "rev-parse", "HEAD")
    text = (gated / "relcheck.yaml").read_text()
    write(gated / "relcheck.yaml", text + "  - id: uncommitted\n    run: exit 1\n")
    result = cli_invoke("run", "--hook", "pre-push", cwd=gated, input=_line(gated, pushed))
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in latest_record(gated)["steps"]] == ["check", "other"]


RELEASE_PLUGIN = """
from relcheck.api import Runner, Status, StepResult


class Shipit(Runner):
    name = "shipit"
    release = True

    def run(self, params, ctx):
        with open(ctx.env["SHIPPED_FILE"], "w") as fh:
            fh.write("shipped")
        return StepResult(Status.PASSED, "shipped")
"""


def test_release_steps_never_run_in_hook_mode(
    gated: Path,
    cli_invoke,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    plugins = make_plugin(
        tmp_path / "plugins",
        {"shipit": "shipit_plugin:Shipit"},
        RELEASE_PLUGIN,
        dist="shipit_plugin",
    )
    monkeypatch.syspath_prepend(str(plugins))
    registry.installed.cache_clear()
    registry.load.cache_clear()
    shipped = tmp_path / "shipped.txt"
    monkeypatch.setenv("SHIPPED_FILE", str(shipped))
    try:
        text = (gated / "relcheck.yaml").read_text()
        write(gated / "relcheck.yaml", text + "  - id: ship\n    uses: shipit\n")
        commit_all(gated, "with a release step")
        result = cli_invoke("run", "--hook", "pre-push", cwd=gated, input=_line(gated))
        assert result.exit_code == 0, result.output
        ship = step_record(latest_record(gated), "ship")
        assert ship["status"] == "skipped"
        assert "release steps do not run in this mode" in ship["summary"]
        assert not shipped.exists()
    finally:
        registry.installed.cache_clear()
        registry.load.cache_clear()


def test_a_pre_commit_hook_checks_the_working_tree_as_it_is(gated: Path, cli_invoke) -> None:  # type: ignore[no-untyped-def]
    write(gated / "status.txt", "bad\n")  # about to be committed
    result = cli_invoke("run", "--hook", "pre-commit", cwd=gated, input="")
    assert result.exit_code == 1
    assert "pre-commit stopped: required step 'check' failed" in result.output
    assert "--no-verify" not in result.output.split("pre-commit stopped")[1]
