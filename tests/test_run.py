"""`relcheck run` as a process: signals, records, JSON output, show, history, bugs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import (
    RELCHECK,
    latest_record,
    make_plugin,
    release_plugin,
    run_relcheck,
    start_relcheck,
    step_record,
)


def _wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _interrupt_run(git_repo: Path, checklist, tmp_path: Path, sig: int):
    env = release_plugin(tmp_path / "plugins")
    started = tmp_path / "started"
    sentinel = tmp_path / "released"
    checklist(
        f"""
        version: 1
        steps:
          - id: long
            run: "touch {started}; sleep 60"
          - id: tag
            uses: sentinel-release
            with: {{sentinel: {sentinel}}}
        """
    )
    proc = start_relcheck("run", cwd=git_repo, env=env)
    _wait_for(started)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err, sentinel


def test_sigint_stops_the_step_writes_an_interrupted_record_and_exits_130(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    code, out, err, sentinel = _interrupt_run(git_repo, checklist, tmp_path, signal.SIGINT)
    assert code == 130, out + err
    assert "Traceback" not in out + err
    assert not sentinel.exists(), "a release step ran after an interrupt"
    record = latest_record(git_repo)
    assert record["outcome"] == "interrupted"
    assert step_record(record, "long")["status"] == "interrupted"
    assert step_record(record, "tag")["status"] == "skipped"


def test_sigterm_is_a_cancelled_job_exit_143_with_a_record(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    code, out, err, sentinel = _interrupt_run(git_repo, checklist, tmp_path, signal.SIGTERM)
    assert code == 143, out + err
    assert not sentinel.exists()
    assert latest_record(git_repo)["outcome"] == "terminated"


def test_record_has_every_field_and_show_renders_it(git_repo: Path, checklist) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: lint
            run: echo linted
            owner: platform
            expect: no findings
            rollback: none needed
          - id: unit
            run: echo failing; exit 2
            owner: service-team
            expect: all tests pass
            rollback: revert the merge
            needs: [lint]
        """
    )
    run_relcheck("run", "--dry-run", "--version", "1.2.0", cwd=git_repo)
    record = latest_record(git_repo)
    for key in (
        "run_id", "checklist", "checklist_sha256", "commit", "branch", "version", "tag",
        "relcheck_version", "started_at", "ended_at", "duration", "outcome",
    ):  # fmt: skip
        assert key in record, key
    assert record["checklist"] == "relcheck.yaml"
    assert (record["branch"], record["version"], record["tag"]) == ("main", "1.2.0", "v1.2.0")
    unit = step_record(record, "unit")
    for key in (
        "id", "runner", "status", "duration", "exit_code", "summary", "metrics", "owner",
        "expect", "rollback", "output_tail", "log", "started_at", "ended_at",
    ):  # fmt: skip
        assert key in unit, key
    assert (unit["status"], unit["exit_code"], unit["owner"]) == ("failed", 2, "service-team")
    assert (unit["expect"], unit["rollback"]) == ("all tests pass", "revert the merge")
    assert "\nfailing\n" in Path(unit["log"]).read_text()

    shown = run_relcheck("show", "latest", cwd=git_repo)
    assert shown.returncode == 0, shown.stderr
    assert f"run {record['run_id']}" in shown.stdout
    assert re.search(r"^unit\s+│ ✗ failed", shown.stdout, re.MULTILINE)  # the summary table
    assert "owner: service-team" in shown.stdout
    assert "rollback: revert the merge" in shown.stdout
    by_id = run_relcheck("show", record["run_id"][:18], "--format", "json", cwd=git_repo)
    assert json.loads(by_id.stdout)["steps"][1]["summary"] == unit["summary"]

    listed = run_relcheck("history", cwd=git_repo)
    assert record["run_id"] in listed.stdout
    assert "failed" in listed.stdout


def test_a_silent_step_keeps_its_command_in_the_record_and_makes_no_log_file(
    git_repo: Path, checklist
) -> None:
    checklist(
        "version: 1\nsteps:\n  - id: quiet\n    run: 'true'\n  - id: loud\n    run: echo said\n"
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = latest_record(git_repo)
    quiet, loud = step_record(record, "quiet"), step_record(record, "loud")
    assert "log" not in quiet
    assert quiet["output_tail"] == "[relcheck] $ true"
    assert not (git_repo / ".relcheck" / "runs" / record["run_id"] / "quiet.log").exists()
    # A log that is kept opens with the command it ran, as before output came.
    assert Path(loud["log"]).read_text() == "[relcheck] $ echo said\nsaid\n"


def test_json_format_prints_only_the_run_result_on_stdout(git_repo: Path, checklist) -> None:
    checklist("version: 1\nsteps:\n  - id: a\n    run: echo hi\n")
    proc = run_relcheck("run", "--dry-run", "--format", "json", cwd=git_repo)
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["outcome"] == "passed"
    assert data["steps"][0]["status"] == "passed"
    assert data["record"].endswith(".toml")


def test_an_internal_error_prints_one_line_and_a_log_and_exits_70(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    source = """
from relcheck.api import EmptyParams, Runner


class Buggy(Runner):
    name = "buggy"
    Params = EmptyParams
    release = True

    @staticmethod
    def describe(params, checklist, info):
        raise ZeroDivisionError("bug in describe")
"""
    plugins = make_plugin(tmp_path / "site", {"buggy": "demo_plugin:Buggy"}, source)
    checklist("version: 1\nsteps:\n  - id: a\n    run: 'true'\n  - id: b\n    uses: buggy\n")
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env={"PYTHONPATH": str(plugins)})
    assert proc.returncode == 70
    assert "Traceback" not in proc.stderr
    line = next(x for x in proc.stderr.splitlines() if "internal error" in x)
    log = Path(line.split("traceback in ")[1].split(";")[0])
    assert "ZeroDivisionError: bug in describe" in log.read_text()
    assert latest_record(git_repo)["outcome"] == "error"


def test_version_option_prints_the_version(tmp_path: Path) -> None:
    proc = run_relcheck("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("relcheck, version ")


@pytest.mark.parametrize("closed", [1, 2])
def test_a_run_started_with_its_output_closed_keeps_its_verdict(
    git_repo: Path, checklist, closed: int
) -> None:
    # `relcheck run >&-` or `2>&-`: Python starts with no sys.stdout (or sys.stderr).
    checklist('version: 1\nsteps:\n  - {id: one, run: "true"}\n')
    proc = subprocess.run(
        [*RELCHECK, "run", "--dry-run", "-q"],
        cwd=git_repo,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: os.close(closed),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "internal error" not in proc.stdout + proc.stderr
    assert "Exception ignored" not in proc.stdout + proc.stderr
    assert latest_record(git_repo)["outcome"] == "passed"
    if closed == 1:
        assert "standard output was lost (it was closed when relcheck started)" in proc.stderr
        assert "relcheck: passed" in proc.stderr
