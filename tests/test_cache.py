"""The result cache reuses a pass only when nothing it depended on changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import commit_all, git, latest_record, records, step_record, write

LINT = """
version: 1
steps:
  - id: lint
    run: cat src/a.txt
    inputs: ["src/**"]
"""


def statuses(repo: Path) -> dict[str, str]:
    return {s["id"]: s["status"] for s in latest_record(repo)["steps"]}


def run_id(repo: Path) -> str:
    return str(latest_record(repo)["run_id"])


@pytest.fixture
def lint_repo(git_repo: Path, checklist) -> Path:
    write(git_repo / "src/a.txt", "alpha\n")
    write(git_repo / "other.txt", "unrelated\n")
    checklist(LINT)
    return git_repo


def test_a_pass_on_unchanged_inputs_is_reported_cached_naming_the_run_that_passed(
    lint_repo: Path, cli_invoke
) -> None:
    first = cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert first.exit_code == 0
    passed_in = run_id(lint_repo)
    second = cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert second.exit_code == 0
    step = step_record(latest_record(lint_repo), "lint")
    assert step["status"] == "cached"
    assert step["cached_from"] == passed_in
    assert latest_record(lint_repo)["outcome"] == "passed"
    assert "CACHED  lint" in second.output
    assert f"passed in run {passed_in}" in second.output
    assert not (lint_repo / ".relcheck/runs" / run_id(lint_repo) / "lint.log").exists()


def test_a_change_to_an_input_file_runs_the_step_again(lint_repo: Path, cli_invoke) -> None:
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    write(lint_repo / "src/a.txt", "beta\n")
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "passed"}


def test_a_new_untracked_file_under_the_inputs_runs_the_step_again(
    lint_repo: Path, cli_invoke
) -> None:
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    write(lint_repo / "src/deeper/new.txt", "new\n")
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "passed"}


def test_a_change_outside_the_inputs_keeps_the_cached_pass(lint_repo: Path, cli_invoke) -> None:
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    write(lint_repo / "other.txt", "changed, but not an input\n")
    write(lint_repo / "untracked.txt", "also not an input\n")
    commit_all(lint_repo, "unrelated change")
    write(lint_repo / "other.txt", "changed again, uncommitted\n")
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "cached"}


def test_a_change_to_the_step_parameters_runs_it_again(
    lint_repo: Path, checklist, cli_invoke
) -> None:
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    checklist(LINT.replace("cat src/a.txt", "cat ./src/a.txt"))
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "passed"}


def test_a_change_to_the_step_environment_runs_it_again(
    lint_repo: Path, checklist, cli_invoke
) -> None:
    checklist(LINT + "    env: {LEVEL: '1'}\n")
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "cached"}
    checklist(LINT + "    env: {LEVEL: '2'}\n")
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "passed"}


def test_another_relcheck_version_does_not_reuse_a_pass(lint_repo: Path) -> None:
    from relcheck.checklist.load import load_checklist
    from relcheck.engine.cache import StepCache
    from relcheck.engine.inputs import Workspace
    from relcheck.models import Status, StepResult

    step = load_checklist(str(lint_repo / "relcheck.yaml")).step("lint")
    state = str(lint_repo / ".relcheck")
    old = StepCache(state, Workspace(str(lint_repo), None), "run-old", "0.1.0")
    old.store(step, StepResult(Status.PASSED, "exit 0", exit_code=0))
    same = StepCache(state, Workspace(str(lint_repo), None), "run-new", "0.1.0")
    newer = StepCache(state, Workspace(str(lint_repo), None), "run-new", "0.2.0")
    reused = same.lookup(step)
    assert reused is not None
    assert reused.cached_from == "run-old"
    assert newer.lookup(step) is None


def test_a_failed_step_is_never_served_from_cache(git_repo: Path, checklist, cli_invoke) -> None:
    write(git_repo / "src/a.txt", "alpha\n")
    checklist(
        """
        version: 1
        steps:
          - id: gate
            run: test -f flag
            inputs: ["src/**"]
        """
    )
    assert cli_invoke("run", "--dry-run", cwd=git_repo).exit_code == 1
    assert cli_invoke("run", "--dry-run", cwd=git_repo).exit_code == 1
    assert statuses(git_repo) == {"gate": "failed"}
    assert not list((git_repo / ".relcheck").glob("cache/results/gate/*.json"))
    (git_repo / "flag").write_text("")  # outside the inputs: only a real run can see it
    assert cli_invoke("run", "--dry-run", cwd=git_repo).exit_code == 0
    assert statuses(git_repo) == {"gate": "passed"}


def test_a_corrupt_cache_entry_is_ignored_and_rewritten(lint_repo: Path, cli_invoke) -> None:
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    [entry] = (lint_repo / ".relcheck/cache/results/lint").glob("*.json")
    entry.write_text('{"format": 1, "fingerpr')
    result = cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert result.exit_code == 0
    assert statuses(lint_repo) == {"lint": "passed"}
    assert json.loads(json.loads(entry.read_text())["entry"])["run_id"] == run_id(lint_repo)
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "cached"}


def test_no_cache_runs_every_step(lint_repo: Path, cli_invoke) -> None:
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    result = cli_invoke("run", "--dry-run", "--no-cache", cwd=lint_repo)
    assert result.exit_code == 0
    assert statuses(lint_repo) == {"lint": "passed"}


def test_cache_clear_forgets_only_the_step_it_names(git_repo: Path, checklist, cli_invoke) -> None:
    write(git_repo / "src/a.txt", "alpha\n")
    checklist(
        """
        version: 1
        steps:
          - {id: one, run: cat src/a.txt, inputs: [src]}
          - {id: two, run: "true", inputs: [src]}
        """
    )
    cli_invoke("run", "--dry-run", cwd=git_repo)
    cleared = cli_invoke("cache", "clear", "one", cwd=git_repo)
    assert cleared.exit_code == 0
    assert "cleared 1 cached result of 'one'" in cleared.output
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"one": "passed", "two": "cached"}
    everything = cli_invoke("cache", "clear", cwd=git_repo)
    assert "cleared 2 cached results of every step" in everything.output
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"one": "passed", "two": "passed"}


def test_cache_clear_refuses_a_name_that_is_not_a_step_id(git_repo: Path, cli_invoke) -> None:
    result = cli_invoke("cache", "clear", "../runs", cwd=git_repo)
    assert result.exit_code == 2
    assert "is not a step id" in result.output


def test_without_inputs_the_whole_work_tree_is_the_input(
    git_repo: Path, checklist, cli_invoke
) -> None:
    checklist(
        """
        version: 1
        steps:
          - {id: build, run: "true", cache: true}
        """
    )
    cli_invoke("run", "--dry-run", cwd=git_repo)
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"build": "cached"}
    write(git_repo / "notes.txt", "untracked, not ignored\n")
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"build": "passed"}
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"build": "cached"}
    write(git_repo / "CHANGELOG.md", "# Changelog\n\nedited, not committed\n")
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"build": "passed"}
    write(git_repo / ".relcheck/scratch.txt", "relcheck's own folder never counts\n")
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"build": "cached"}
    commit_all(git_repo, "commit the edits")  # the same content, now committed
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"build": "cached"}
    write(git_repo / "CHANGELOG.md", "# Changelog\n\nanother edit\n")
    commit_all(git_repo, "a committed change, clean tree after it")
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"build": "passed"}
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"build": "cached"}
    assert latest_record(git_repo)["commit"] == git(git_repo, "rev-parse", "HEAD")


@pytest.mark.parametrize(
    "extra",
    ["", "    cache: false\n    inputs: [src]\n"],
    ids=["a command without inputs or cache: true", "cache: false"],
)
def test_commands_are_cached_only_when_they_ask_for_it(
    git_repo: Path, checklist, cli_invoke, extra: str
) -> None:
    checklist("version: 1\nsteps:\n  - id: ping\n    run: 'true'\n" + extra)
    cli_invoke("run", "--dry-run", cwd=git_repo)
    cli_invoke("run", "--dry-run", cwd=git_repo)
    assert statuses(git_repo) == {"ping": "passed"}
    assert not (git_repo / ".relcheck/cache/results").exists()


def test_failed_reruns_what_did_not_pass_and_what_needs_it_and_reuses_the_rest(
    git_repo: Path, checklist, cli_invoke
) -> None:
    write(git_repo / "src/a.txt", "alpha\n")
    checklist(
        """
        version: 1
        steps:
          - {id: lint, run: cat src/a.txt, inputs: [src]}
          - {id: unit, run: test -f flag, inputs: [src]}
          - {id: smoke, run: "true", needs: [unit], inputs: [src]}
          - {id: docs, run: "true", inputs: [src]}
        """
    )
    assert cli_invoke("run", "--dry-run", cwd=git_repo).exit_code == 1
    assert statuses(git_repo) == {
        "lint": "passed",
        "unit": "failed",
        "smoke": "skipped",
        "docs": "passed",
    }
    (git_repo / "flag").write_text("")
    result = cli_invoke("run", "--dry-run", "--failed", cwd=git_repo)
    assert result.exit_code == 0
    assert statuses(git_repo) == {
        "lint": "cached",
        "unit": "passed",
        "smoke": "passed",
        "docs": "cached",
    }


def test_failed_reruns_a_step_even_when_an_earlier_identical_pass_is_cached(
    lint_repo: Path, cli_invoke
) -> None:
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    (lint_repo / ".relcheck/runs" / f"{run_id(lint_repo)}.toml").write_text(
        (lint_repo / ".relcheck/runs" / f"{run_id(lint_repo)}.toml")
        .read_text()
        .replace('status = "passed"', 'status = "failed"')
    )
    cli_invoke("run", "--dry-run", "--failed", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "passed"}


def test_failed_without_an_earlier_run_says_so(lint_repo: Path, cli_invoke) -> None:
    result = cli_invoke("run", "--failed", cwd=lint_repo)
    assert result.exit_code == 2
    assert "--failed needs an earlier run" in result.output
    assert records(lint_repo) == []


def test_failed_compares_with_the_last_run_of_the_same_checklist(
    lint_repo: Path, cli_invoke
) -> None:
    write(lint_repo / "other.yaml", "version: 1\nsteps:\n  - {id: lint, run: 'false'}\n")
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert cli_invoke("run", "--dry-run", "-c", "other.yaml", cwd=lint_repo).exit_code == 1
    result = cli_invoke("run", "--dry-run", "--failed", cwd=lint_repo)
    assert result.exit_code == 0
    assert statuses(lint_repo) == {"lint": "cached"}


def test_failed_and_no_cache_together_are_refused(lint_repo: Path, cli_invoke) -> None:
    result = cli_invoke("run", "--failed", "--no-cache", cwd=lint_repo)
    assert result.exit_code == 2
    assert "drop --no-cache" in result.output


@pytest.mark.parametrize(
    ("pattern", "path", "selected"),
    [
        ("src/**", "src/a/b.py", True),
        ("src", "src/a/b.py", True),
        ("src/", "src/a.py", True),
        ("*.py", "a.py", True),
        ("*.py", "pkg/a.py", False),
        ("**/*.py", "pkg/deep/a.py", True),
        ("**/*.py", "a.py", True),
        ("src/*.py", "src/sub/a.py", False),
        ("tests/test_?.py", "tests/test_a.py", True),
        ("[ab].txt", "c.txt", False),
        ("./pyproject.toml", "pyproject.toml", True),
        ("src", "srcs/a.py", False),
    ],
)
def test_inputs_globs_select_files_as_documented(pattern: str, path: str, selected: bool) -> None:
    from relcheck.checklist.globs import glob_regex

    assert bool(glob_regex(pattern).fullmatch(path)) is selected


def test_concurrent_writers_and_readers_never_see_a_partial_entry(lint_repo: Path) -> None:
    import threading

    from relcheck.checklist.load import load_checklist
    from relcheck.engine.cache import StepCache
    from relcheck.engine.inputs import Workspace
    from relcheck.models import Status, StepResult

    step = load_checklist(str(lint_repo / "relcheck.yaml")).step("lint")
    state = str(lint_repo / ".relcheck")
    seen: list[str | None] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        cache = StepCache(state, Workspace(str(lint_repo), None), f"run-{n}", "0.1.0")
        for _ in range(20):
            cache.store(step, StepResult(Status.PASSED, "x" * 5000, exit_code=0))

    def reader() -> None:
        cache = StepCache(state, Workspace(str(lint_repo), None), "reader", "0.1.0")
        try:
            for _ in range(60):
                found = cache.lookup(step)
                seen.append(found.cached_from if found else None)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {s for s in seen if s is not None} <= {f"run-{n}" for n in range(4)}
    final = StepCache(state, Workspace(str(lint_repo), None), "after", "0.1.0").lookup(step)
    assert final is not None
    assert not list((lint_repo / ".relcheck/cache/results/lint").glob(".tmp-*"))


def test_the_release_tag_message_names_the_steps_served_from_cache(
    git_repo: Path, checklist
) -> None:
    from tests.helpers import run_relcheck, tags

    write(git_repo / "src/a.txt", "alpha\n")
    checklist(
        """
        version: 1
        steps:
          - {id: unit, run: cat src/a.txt, inputs: [src]}
          - {id: tag, uses: git-tag}
        """
    )
    dry = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    passed_in = run_id(git_repo)
    real = run_relcheck("run", cwd=git_repo)
    assert real.returncode == 0, real.stdout + real.stderr
    assert step_record(latest_record(git_repo), "unit")["status"] == "cached"
    assert tags(git_repo) == ["v1.2.0"]
    message = git(git_repo, "tag", "-l", "--format=%(contents)", "v1.2.0")
    assert f"(cached from run {passed_in})" in message


def test_cache_env_names_are_checked_at_load_time_with_their_position(
    git_repo: Path, checklist, cli_invoke
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: unit
            run: "true"
            cache_env: [TARGET, "not-a-name", 7]
        """
    )
    result = cli_invoke("validate", cwd=git_repo)
    assert result.exit_code == 2
    assert (
        "relcheck.yaml:5:25: steps[0].cache_env[1]: expected an environment variable name"
        in result.output
    )
    assert "relcheck.yaml:5:39: steps[0].cache_env[2]:" in result.output


def test_a_declared_variable_is_part_of_the_fingerprint_and_never_stored(
    lint_repo: Path, checklist, cli_invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    checklist(LINT + "    cache_env: [DEPLOY_TARGET]\n")
    monkeypatch.setenv("DEPLOY_TARGET", "staging-eu-7f3a")
    monkeypatch.setenv("UNDECLARED", "1")
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    monkeypatch.setenv("UNDECLARED", "2")
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "cached"}
    monkeypatch.setenv("DEPLOY_TARGET", "production")
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "passed"}
    monkeypatch.delenv("DEPLOY_TARGET")  # unset differs from any value
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "passed"}
    monkeypatch.setenv("DEPLOY_TARGET", "staging-eu-7f3a")
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    assert statuses(lint_repo) == {"lint": "cached"}
    stored = b"".join(p.read_bytes() for p in (lint_repo / ".relcheck").rglob("*") if p.is_file())
    assert b"staging-eu-7f3a" not in stored
    assert b"production" not in stored


def test_an_entry_from_an_older_relcheck_is_ignored_with_a_note(
    lint_repo: Path, cli_invoke
) -> None:
    cli_invoke("run", "--dry-run", cwd=lint_repo)
    [entry] = (lint_repo / ".relcheck/cache/results/lint").glob("*.json")
    inner = json.loads(json.loads(entry.read_text())["entry"])
    entry.write_text(json.dumps({**inner, "format": 1}))  # unsigned, as relcheck 0.1 wrote
    result = cli_invoke("run", "--dry-run", "-v", cwd=lint_repo)
    assert result.exit_code == 0
    assert statuses(lint_repo) == {"lint": "passed"}
    note = "ignored 1 cached result of this step not signed by relcheck in this clone"
    assert note in result.output
    assert note in step_record(latest_record(lint_repo), "lint")["output_tail"]


def test_nothing_is_cached_without_a_key_to_sign_it(lint_repo: Path, cli_invoke) -> None:
    (lint_repo / ".git/relcheck-cache-key").mkdir()  # can be neither read nor made
    assert cli_invoke("run", "--dry-run", cwd=lint_repo).exit_code == 0
    assert cli_invoke("run", "--dry-run", cwd=lint_repo).exit_code == 0
    assert statuses(lint_repo) == {"lint": "passed"}
    assert not (lint_repo / ".relcheck/cache/results").exists()
