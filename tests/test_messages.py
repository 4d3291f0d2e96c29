"""What a person reads: rollback notes, status words, counts and refusals that say why."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tests.helpers import (
    assert_no_traceback,
    commit_all,
    latest_record,
    run_relcheck,
    step_record,
    write,
)


def test_a_rollback_note_names_the_version_and_tag(checklist: Any, git_repo: Path) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: deploy
            run: "exit 1"
            rollback: git tag -d {tag}; redeploy {version}'s predecessor
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 1
    assert "rollback: git tag -d v1.2.0; redeploy 1.2.0's predecessor" in proc.stdout
    assert "{tag}" not in proc.stdout
    rollback = step_record(latest_record(git_repo), "deploy")["rollback"]
    assert rollback == "git tag -d v1.2.0; redeploy 1.2.0's predecessor"


def test_a_timeout_reads_in_words(checklist: Any, git_repo: Path) -> None:
    checklist(
        f"""
        version: 1
        steps:
          - id: hang
            run: [{sys.executable}, -c, "import time; time.sleep(60)"]
            timeout: 1s
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 1
    assert "timed_out" not in proc.stdout
    assert "--- hang (command) timed out: " in proc.stdout
    assert "relcheck: FAILED: 1 timed out in " in proc.stdout


def test_an_optional_failure_is_not_counted_as_a_failure(checklist: Any, git_repo: Path) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: lint
            run: "true"
          - id: docs
            run: "exit 1"
            optional: true
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert proc.returncode == 0, proc.stdout
    result = next(line for line in proc.stdout.splitlines() if line.startswith("relcheck: "))
    assert "failed" not in result.split(" in ")[0]
    assert result.startswith("relcheck: passed: 1 passed, 1 optional step did not pass in ")


def test_history_of_an_unknown_step_says_so(checklist: Any, git_repo: Path) -> None:
    checklist("version: 1\nsteps:\n  - id: unit\n    run: 'true'\n")
    assert run_relcheck("run", "--dry-run", cwd=git_repo).returncode == 0
    proc = run_relcheck("history", "--step", "unti", cwd=git_repo)
    assert proc.returncode == 2
    assert "no step 'unti' in the checklist or the runs listed" in proc.stderr
    assert "steps: unit" in proc.stderr
    assert_no_traceback(proc)
    assert run_relcheck("history", "--step", "unit", cwd=git_repo).returncode == 0


def test_clearing_the_cache_of_an_unknown_step_says_so(checklist: Any, git_repo: Path) -> None:
    checklist("version: 1\nsteps:\n  - id: unit\n    run: 'true'\n")
    proc = run_relcheck("cache", "clear", "unti", cwd=git_repo)
    assert proc.returncode == 2
    assert "no step 'unti' in the checklist or the cache" in proc.stderr
    assert "steps: unit" in proc.stderr
    known = run_relcheck("cache", "clear", "unit", cwd=git_repo)
    assert known.returncode == 0
    assert "cleared 0 cached results of 'unit'" in known.stdout


def test_one_step_is_one_step_not_one_steps(git_repo: Path, tmp_path: Path) -> None:
    template = write(
        tmp_path / "one.yaml",
        """
        version: 1
        steps:
          - id: unit
            run: "true"
        """,
    )
    proc = run_relcheck("init", "--template", str(template), cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert "template (1 step)" in proc.stdout
    commit_all(git_repo, "checklist")
    assert "valid (1 step)" in run_relcheck("validate", cwd=git_repo).stdout


FAILING_SERVICE = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Broken(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Broken).serve_forever()
"""


def test_a_service_that_keeps_answering_5xx_fails_with_that_status(
    checklist: Any, git_repo: Path
) -> None:
    write(git_repo / "broken.py", FAILING_SERVICE)
    checklist(
        f"""
        version: 1
        steps:
          - id: check
            uses: http
            service:
              run: [{sys.executable}, broken.py, "{{port}}"]
              ready: http://127.0.0.1:{{port}}/health
              ready_timeout: 10m
            with:
              url: ${{RELCHECK_SERVICE_URL}}/health
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, timeout=60)
    assert proc.returncode == 1, proc.stdout
    summary = step_record(latest_record(git_repo), "check")["summary"]
    assert summary.startswith("service not ready: http://127.0.0.1:")
    assert summary.endswith("/health answered status 500 5 times in a row")


def test_port_in_a_step_url_is_refused_at_load_time(checklist: Any, git_repo: Path) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: check
            uses: http
            with: {url: "http://127.0.0.1:{port}/health"}
        """
    )
    proc = run_relcheck("validate", cwd=git_repo)
    assert proc.returncode == 2
    assert "relcheck.yaml:5:11: steps[0].with: `url` has `{port}`" in proc.stderr
    assert "use ${RELCHECK_SERVICE_URL}, e.g. url: ${RELCHECK_SERVICE_URL}/health" in proc.stderr
    assert "Invalid port" not in proc.stderr
