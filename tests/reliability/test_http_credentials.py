"""Credentials sent over HTTP (a header holding a token, a user:password URL) never
follow a redirect to another host, and never appear in output, records or logs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import QuietHTTPServer, latest_record, run_relcheck, step_record
from tests.reliability.support import FIGURES, check_run

TOKEN = "canary-bearer-6c2e"


class _Recorder(BaseHTTPRequestHandler):
    """Answers JSON, or redirects to ``self.server.redirect_to``; remembers the headers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        self.server.seen.append(dict(self.headers))  # type: ignore[attr-defined]
        target = self.server.redirect_to  # type: ignore[attr-defined]
        if target and self.path.startswith("/config"):
            self.send_response(302)
            self.send_header("Location", f"{target}/landing")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"service": {"debug": false}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve() -> tuple[ThreadingHTTPServer, str]:
    server = QuietHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    server.redirect_to = None  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def two_hosts() -> Iterator[tuple[ThreadingHTTPServer, str, ThreadingHTTPServer, str]]:
    """Server A redirects /config to server B, another origin (another port)."""
    a, a_url = _serve()
    b, b_url = _serve()
    a.redirect_to = b_url  # type: ignore[attr-defined]
    try:
        yield a, a_url, b, b_url
    finally:
        for server in (a, b):
            server.shutdown()
            server.server_close()


def test_a_redirect_to_another_host_never_receives_the_credentials(
    git_repo: Path, checklist, run_env: dict[str, str], two_hosts, tmp_path: Path
) -> None:
    a, a_url, b, _ = two_hosts
    (git_repo / "production.json").write_text('{"service": {"debug": false}}')
    checklist(
        f"""
        version: 1
        steps:
          - id: staging-config
            uses: config-drift
            with:
              staging:
                url: "{a_url}/config"
                headers: {{Authorization: "Bearer ${{RELTEST_TOKEN}}"}}
              production: production.json
        """
    )
    proc = run_relcheck(
        "run", "--dry-run", "-v", cwd=git_repo, env={**run_env, "RELTEST_TOKEN": TOKEN}
    )
    output = proc.stdout + proc.stderr
    check_run(proc.returncode, output, git_repo)
    assert proc.returncode == 1, output
    assert a.seen, "the first host was never asked"  # type: ignore[attr-defined]
    assert a.seen[0].get("Authorization") == f"Bearer {TOKEN}"  # type: ignore[attr-defined]
    assert b.seen == []  # type: ignore[attr-defined]
    step = step_record(latest_record(git_repo), "staging-config")
    assert step["status"] in ("failed", "error")
    assert "another origin" in step["summary"] + step["output_tail"] + "".join(step["details"])
    files = "".join(
        p.read_text(errors="replace") for p in (git_repo / ".relcheck").rglob("*") if p.is_file()
    )
    leaks = [where for where, text in (("output", output), ("files", files)) if TOKEN in text]
    FIGURES.add("secret canaries", 1)
    FIGURES.add("secret leaks", len(leaks))
    assert not leaks


def test_a_password_in_a_url_is_masked_in_output_and_record(
    git_repo: Path, checklist, run_env: dict[str, str], two_hosts
) -> None:
    _, _, _, b_url = two_hosts
    (git_repo / "production.json").write_text('{"service": {"debug": true}}')
    url = b_url.replace("http://", "http://deploy:canary-urlpw-31d7@") + "/landing"
    checklist(
        f"""
        version: 1
        steps:
          - id: staging-config
            uses: config-drift
            with: {{staging: "{url}", production: production.json}}
        """
    )
    proc = run_relcheck("run", "--dry-run", "-v", cwd=git_repo, env=run_env)
    output = proc.stdout + proc.stderr
    check_run(proc.returncode, output, git_repo)
    files = "".join(
        p.read_text(errors="replace") for p in (git_repo / ".relcheck").rglob("*") if p.is_file()
    )
    FIGURES.add("secret canaries", 1)
    leaks = [w for w, text in (("output", output), ("files", files)) if "canary-urlpw" in text]
    FIGURES.add("secret leaks", len(leaks))
    assert not leaks


@pytest.mark.parametrize(
    "header", ["Authorization: Bearer", "X-Api-Key:", "X-Auth-Token:", "Cookie: session="]
)
def test_the_http_runner_never_sends_credentials_to_another_origin_on_a_redirect(
    git_repo: Path, checklist, run_env: dict[str, str], two_hosts, header: str
) -> None:
    # Both servers are 127.0.0.1: the second differs by port, so it is another origin,
    # and allow_hosts lists its host, so relcheck follows the redirect. The credentials
    # must stay behind all the same.
    a, a_url, b, _ = two_hosts
    name, prefix = header.split(":", 1)
    value = f"{prefix.strip()} ${{RELTEST_TOKEN}}".strip()
    checklist(
        f"""
        version: 1
        steps:
          - id: integration
            uses: http
            with:
              url: "{a_url}/config"
              headers: {{"{name}": "{value}"}}
              follow_redirects: true
              allow_hosts: ["127.0.0.1"]
        """
    )
    proc = run_relcheck(
        "run", "--dry-run", "-v", cwd=git_repo, env={**run_env, "RELTEST_TOKEN": TOKEN}
    )
    output = proc.stdout + proc.stderr
    check_run(proc.returncode, output, git_repo)
    assert any(TOKEN in str(h) for h in a.seen), a.seen  # type: ignore[attr-defined]
    carried = [h for h in b.seen if TOKEN in str(h)]  # type: ignore[attr-defined]
    files = "".join(
        p.read_text(errors="replace") for p in (git_repo / ".relcheck").rglob("*") if p.is_file()
    )
    leaks = [w for w, text in (("output", output), ("files", files)) if TOKEN in text]
    FIGURES.add("secret canaries", 1)
    FIGURES.add("secret leaks", len(leaks) + len(carried))
    assert not carried, f"credentials sent to the other origin: {carried}"
    assert not leaks
