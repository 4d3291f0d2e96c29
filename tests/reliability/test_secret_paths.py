"""More ways a secret reaches what relcheck writes: a service's ``env:``, a token as the
user of a URL (a clone URL, a Sentry DSN), a secret split by an escape sequence, the
``--skip --reason`` text, the validated-checklist cache, and the padding of the
config-drift table. None may appear in terminal output, records, logs or reports."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.helpers import latest_record, run_relcheck, step_record, write
from tests.reliability.support import FIGURES, check_run

SHARED_SERVICE_TOKEN = "canary-svctoken-71ac"
OWN_SERVICE_PASSWORD = "canary-svcpass-5b2f"
SERVICE_URL_USER = "canary-svcurl-3d9e"  # the user of a URL in a service's env
URL_TOKEN = "canary-urltoken-9f1b"  # https://TOKEN@host
DSN_KEY = "c4nary0dsn0key0a1b2c3d4e5f6a7b8c"  # https://KEY@o123.ingest.sentry.io/1
ANSI_SPLIT = "canary-ansisplit-6e4d"  # printed as canary-an\x1b[0msisplit-6e4d
REASON_TOKEN = "canary-reason-8c5a"  # pasted into --reason by mistake
CANARIES = [
    SHARED_SERVICE_TOKEN,
    OWN_SERVICE_PASSWORD,
    SERVICE_URL_USER,
    URL_TOKEN,
    DSN_KEY,
    ANSI_SPLIT,
    REASON_TOKEN,
]
ENV = {"ANSI_TOKEN": ANSI_SPLIT, "RELEASE_TOKEN": REASON_TOKEN}

# A service that prints its environment, then answers HTTP on the port it is given.
SERVICE = """
import os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

for name in ("SERVICE_TOKEN", "SERVICE_PASSWORD", "DATABASE_URL"):
    print(f"{name}={os.environ.get(name, '-')}", flush=True)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.end_headers()


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""

# Prints the secret in two halves with an escape sequence between them, in two writes.
SPLIT = """
import os, sys, time
value = os.environ["ANSI_TOKEN"]
os.write(1, b"before " + value[:9].encode() + b"\\x1b[")
time.sleep(0.05)
os.write(1, b"0m" + value[9:].encode() + b" after\\n")
"""


def _checklist(service: Path, split: Path) -> str:
    serve = f'["{sys.executable}", "{service}", "{{port}}"]'
    return f"""
        version: 1
        services:
          api:
            run: {serve}
            ready: "http://127.0.0.1:{{port}}/"
            ready_timeout: 20s
            env:
              SERVICE_TOKEN: {SHARED_SERVICE_TOKEN}
              DATABASE_URL: "https://{SERVICE_URL_USER}@db.example.invalid/app"
        steps:
          - id: shared
            service: api
            run: 'echo "service at $RELCHECK_SERVICE_URL"'
          - id: own
            service:
              run: {serve}
              ready: "http://127.0.0.1:{{port}}/"
              ready_timeout: 20s
              env: {{SERVICE_PASSWORD: {OWN_SERVICE_PASSWORD}}}
            run: 'true'
          - id: urls
            run: |
              echo "cloning https://{URL_TOKEN}@github.example.invalid/org/repo.git"
              echo "SENTRY_DSN=https://{DSN_KEY}@o123.ingest.sentry.io/1"
              exit 1
          - id: split
            run: ["{sys.executable}", "{split}"]
          - id: later
            run: 'true'
        """


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(errors="replace")
        for p in (root / ".relcheck").rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize("verbose", [False, True])
def test_canaries_in_services_urls_escapes_and_reasons_never_appear(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path, verbose: bool
) -> None:
    service, split = tmp_path / "service.py", tmp_path / "split.py"
    service.write_text(SERVICE)
    split.write_text(SPLIT)
    checklist(_checklist(service, split))
    junit = tmp_path / "junit.xml"
    args = ["run", "--junit", str(junit), "--skip", "later", "--reason"]
    args += [f"waiting for rotation of {REASON_TOKEN}", *(["-v"] if verbose else [])]
    proc = run_relcheck(*args, cwd=git_repo, env={**run_env, **ENV})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    shown = run_relcheck("show", cwd=git_repo, env=run_env)
    history = run_relcheck("history", "--step", "later", cwd=git_repo, env=run_env)
    files = _files(git_repo)
    assert any(name.endswith("services/api.log") for name in files)
    texts = {
        "stdout": proc.stdout,
        "stderr": proc.stderr,
        "show": shown.stdout + shown.stderr,
        "history": history.stdout + history.stderr,
        "junit.xml": junit.read_text(),
        **files,
    }
    leaks = [(where, c) for where, text in texts.items() for c in CANARIES if c in text]
    FIGURES.add("secret canaries", len(CANARIES))
    FIGURES.add("secret leaks", len(leaks))
    assert not leaks
    # Masked where they were, so the output still reads.
    logs = "".join(text for name, text in files.items() if name.endswith(".log"))
    assert "SERVICE_TOKEN=***" in logs and "SERVICE_PASSWORD=***" in logs
    assert "https://***@github.example.invalid/org/repo.git" in logs
    assert "https://***@o123.ingest.sentry.io/1" in logs
    assert "before *** after" in logs
    assert "\x1b" not in logs
    assert step_record(latest_record(git_repo), "later")["summary"] == (
        "skipped on request: waiting for rotation of ***"
    )


def test_the_checklist_cache_never_holds_a_services_secret(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(
        f"""
        version: 1
        steps:
          - id: a
            run: 'true'
            service:
              run: ["true"]
              ready: "http://127.0.0.1:{{port}}/"
              env: {{SERVICE_TOKEN: {SHARED_SERVICE_TOKEN}}}
          - id: b
            run: 'true'
            env: {{CLONE_URL: "https://{URL_TOKEN}@github.example.invalid/x.git"}}
        """
    )
    for _ in range(2):  # the second run would read what the first stored
        proc = run_relcheck("validate", cwd=git_repo, env=run_env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        proc = run_relcheck("list", cwd=git_repo, env=run_env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    stored = b"".join(p.read_bytes() for p in (git_repo / ".relcheck").rglob("*") if p.is_file())
    leaks = [c for c in (SHARED_SERVICE_TOKEN, URL_TOKEN) if c.encode() in stored]
    FIGURES.add("secret canaries", 2)
    FIGURES.add("secret leaks", len(leaks))
    assert not leaks


def _drift_table(repo: Path, run_env: dict[str, str], token: str, password: str) -> list[str]:
    write(
        repo / "staging.toml",
        f"""
        [api]
        endpoint = "https://h.invalid/?k={token}"
        mirror = "https://{token}@mirror.example.invalid/simple"
        [db]
        password = "{password}"
        host = "db-staging"
        """,
    )
    write(
        repo / "production.toml",
        """
        [api]
        endpoint = "https://h.invalid/"
        mirror = "https://mirror.example.invalid/simple"
        [db]
        password = "${DB_PASSWORD}"
        host = "db-production"
        """,
    )
    proc = run_relcheck("run", cwd=repo, env={**run_env, "MIRROR_TOKEN": token})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check_run(proc.returncode, proc.stdout + proc.stderr, repo)
    details = step_record(latest_record(repo), "drift")["details"]
    # Not even the first characters of one: a value shortened for the table must have
    # been masked before it was cut.
    assert "canary" not in "".join(details) + proc.stdout
    # The keyed marks (***1a2b3c4d) differ from run to run; their width does not.
    return [re.sub(r"\*\*\*[0-9a-f]{8}", "***HASH", line) for line in details]


def test_config_drift_table_widths_do_not_depend_on_the_secrets_length(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: drift
            uses: config-drift
            with: {staging: staging.toml, production: production.toml}
        """
    )
    short = _drift_table(git_repo, run_env, "canary-s-1", "canary-pw-1")
    long = _drift_table(git_repo, run_env, "canary-long-" + "x" * 40, "canary-pw-" + "y" * 50)
    assert any("***" in line for line in short)
    FIGURES.add("secret canaries", 2)
    FIGURES.add("secret leaks", int(short != long))
    assert short == long
