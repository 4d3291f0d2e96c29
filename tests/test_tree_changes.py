"""A check that changes tracked files (or the index, or HEAD) while it runs is named, and
no release is made from the tree it left; a step may declare the files it writes."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import (
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    push,
    run_relcheck,
    step_record,
    tags,
    write,
)

FIX = (
    "fix: make the step leave tracked files alone (write to a temporary folder), "
    "`git restore data.db`, or declare the files under the step's `writes:`"
)


def _project(repo: Path, steps: str) -> Path:
    write(repo / "data.db", "fixture\n")
    write(repo / "relcheck.yaml", "version: 1\nrelease:\n  branch: main\nsteps:\n" + steps)
    commit_all(repo, "project")
    return repo


WRITER = """
  - id: unit
    run: echo "row written by the tests" >> data.db
  - id: tag
    uses: git-tag
"""


def test_a_step_that_writes_a_tracked_file_fails_is_named_and_no_tag_is_made(
    git_repo: Path,
) -> None:
    repo = _project(git_repo, WRITER)
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert tags(repo) == []
    record = latest_record(repo)
    unit = step_record(record, "unit")
    assert unit["status"] == "failed"
    assert unit["summary"] == f"changed tracked file data.db during this run; {FIX}"
    assert unit["details"][0] == "the step itself passed: exit 0"
    assert unit["metrics"]["changed_tracked"] == ["data.db"]
    assert step_record(record, "tag")["status"] == "skipped"
    message = f"step 'unit' changed tracked file data.db during this run; {FIX}"
    assert record["message"] == message
    assert message in proc.stdout
    # Not "commit the changes": that would commit what the tests wrote.
    assert "commit the changes" not in proc.stdout + proc.stderr


def test_a_declared_write_is_allowed_and_the_tag_is_made(git_repo: Path) -> None:
    steps = WRITER.replace("data.db\n", "data.db\n    writes: [data.db]\n", 1)
    repo = _project(git_repo, steps)
    proc = run_relcheck("run", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tags(repo) == ["v1.2.0"]
    unit = step_record(latest_record(repo), "unit")
    assert unit["status"] == "passed"
    assert unit["metrics"]["writes"] == ["data.db"]


def test_a_declared_glob_does_not_cover_other_files(git_repo: Path) -> None:
    steps = """
  - id: unit
    run: echo x >> data.db && echo y >> pyproject.toml
    writes: ["*.db"]
"""
    repo = _project(git_repo, steps)
    proc = run_relcheck("run", "--dry-run", cwd=repo)
    assert proc.returncode == 1
    unit = step_record(latest_record(repo), "unit")
    assert unit["summary"].startswith("changed tracked file pyproject.toml during this run")
    assert unit["metrics"]["writes"] == ["data.db"]


def test_a_file_already_changed_before_the_run_is_not_blamed_unless_a_step_writes_it(
    git_repo: Path,
) -> None:
    steps = """
  - id: reader
    run: cat data.db
  - id: appender
    needs: [reader]
    run: echo more >> data.db
"""
    repo = _project(git_repo, steps)
    write(repo / "data.db", "edited by hand, not committed\n")
    proc = run_relcheck("run", "--dry-run", cwd=repo)
    record = latest_record(repo)
    assert step_record(record, "reader")["status"] == "passed"
    appender = step_record(record, "appender")
    assert appender["status"] == "failed"
    assert appender["summary"].startswith("changed tracked file data.db during this run")
    assert proc.returncode == 1


def test_staging_a_file_is_a_change_to_the_index(git_repo: Path) -> None:
    steps = """
  - id: stager
    run: git add data.db
"""
    repo = _project(git_repo, steps)
    write(repo / "data.db", "edited by hand, not committed\n")
    proc = run_relcheck("run", "--dry-run", cwd=repo)
    assert proc.returncode == 1
    assert step_record(latest_record(repo), "stager")["summary"].startswith(
        "changed tracked file data.db during this run"
    )


def test_a_step_that_commits_moved_head(git_repo: Path) -> None:
    steps = """
  - id: committer
    run: git commit -q --allow-empty -m sneaky
"""
    repo = _project(git_repo, steps)
    proc = run_relcheck("run", "--dry-run", cwd=repo)
    assert proc.returncode == 1
    summary = step_record(latest_record(repo), "committer")["summary"]
    assert summary.startswith("moved HEAD during this run; fix: switch back to the commit")


def test_parallel_steps_running_when_the_change_appeared_are_all_named(
    git_repo: Path, tmp_path: Path
) -> None:
    # `writer` changes the file while `bystander` is certainly running: the bystander
    # ends only after the change (a handshake through files outside the repository).
    flags = tmp_path / "flags"
    flags.mkdir()
    steps = f"""
  - id: writer
    run: touch {flags}/w; until [ -e {flags}/b ]; do sleep 0.01; done; echo x >> data.db; touch {flags}/d
  - id: bystander
    run: touch {flags}/b; until [ -e {flags}/d ]; do sleep 0.01; done
"""
    repo = _project(git_repo, steps)
    proc = run_relcheck("run", "--dry-run", "--jobs", "2", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    record = latest_record(repo)
    assert "while steps 'bystander' and 'writer' ran" in record["message"]
    blamed = {s: step_record(record, s)["summary"] for s in ("writer", "bystander")}
    assert all(
        v.startswith("changed tracked file data.db during this run") for v in blamed.values()
    )


def test_writes_globs_are_checked_at_load_time_with_their_position(git_repo: Path) -> None:
    steps = """
  - id: unit
    run: "true"
    writes: [data.db, "**", ../outside.txt, ""]
"""
    repo = _project(git_repo, steps)
    proc = run_relcheck("validate", cwd=repo)
    assert proc.returncode == 2
    assert (
        "relcheck.yaml:8:23: steps[0].writes[1]: '**' would let the step change every "
        "tracked file; name the files it writes" in proc.stderr
    )
    assert (
        "relcheck.yaml:8:29: steps[0].writes[2]: expected a path inside the repository, "
        "got '../outside.txt'" in proc.stderr
    )
    assert "steps[0].writes[3]: expected a path or glob of tracked files" in proc.stderr
    assert_no_traceback(proc)


def test_the_hook_refuses_a_push_whose_checks_changed_a_tracked_file(
    git_repo: Path, cli_invoke
) -> None:  # type: ignore[no-untyped-def]
    repo = _project(git_repo, WRITER)
    assert cli_invoke("hook", "install", cwd=repo).exit_code == 0
    remote_before = git(repo, "ls-remote", "origin", "refs/heads/main")
    pushed = push(repo, "origin", "main")
    assert pushed.returncode != 0
    assert "pre-push refused: step 'unit' changed tracked file data.db" in pushed.stderr
    assert git(repo, "ls-remote", "origin", "refs/heads/main") == remote_before


def test_a_write_after_many_short_steps_side_by_side_is_laid_at_the_writer(
    git_repo: Path,
) -> None:
    # Boundaries that wait on a snapshot share the next one. The writer starts with the
    # short steps, outlives them all, then writes: its end must be answered by a new
    # snapshot, not by the last one the short steps took.
    quick = "".join(f"  - {{id: q{i}, run: 'true'}}\n" for i in range(40))
    steps = "  - {id: writer, run: 'sleep 1; echo x >> data.db'}\n" + quick
    repo = _project(git_repo, steps)
    proc = run_relcheck("run", "--dry-run", "--jobs", "8", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    record = latest_record(repo)
    writer = step_record(record, "writer")
    assert writer["status"] == "failed"
    assert writer["summary"] == f"changed tracked file data.db during this run; {FIX}"
    assert [s["id"] for s in record["steps"] if s["status"] == "failed"] == ["writer"]


def test_a_start_that_waited_for_the_watch_is_not_blamed_for_a_write_made_before_it_got_it(
    git_repo: Path,
) -> None:
    # A start that queued behind another boundary's snapshot shares it; but that snapshot
    # is older than the moment the start takes the watch, and a write another running step
    # makes in between is then laid at the door of a step that had not started. Its own
    # snapshot (as before sharing) would have held the write. The interleaving is forced:
    # 'late' asks, then waits at the watch's lock while 'other' starts and 'writer' writes.
    import threading

    from relcheck.engine import treewatch

    repo = _project(git_repo, "  - {id: unused, run: 'true'}\n")
    watch = treewatch.start(str(repo), ())
    assert watch is not None
    watch.begin("writer", [])
    asked, let_in = threading.Event(), threading.Event()
    lock = watch._lock

    class Gate:
        def __enter__(self) -> bool:
            if threading.current_thread().name == "late":
                asked.set()
                assert let_in.wait(30)
            return lock.__enter__()

        def __exit__(self, *exc: object) -> None:
            lock.__exit__(*exc)

    watch._lock = Gate()  # type: ignore[assignment]
    late = threading.Thread(target=watch.begin, args=("late", []), name="late")
    late.start()
    assert asked.wait(30)  # 'late' has asked for its start and waits for the watch
    watch.begin("other", [])  # asked after 'late': takes a snapshot 'late' then shares
    (repo / "data.db").write_text("written by 'writer' before 'late' started\n")
    let_in.set()
    late.join(30)
    assert not late.is_alive()
    assert watch.end("writer").undeclared == {"data.db": ("other", "writer")}
    assert watch.end("late").undeclared == {}


def test_a_write_whose_end_git_could_not_see_is_not_laid_at_a_step_that_started_later(
    git_repo: Path,
) -> None:
    # 'breaker' writes a tracked file and leaves an index git cannot read, so the
    # snapshot at its end fails; 'mender', which starts after it ended, puts the index
    # back and writes nothing tracked. The next snapshot sees the write: it was made
    # before 'mender' started, and must not be laid at its door alone ('breaker' is no
    # longer watched once its end is noted, even when git could not answer then).
    steps = """
  - id: breaker
    run: echo x >> data.db && cp .git/index .git/index.good && echo junk > .git/index
  - id: mender
    needs: [breaker]
    run: mv .git/index.good .git/index
"""
    repo = _project(git_repo, steps)
    proc = run_relcheck("run", "--dry-run", "--jobs", "1", cwd=repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # data.db did change
    record = latest_record(repo)
    assert "'breaker'" in record["message"], record["message"]
    mender = step_record(record, "mender")
    assert mender["status"] == "passed" or "'breaker'" in mender["summary"], mender["summary"]


def test_a_write_whose_end_git_could_not_see_still_blocks_the_release(git_repo: Path) -> None:
    # The last check writes a tracked file, and git cannot answer at its end (the index
    # unreadable for a moment). No step starts after it before the release gate asks
    # treeverdict.blocker: the write is waiting in the watch, unseen, and the gate opens.
    # (The first release step's start then sees it, after the gate decided.)
    from relcheck.engine import treeverdict, treewatch

    repo = _project(git_repo, "  - {id: unused, run: 'true'}\n")
    watch = treewatch.start(str(repo), ())
    assert watch is not None
    watch.begin("unit", [])
    index = repo / ".git" / "index"
    good = index.read_bytes()
    (repo / "data.db").write_text("row written by the tests\n")
    index.write_bytes(b"junk\n")
    assert treewatch.safely(watch, "end", "unit") is None  # git could not answer
    index.write_bytes(good)
    assert treeverdict.blocker(watch) is not None, "the release gate opens over the write"
