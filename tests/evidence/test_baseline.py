"""Each run compares with the previous release, and the checklist's gates judge by it."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.evidence.conftest import Project
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


def test_first_release_says_there_is_no_baseline(git_repo: Path, http_server: str) -> None:
    p = Project(git_repo, http_server)
    p.checklist(gates="baseline: {tests: no_fewer}")
    p.tests(2)
    p.version("1.0.0", "First.")
    proc = p.release()
    assert proc.returncode == 0, proc.stdout
    assert "baseline: no previous release to compare with (first release)" in proc.stdout
    unit = step_record(latest_record(git_repo), "unit")
    assert unit["metrics"]["baseline_gates"] == [
        "tests: no previous release to compare with (first release); first_release: pass"
    ]


def test_first_release_fails_when_the_checklist_says_so(git_repo: Path, http_server: str) -> None:
    p = Project(git_repo, http_server)
    p.checklist(gates='baseline: {tests: no_fewer, first_release: "fail"}')
    p.tests(2)
    p.version("1.0.0", "First.")
    proc = p.release()
    assert proc.returncode == 1
    assert "no previous release to compare with (first release); first_release: fail" in (
        proc.stdout
    )
    assert tags(git_repo) == []


def test_the_end_of_a_run_shows_what_changed_since_the_previous_release(
    project: Project,
) -> None:
    project.tests(3)
    proc = project.release()
    assert proc.returncode == 0, proc.stdout
    assert tags(project.repo) == ["v1.0.0", "v1.1.0"]
    assert "compared with v1.0.0 (run " in proc.stdout
    assert "  unit: 4 -> 3 tests (-1)" in proc.stdout
    kept = latest_record(project.repo)["baseline"]
    assert kept["before"] == "v1.0.0"
    assert kept["after"] == "v1.1.0"
    assert kept["source"] == "record"
    assert "unit: 4 -> 3 tests (-1)" in kept["notable"]
    unit = next(s for s in kept["steps"] if s["id"] == "unit")
    tests = next(m for m in unit["metrics"] if m["metric"] == "tests")
    assert (tests["before"], tests["after"], tests["verdict"]) == (4, 3, "regressed")


def test_a_failed_gate_names_the_baseline_release_and_both_numbers(project: Project) -> None:
    project.checklist(gates="baseline: {tests: no_fewer, coverage: no_drop}")
    project.tests(3)
    proc = project.release()
    assert proc.returncode == 1
    assert_no_traceback(proc)
    assert tags(project.repo) == ["v1.0.0"]  # the gate blocks the release
    unit = step_record(latest_record(project.repo), "unit")
    assert unit["status"] == "failed"
    assert unit["summary"].startswith("baseline gate failed: tests 4 -> 3 (-1) against v1.0.0")
    assert "tests 4 -> 3 (-1) against v1.0.0: may not drop" in proc.stdout
    # A gate on a number the step does not measure is a failure too, said plainly.
    assert "coverage: the step measured no coverage to compare (no_drop)" in unit["details"]


def test_a_gate_that_holds_lets_the_release_through(project: Project) -> None:
    project.checklist(gates="baseline: {tests: no_fewer, failed: no_more}")
    project.tests(5)
    proc = project.release()
    assert proc.returncode == 0, proc.stdout
    unit = step_record(latest_record(project.repo), "unit")
    assert "tests 4 -> 5 (+1) against v1.0.0: may not drop" in unit["metrics"]["baseline_gates"]


def test_a_p95_gate_fails_when_the_request_got_slower(project: Project) -> None:
    project.checklist(http="/slow?ms=600", http_gates='baseline: {p95: "+20%"}')
    project.tests(4)
    proc = project.release()
    assert proc.returncode == 1
    health = step_record(latest_record(project.repo), "health")
    assert health["status"] == "failed"
    assert "against v1.0.0: may grow at most 20%" in health["summary"]
    before = f"{step_record_of_release(project, 'v1.0.0')['metrics']['latency_p95_ms']:g} ms"
    assert f"p95 {before} -> " in health["summary"]
    assert "health p95: " in proc.stdout  # and the end of the run says it too


def step_record_of_release(project: Project, tag: str) -> dict:  # type: ignore[type-arg]
    import tomllib

    for path in sorted((project.repo / ".relcheck" / "runs").glob("*.toml")):
        data = tomllib.loads(path.read_text())
        if data.get("tag") == tag and data["outcome"] == "passed":
            return step_record(data, "health")
    raise AssertionError(f"no record released {tag}")


def test_without_the_record_the_tag_trailers_are_the_baseline(project: Project) -> None:
    shutil.rmtree(project.repo / ".relcheck" / "runs")
    project.checklist(gates='baseline: {tests: no_fewer, duration: "+100000%"}')
    project.tests(3)
    proc = project.release()
    assert proc.returncode == 0, proc.stdout
    assert "is not on this machine: its tag's trailers stand in" in proc.stdout
    unit = step_record(latest_record(project.repo), "unit")
    gates = unit["metrics"]["baseline_gates"]
    # Durations are in the trailers; test counts are not: the gate says so and passes.
    assert any(g.startswith("duration ") and "against v1.0.0" in g for g in gates), gates
    assert any("v1.0.0 has no tests for this step" in g for g in gates), gates


def test_a_mistyped_gate_is_an_error_with_its_line_and_column(
    git_repo: Path, http_server: str
) -> None:
    write(
        git_repo / "relcheck.yaml",
        """
        version: 1
        steps:
          - id: unit
            run: "true"
            baseline:
              p59: "+20%"
              tests: fewer
        """,
    )
    proc = run_relcheck("validate", cwd=git_repo)
    assert proc.returncode == 2
    assert_no_traceback(proc)
    said = proc.stderr
    assert "relcheck.yaml:6:7: steps[0].baseline: unknown key 'p59'; did you mean 'p95'?" in said
    assert (
        "relcheck.yaml:7:14: steps[0].baseline.tests: expected no_drop, no_fewer, no_more, "
        "no_rise, +N% or -N%, got 'fewer'"
    ) in said


def test_each_http_request_is_compared_on_its_own(git_repo: Path, http_server: str) -> None:
    def checklist(path: str) -> None:
        write(
            git_repo / "relcheck.yaml",
            f"""
            version: 1
            steps:
              - id: api
                uses: http
                with:
                  requests:
                    - {{name: home, url: "{http_server}/ok"}}
                    - {{name: search, url: "{http_server}{path}"}}
              - id: tag
                uses: git-tag
            """,
        )

    p = Project(git_repo, http_server)
    checklist("/ok")
    p.version("1.0.0", "First.")
    assert p.release().returncode == 0
    checklist("/slow?ms=600")
    p.version("1.1.0", "Second.")
    proc = p.release()
    assert proc.returncode == 0, proc.stdout
    api = step_record(latest_record(git_repo), "api")
    assert set(api["metrics"]["by_request"]) == {"home", "search"}
    assert "api p95 search: " in proc.stdout  # 600 ms slower: notable
    kept = latest_record(git_repo)["baseline"]
    metrics = next(s for s in kept["steps"] if s["id"] == "api")["metrics"]
    search = next(m for m in metrics if m["metric"] == "p95 search")
    assert search["verdict"] == "regressed"
    assert search["after"] >= 600


def test_a_pass_served_from_cache_is_judged_by_its_counts(project: Project) -> None:
    project.checklist(gates='baseline: {tests: no_fewer, duration: "+100000%"}')
    project.tests(4)
    project.release("--dry-run")  # passes, and the cache keeps unit's pass
    proc = run_relcheck("run", "--no-progress", cwd=project.repo)
    assert proc.returncode == 0, proc.stdout
    unit = step_record(latest_record(project.repo), "unit")
    assert unit["status"] == "cached"
    assert unit["metrics"]["baseline_gates"] == [
        "duration: served from cache, not judged",
        "tests 4 -> 4 (+0) against v1.0.0: may not drop",
    ]


def test_a_partial_run_is_compared_on_its_own_steps(project: Project) -> None:
    project.tests(4)
    project.release("--only", "unit")
    kept = latest_record(project.repo)["baseline"]
    assert [s["id"] for s in kept["steps"]] == ["unit"]
    assert not any("gone" in line for line in kept["notable"])


def test_a_previous_release_tagged_by_hand_is_named_not_called_the_first(
    git_repo: Path, http_server: str
) -> None:
    p = Project(git_repo, http_server)
    p.checklist(gates="baseline: {tests: no_fewer}")
    p.tests(2)
    p.version("1.0.0", "First.")
    commit_all(git_repo, "first release")
    git(git_repo, "tag", "v1.0.0")  # a release made before relcheck, by hand
    p.version("1.1.0", "Second.")
    proc = p.release()
    assert proc.returncode == 0, proc.stdout
    assert "the previous release v1.0.0 was not made by relcheck" in proc.stdout
    assert "(first release)" not in proc.stdout.split("baseline:")[-1]
    kept = latest_record(git_repo)["baseline"]
    assert "v1.0.0 was not made by relcheck" in kept["note"]
