"""Commands load only what they use: start-up stays fast, and an unchanged checklist is
not validated again."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from relcheck import __version__
from tests.helpers import commit_all, latest_record, run_relcheck, tags, write

HEAVY = ("git", "httpx", "rich", "pydantic", "yaml")
WATCHED = (*HEAVY, "importlib.metadata", "relcheck.engine.service")
# What a plain run of commands has no use for: no gates, no release, no cacheable step.
NOT_FOR_A_PLAIN_RUN = (
    *WATCHED,
    "relcheck.evidence.gates",  # a step declares gates
    "relcheck.evidence.facts",
    "relcheck.evidence.compare",  # there is a previous release to compare with
    "relcheck.evidence.notes",  # the run made a release (its notes)
    "relcheck.evidence.previous",  # gates or a release, and no release tag in the history
    "relcheck.git.releases",
    "relcheck.engine.world",  # a step can be cached
    "relcheck.engine.cache",
    "relcheck.engine.cacheentry",
    "relcheck.engine.interpreters",
    "relcheck.engine.resume",  # the checklist has release steps
    "relcheck.git.tagmessage",
    "relcheck.git.tags",  # the tag step; the nearest release is relcheck.git.describe's
    "relcheck.runners._release_tags",
    "relcheck.git.remotes",  # CI names the branch of a detached HEAD
    "relcheck.git.cibranch",
    "traceback",  # a runner that crashed
    "tempfile",  # atomic writes use relcheck.system.fileio.make_temp
    "random",
    "concurrent.futures",  # the scheduler's own threads take a queue
    "logging",
    "click",  # run's plainly spelt options are read from relcheck.cli.run_checklist's table
)

PROBE = """
import json, sys
names = json.loads(sys.argv[2])
sys.argv = ["relcheck", *json.loads(sys.argv[1])]
from relcheck.__main__ import entry as main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("LOADED " + json.dumps([n for n in names if n in sys.modules]) + "\\n")
"""


def loaded_after(args: list[str], cwd: Path, names: tuple[str, ...] = WATCHED) -> list[str]:
    """Which of ``names`` are imported once ``relcheck ARGS`` has run (a real process)."""
    import json

    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(names)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("LOADED "))
    return list(json.loads(line.removeprefix("LOADED ")))


SIMPLE = """
version: 1
steps:
  - id: hello
    run: "true"
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["-V"], ["run", "--help"]])
def test_help_and_version_import_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    assert loaded_after(args, tmp_path) == []


@pytest.mark.parametrize("command", ["validate", "list"])
def test_validate_and_list_import_neither_git_nor_httpx_nor_rich(
    git_repo: Path, checklist, command: str
) -> None:
    checklist(SIMPLE)
    loaded = loaded_after([command], git_repo)
    assert not {"git", "httpx", "rich"} & set(loaded), loaded


def test_list_of_an_unchanged_checklist_skips_yaml_and_validation(
    git_repo: Path, checklist
) -> None:
    checklist(SIMPLE)
    assert run_relcheck("list", cwd=git_repo).returncode == 0
    assert loaded_after(["list"], git_repo) == []
    assert "hello" in run_relcheck("list", cwd=git_repo).stdout


def test_a_run_of_an_unchanged_checklist_skips_yaml_and_validation(
    git_repo: Path, checklist
) -> None:
    checklist(SIMPLE)
    first = loaded_after(["run", "--dry-run"], git_repo)
    assert "pydantic" in first  # the first run validates the file
    again = loaded_after(["run", "--dry-run"], git_repo)
    assert again == []
    assert latest_record(git_repo)["outcome"] == "passed"


def test_a_plain_run_loads_no_evidence_release_or_cache_world_modules(
    git_repo: Path, checklist
) -> None:
    # No version: a passing run makes no release, so it writes no release notes.
    write(git_repo / "pyproject.toml", '[project]\nname = "demo"\n')
    checklist(SIMPLE + "".join(f'  - {{id: s{i}, run: "true"}}\n' for i in range(2, 6)))
    assert run_relcheck("run", "-q", cwd=git_repo).returncode == 0
    assert loaded_after(["run", "-q"], git_repo, NOT_FOR_A_PLAIN_RUN) == []
    record = latest_record(git_repo)
    assert record["outcome"] == "passed"
    assert [s["status"] for s in record["steps"]] == ["passed"] * 5
    assert record["baseline"]["note"].startswith("no previous release")
    assert not list((git_repo / ".relcheck/runs").glob("*.md"))


def test_a_plain_run_in_a_shallow_clone_asks_no_remote_and_claims_no_first_release(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    # No gates and no release step: the release history is not read (no ls-remote, no
    # shallow probe), and a history without a tag is not called a first release.
    from tests.helpers import git

    checklist(SIMPLE)
    git(git_repo, "tag", "v1.1.0")
    commit_all(git_repo, "after the release")
    git(git_repo, "push", "-q", "--tags", "origin", "main")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{tmp_path / 'remote.git'}", str(clone))
    trace = tmp_path / "git-trace"
    proc = run_relcheck("run", "--no-progress", cwd=clone, env={"GIT_TRACE": str(trace)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    started = trace.read_text()
    assert "git describe" in started  # the trace does show relcheck's git processes
    assert "ls-remote" not in started
    assert "--is-shallow-repository" not in started
    assert "first release" not in proc.stdout
    assert "baseline: no previous release tag in this history to compare with" in proc.stdout


def test_a_first_release_writes_its_notes_without_the_comparison_modules(
    git_repo: Path, checklist
) -> None:
    # A version and no earlier release tag: the run tags it and writes release notes, and
    # there is no previous release to look up or compare with.
    write(git_repo / "pyproject.toml", '[project]\nname = "demo"\nversion = "1.0.0"\n')
    checklist(SIMPLE + "  - {id: tag, uses: git-tag}\n")
    commit_all(git_repo, "a release checklist")
    comparison = (
        "relcheck.evidence.baseline",
        "relcheck.evidence.compare",
        "relcheck.evidence.facts",
    )
    assert loaded_after(["run", "-q"], git_repo, comparison) == []
    assert tags(git_repo) == ["v1.0.0"]
    notes = sorted((git_repo / ".relcheck/runs").glob("*.md"))
    assert notes, "no release notes written"
    assert "The first release: no previous release tag." in notes[-1].read_text()


def test_a_checklist_without_a_release_step_writes_no_release_notes(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    # Its checks passed at version 1.0.0, but nothing was released: no notes beside the
    # record, and no "Release v1.0.0" in GitHub Actions' job summary.
    write(git_repo / "pyproject.toml", '[project]\nname = "demo"\nversion = "1.0.0"\n')
    checklist(SIMPLE)
    summary = tmp_path / "step-summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    proc = run_relcheck("run", cwd=git_repo, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert latest_record(git_repo)["outcome"] == "passed"
    assert not list((git_repo / ".relcheck/runs").glob("*.md"))
    assert "Release v1.0.0" not in (summary.read_text() if summary.exists() else "")
    assert tags(git_repo) == []


def test_an_edited_checklist_is_validated_again(git_repo: Path, checklist) -> None:
    checklist(SIMPLE)
    assert run_relcheck("run", "--dry-run", cwd=git_repo).returncode == 0
    write(git_repo / "relcheck.yaml", SIMPLE.replace("run:", "rnu:"))
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 2
    assert "relcheck.yaml:4:5: steps[0]: unknown key 'rnu'; did you mean 'run'?" in proc.stderr


def test_a_checklist_cache_entry_not_made_here_is_never_unpickled(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    checklist(SIMPLE)
    assert run_relcheck("run", "--dry-run", cwd=git_repo).returncode == 0
    [entry] = (git_repo / ".relcheck/cache/checklists").glob("*.pickle")
    marker = tmp_path / "unpickled"

    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.mkdir, (str(marker),))

    # A forged entry, as a committed or copied .relcheck/ folder could hold: no valid MAC.
    entry.write_bytes(b"\0" * 32 + pickle.dumps(Exploit()))
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()


def test_the_fast_version_line_matches_the_full_command_line(cli_invoke, tmp_path: Path) -> None:
    fast = run_relcheck("--version", cwd=tmp_path)
    assert fast.returncode == 0
    assert fast.stdout == cli_invoke("--version", cwd=tmp_path).output
    assert fast.stdout == f"relcheck, version {__version__}\n"


def test_the_version_constant_is_the_installed_version() -> None:
    from importlib.metadata import version

    assert version("relcheck-cli") == __version__


def test_the_checklist_cache_works_in_a_linked_worktree(git_repo: Path, checklist) -> None:
    from tests.helpers import git

    checklist(SIMPLE)
    linked = git_repo.parent / "linked"
    git(git_repo, "worktree", "add", "-q", "-b", "side", str(linked))
    assert (linked / ".git").is_file()
    assert "pydantic" in loaded_after(["run", "--dry-run"], linked)
    assert loaded_after(["run", "--dry-run"], linked) == []
    assert latest_record(linked)["outcome"] == "passed"


def test_a_checklist_holding_a_secret_is_never_kept_in_the_cache(git_repo: Path, checklist) -> None:
    checklist(SIMPLE + "    env: {API_TOKEN: canary-0f3c9a}\n")
    assert run_relcheck("run", "--dry-run", cwd=git_repo).returncode == 0
    assert run_relcheck("run", "--dry-run", cwd=git_repo).returncode == 0
    cached = list((git_repo / ".relcheck").rglob("*.pickle"))
    assert cached == []
    written = b"".join(p.read_bytes() for p in (git_repo / ".relcheck").rglob("*") if p.is_file())
    assert b"canary-0f3c9a" not in written


def _probe(script: str, args: list[str], cwd: Path) -> str:
    """What ``script`` (run as ``python -c`` with ``args``) printed on standard error."""
    proc = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    return proc.stderr


GC_PROBE = """
import gc, sys
sys.argv = ["relcheck", *sys.argv[1:]]
import relcheck.engine.core as core
from relcheck.__main__ import main
seen = []
real_run = core.run
def run(*args, **kwargs):
    seen.append((gc.isenabled(), gc.get_freeze_count() > 0))
    return real_run(*args, **kwargs)
core.run = run
try:
    main()
except SystemExit:
    pass
sys.stderr.write(f"SEEN {seen}\\n")
"""


@pytest.mark.parametrize("args", [["run", "-q"], ["run", "-qj2"]])
def test_the_steps_run_with_garbage_collection_on_and_start_up_frozen(
    git_repo: Path, checklist, args: list[str]
) -> None:
    # The relcheck program pauses collection while it loads; a run of many steps must
    # not go without it.
    # The second spelling (options run together) is read by click, not the fast path.
    checklist(SIMPLE)
    err = _probe(GC_PROBE, args, git_repo)
    assert "SEEN [(True, True)]" in err, err


IN_PROCESS = """
import gc, sys
class Canary:
    def __del__(self):
        sys.stderr.write("COLLECTED\\n")
canary = Canary()
canary.me = canary  # a cycle: only the collector frees it
del canary
sys.argv = ["relcheck", *sys.argv[1:]]
from relcheck.__main__ import entry
try:
    entry()
except SystemExit:
    pass
sys.stderr.write(f"ENABLED {gc.isenabled()}\\n")
gc.collect()
sys.stderr.write("DONE\\n")
"""


@pytest.mark.parametrize("args", [["--version"], ["run", "-q"], ["list"]])
def test_a_program_that_calls_entry_keeps_its_garbage_collector(
    git_repo: Path, checklist, args: list[str]
) -> None:
    # entry() is an ordinary function: a program (a wrapper, a test harness) may call it
    # and go on. Pausing collection while relcheck starts must leave collection as it
    # found it, and must not make the caller's garbage immortal: a cycle it dropped
    # before the call is still freed (and finalized) by its next collection.
    checklist(SIMPLE)
    err = _probe(IN_PROCESS, args, git_repo)
    assert "ENABLED True" in err, err
    assert "COLLECTED" in err and err.index("COLLECTED") < err.index("DONE"), err
