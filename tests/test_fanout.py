"""Fan-out: plan CI jobs, run each in its own clone, release from the gathered records."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from tests.helpers import git, release_plugin, run_relcheck

CHECKLIST = """
version: 1
steps:
  - id: lint
    run: "true"
  - id: build
    run: "echo built"
  - id: unit
    run: "echo {marker}; [ ! -e FAIL_UNIT ]"
    needs: [build]
  - id: docs
    run: "true"
    optional: true
  - id: tag
    uses: sentinel-release
    with: {{sentinel: {sentinel}}}
"""


@pytest.fixture
def fanout(git_repo: Path, checklist, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Plan the jobs, run each in a fresh clone (as separate CI machines would), and
    collect their records in one folder."""
    env = release_plugin(tmp_path / "plugins")
    sentinel = tmp_path / "released"
    checklist(CHECKLIST.format(marker="unit-ran", sentinel=sentinel))
    git(git_repo, "push", "-q", "origin", "main")

    def run_jobs(records: Path, *, break_unit: bool = False) -> list[dict]:
        plan = run_relcheck("plan", "--format", "github-matrix", cwd=git_repo, env=env)
        assert plan.returncode == 0, plan.stderr
        jobs = json.loads(plan.stdout)["include"]
        for number, job in enumerate(jobs):
            clone = tmp_path / f"job-{number}"
            git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(clone))
            if break_unit and "unit" in job["steps"]:
                (clone / "FAIL_UNIT").write_text("")
            only = job["only"].split()
            proc = run_relcheck("run", *only, "--record-dir", "out", cwd=clone, env=env)
            assert proc.returncode in (0, 1), proc.stderr
            artifact = records / f"record-{job['name']}"
            shutil.copytree(clone / "out", artifact, ignore=shutil.ignore_patterns("*.log"))
        return jobs

    return git_repo, env, sentinel, run_jobs


def _release(repo: Path, records: Path, env: dict[str, str]):
    return run_relcheck("release", "--from-records", str(records), cwd=repo, env=env)


def test_release_from_complete_records_runs_the_release_step(fanout, tmp_path: Path) -> None:
    repo, env, sentinel, run_jobs = fanout
    records = tmp_path / "records"
    jobs = run_jobs(records)
    assert sorted(s for job in jobs for s in job["steps"]) == ["build", "docs", "lint", "unit"]
    assert ["build", "unit"] in [job["steps"] for job in jobs], "needs were split across jobs"

    proc = _release(repo, records, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sentinel.exists()
    combined = tomllib.loads(sorted((repo / ".relcheck" / "runs").glob("*.toml"))[-1].read_text())
    assert combined["mode"] == "release"
    statuses = {s["id"]: (s["status"], s.get("cached_from")) for s in combined["steps"]}
    assert statuses["tag"][0] == "passed"
    assert all(statuses[s][1] for s in ("lint", "build", "unit", "docs")), statuses


def test_a_failed_job_means_no_release(fanout, tmp_path: Path) -> None:
    repo, env, sentinel, run_jobs = fanout
    records = tmp_path / "records"
    run_jobs(records, break_unit=True)
    proc = _release(repo, records, env)
    assert proc.returncode == 1
    assert "step 'unit': failed in" in proc.stderr
    assert not sentinel.exists()


def test_a_missing_record_means_no_release(fanout, tmp_path: Path) -> None:
    repo, env, sentinel, run_jobs = fanout
    records = tmp_path / "records"
    run_jobs(records)
    shutil.rmtree(records / "record-lint")
    proc = _release(repo, records, env)
    assert proc.returncode == 1
    assert "step 'lint': no record has it" in proc.stderr
    assert not sentinel.exists()


def test_a_record_from_another_commit_means_no_release(fanout, tmp_path: Path) -> None:
    repo, env, sentinel, run_jobs = fanout
    records = tmp_path / "records"
    run_jobs(records)
    (repo / "later.txt").write_text("new work")
    git(repo, "add", "later.txt")
    git(repo, "commit", "-q", "-m", "later")
    proc = _release(repo, records, env)
    assert proc.returncode == 1
    assert "stale: made on commit" in proc.stderr
    assert not sentinel.exists()


def test_a_record_edited_by_hand_means_no_release(fanout, tmp_path: Path) -> None:
    repo, env, sentinel, run_jobs = fanout
    records = tmp_path / "records"
    run_jobs(records, break_unit=True)
    edited = next((records / "record-build-unit").glob("*.toml"))
    edited.write_text(edited.read_text().replace('status = "failed"', 'status = "passed"'))
    proc = _release(repo, records, env)
    assert proc.returncode == 1
    assert "digest mismatch: the record was changed after it was written" in proc.stderr
    assert not sentinel.exists()


def test_the_same_step_recorded_twice_means_no_release(fanout, tmp_path: Path) -> None:
    repo, env, sentinel, run_jobs = fanout
    records = tmp_path / "records"
    run_jobs(records)
    clone = tmp_path / "extra-job"
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(clone))
    (clone / "FAIL_UNIT").write_text("")
    run_relcheck(
        "run",
        "--only",
        "build",
        "--only",
        "unit",
        "--record-dir",
        str(records / "again"),
        cwd=clone,
        env=env,
    )
    proc = _release(repo, records, env)
    assert proc.returncode == 1
    assert "step 'unit': recorded 2 times" in proc.stderr
    assert not sentinel.exists()


def test_records_made_with_another_checklist_mean_no_release(fanout, tmp_path: Path) -> None:
    repo, env, sentinel, run_jobs = fanout
    records = tmp_path / "records"
    run_jobs(records)
    text = (repo / "relcheck.yaml").read_text().replace("unit-ran", "unit-changed")
    (repo / "relcheck.yaml").write_text(text)
    proc = _release(repo, records, env)
    assert proc.returncode == 1
    assert "made with another checklist" in proc.stderr
    assert not sentinel.exists()


def test_plan_prints_waves_and_jobs(git_repo: Path, checklist, tmp_path: Path) -> None:
    env = release_plugin(tmp_path / "plugins")
    checklist(CHECKLIST.format(marker="x", sentinel=tmp_path / "s"))
    proc = run_relcheck("plan", cwd=git_repo, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "wave 1 (parallel):" in proc.stdout
    assert "wave 3 (release):" in proc.stdout
    assert "build-unit: relcheck run --only build --only unit --record-dir records" in proc.stdout
    by_step = run_relcheck("plan", "--format", "json", "--group-by", "step", cwd=git_repo, env=env)
    data = json.loads(by_step.stdout)
    # unit needs build: a job of its own would run it at the same time, without build.
    assert [j["steps"] for j in data["jobs"]] == [["lint"], ["build", "unit"], ["docs"]]
    assert data["release"] == "relcheck release --from-records records"
    assert {s["id"]: s["wave"] for s in data["steps"]}["unit"] == 2


def test_the_example_github_workflow_runs_in_order(fanout, tmp_path: Path) -> None:
    """The example workflow is valid YAML, and its relcheck commands, run in the order
    the workflow runs them (plan, each matrix job in its own clone, release), tag; the
    release job's `git` precondition holds with the records downloaded into the
    checkout, on the commit the matrix ran, on the release branch."""
    import yaml

    repo, env, sentinel, _ = fanout
    text = (repo / "relcheck.yaml").read_text()
    (repo / "relcheck.yaml").write_text(
        text.replace("steps:\n", "steps:\n  - id: repo\n    uses: git\n", 1)
    )
    git(repo, "commit", "-q", "-am", "release preconditions")
    git(repo, "push", "-q", "origin", "main")
    root = Path(__file__).resolve().parents[1]
    workflow = yaml.safe_load((root / "docs" / "ci" / "github-fanout.yml").read_text())
    jobs = workflow["jobs"]
    assert jobs["check"]["needs"] == "plan"
    assert jobs["release"]["needs"] == "check"
    # The release job releases the commit the matrix checked, on the release branch.
    checkout = jobs["release"]["steps"][0]
    assert checkout["with"]["ref"] == "${{ github.sha }}"
    assert any(
        s.get("run", "").startswith("git checkout -B main") for s in jobs["release"]["steps"]
    )

    def relcheck_lines(job: str) -> list[str]:
        return [
            s["run"]
            for s in jobs[job]["steps"]
            if "relcheck " in s.get("run", "") and "pip" not in s["run"]
        ]

    plan_cmd = relcheck_lines("plan")[0].split("$(")[1].split(")")[0].split()[1:]
    plan = run_relcheck(*plan_cmd, cwd=repo, env=env)
    matrix = json.loads(plan.stdout)
    # As an artifact download without a path outside the checkout would put them.
    records = repo / "records"
    for number, entry in enumerate(matrix["include"]):
        clone = tmp_path / f"runner-{number}"
        git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(clone))
        line = relcheck_lines("check")[0]
        line = line.replace("${{ matrix.only }}", entry["only"])
        proc = run_relcheck(*line.split()[1:], cwd=clone, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        shutil.copytree(clone / "records", records / f"record-{entry['name']}")
    release = relcheck_lines("release")[0].split()[1:]
    release[-1] = str(records)  # where the download step put the artifacts
    proc = run_relcheck(*release, cwd=repo, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sentinel.exists()
    record = tomllib.loads(sorted((repo / ".relcheck" / "runs").glob("*.toml"))[-1].read_text())
    assert next(s for s in record["steps"] if s["id"] == "repo")["status"] == "passed"


def test_the_example_gitlab_job_is_valid_yaml_with_the_same_commands() -> None:
    import yaml

    root = Path(__file__).resolve().parents[1]
    pipeline = yaml.safe_load((root / "docs" / "ci" / "gitlab-fanout.yml").read_text())
    assert pipeline["check"]["script"] == ["relcheck run $ONLY --record-dir records"]
    assert "relcheck release --from-records records" in pipeline["release"]["script"]


def test_fanned_out_release_tags_with_the_jobs_runs_in_the_message(
    git_repo: Path, tmp_path: Path
) -> None:
    (git_repo / "relcheck.yaml").write_text(
        "version: 1\n"
        "steps:\n"
        "  - id: repo\n    uses: git\n"
        "  - id: lint\n    run: 'true'\n"
        "  - id: unit\n    run: 'true'\n"
        "  - id: tag\n    uses: git-tag\n"
    )
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "checklist")
    git(git_repo, "push", "-q", "origin", "main")
    records = tmp_path / "records"
    job_runs = {}
    for step in ("lint", "unit"):
        clone = tmp_path / f"job-{step}"
        git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(clone))
        proc = run_relcheck("run", "--only", step, "--record-dir", "out", cwd=clone)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        (record_file,) = (clone / "out").glob("*.toml")
        job_runs[step] = record_file.stem
        shutil.copytree(clone / "out", records / step, ignore=shutil.ignore_patterns("*.log"))

    proc = run_relcheck("release", "--from-records", str(records), cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    message = git(git_repo, "cat-file", "tag", "v1.2.0")
    assert "Relcheck-Step: repo passed required" in message  # run by the release job
    for step, run_id in job_runs.items():
        assert f"Relcheck-Step: {step} passed required" in message
        assert f"[from {run_id}]" in message
    verified = run_relcheck("verify", "v1.2.0", cwd=git_repo)
    assert verified.returncode == 0, verified.stdout


def test_an_optional_check_missing_from_the_records_is_skipped_not_run(
    fanout, tmp_path: Path
) -> None:
    repo, env, sentinel, run_jobs = fanout
    records = tmp_path / "records"
    run_jobs(records)
    shutil.rmtree(records / "record-docs")
    proc = _release(repo, records, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    combined = tomllib.loads(sorted((repo / ".relcheck" / "runs").glob("*.toml"))[-1].read_text())
    docs = next(s for s in combined["steps"] if s["id"] == "docs")
    assert docs["status"] == "skipped"
    assert "not in the records" in docs["summary"]
    assert not (repo / ".relcheck" / "runs" / combined["run_id"] / "docs.log").exists()
    assert sentinel.exists()


def test_plan_says_which_steps_the_cache_would_serve(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: lint
            run: "true"
            cache: true
          - id: smoke
            run: "true"
        """
    )
    first = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert first.returncode == 0, first.stdout + first.stderr
    run_id = json.loads(run_relcheck("show", "--format", "json", cwd=git_repo).stdout)["run_id"]
    proc = run_relcheck("plan", cwd=git_repo)
    assert f"lint                 command         (cached: passed in run {run_id})" in proc.stdout
    assert "smoke                command       \n" in proc.stdout + "\n"
    data = json.loads(run_relcheck("plan", "--format", "json", cwd=git_repo).stdout)
    assert {s["id"]: s["cached_from"] for s in data["steps"]} == {"lint": run_id, "smoke": None}


NEEDS_CHECKLIST = """
version: 1
release:
  version_from: cli
steps:
  - id: build
    run: "echo built > built.txt"
  - id: unit
    run: "test -e built.txt"
    needs: [build]
  - id: lint
    run: "true"
  - id: tag
    uses: sentinel-release
    with: {{sentinel: {sentinel}}}
"""


@pytest.mark.parametrize("group_by", ["step", "wave"])
def test_fanned_out_jobs_keep_needs_and_the_printed_release_command_works(
    git_repo: Path, checklist, tmp_path: Path, group_by: str
) -> None:
    """Each planned job runs in its own clone, as CI machines do; then the release
    command exactly as `plan` prints it."""
    import shlex

    env = release_plugin(tmp_path / "plugins")
    sentinel = tmp_path / "released"
    checklist(NEEDS_CHECKLIST.format(sentinel=sentinel))
    git(git_repo, "push", "-q", "origin", "main")
    text = run_relcheck("plan", "--group-by", group_by, "--version", "2.0.0", cwd=git_repo, env=env)
    assert text.returncode == 0, text.stderr
    release_line = next(line for line in text.stdout.splitlines() if "  release: " in line)
    assert release_line.endswith("relcheck release --from-records records --version 2.0.0")
    unversioned = run_relcheck("plan", "--format", "json", cwd=git_repo, env=env)
    assert json.loads(unversioned.stdout)["release"].endswith("--version VERSION")
    plan = run_relcheck(
        "plan", "--format", "github-matrix", "--group-by", group_by, cwd=git_repo, env=env
    )
    jobs = json.loads(plan.stdout)["include"]
    # unit needs build: they share a job, whatever the grouping.
    assert any({"build", "unit"} <= set(j["steps"]) for j in jobs)
    records = git_repo / "records"
    for number, job in enumerate(jobs):
        clone = tmp_path / f"job-{number}"
        git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(clone))
        proc = run_relcheck("run", *job["only"].split(), "--record-dir", "out", cwd=clone, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        shutil.copytree(
            clone / "out", records / f"record-{job['name']}", ignore=shutil.ignore_patterns("*.log")
        )
    command = shlex.split(release_line.split("release: ", 1)[1])
    assert command[0] == "relcheck"
    released = run_relcheck(*command[1:], cwd=git_repo, env=env)
    assert released.returncode == 0, released.stdout + released.stderr
    assert sentinel.exists()
