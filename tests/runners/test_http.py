"""The `http` runner against real HTTP(S) servers on 127.0.0.1."""

from __future__ import annotations

import ssl
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import _Handler
from tests.helpers import QuietHTTPServer, latest_record, records, start_relcheck, step_record


@pytest.fixture
def check(checklist, cli_invoke, git_repo: Path):  # type: ignore[no-untyped-def]
    """Run one `http` step with these parameters; return (exit code, output, step record)."""

    def run(params: dict[str, Any], **step: Any) -> tuple[int, str, dict[str, Any]]:
        doc = {
            "version": 1,
            "steps": [{"id": "integration", "uses": "http", "with": params, **step}],
        }
        checklist(yaml.safe_dump(doc, sort_keys=False))
        for old in records(git_repo):  # run ids of one second do not sort by time
            old.unlink()
        result = cli_invoke("run", "--dry-run", cwd=git_repo)
        return result.exit_code, result.output, step_record(latest_record(git_repo), "integration")

    return run


def test_a_200_with_matching_json_passes_and_records_status_and_latency(
    check: Any, http_server: str
) -> None:
    code, output, step = check(
        {"url": f"{http_server}/health", "expect": {"status": 200, "json": {"status": "ok"}}}
    )
    assert code == 0, output
    assert step["status"] == "passed"
    assert step["summary"].startswith(f"GET {http_server}/health -> 200 (")
    assert step["metrics"]["status"] == 200
    assert step["metrics"]["attempts"] == 1
    assert step["metrics"]["latency_p50_ms"] >= 0
    assert step["metrics"]["latency_p95_ms"] >= step["metrics"]["latency_p50_ms"]


def test_a_500_fails_saying_the_status_expected_and_got(check: Any, http_server: str) -> None:
    code, output, step = check({"url": f"{http_server}/status/500"})
    assert code == 1
    assert step["status"] == "failed"
    line = f"GET {http_server}/status/500: status: expected 2xx, got 500"
    assert step["details"][0].startswith(line)
    assert line in output


def test_a_status_may_be_a_list_of_codes_and_classes(check: Any, http_server: str) -> None:
    code, output, _ = check(
        {"url": f"{http_server}/status/404", "expect": {"status": [200, "4xx"]}}
    )
    assert code == 0, output


def test_wrong_json_fails_with_a_line_per_difference(check: Any, http_server: str) -> None:
    code, _, step = check(
        {
            "url": f"{http_server}/health",
            "expect": {
                "json": {"status": "down", "version": "1.2.0", "region": "eu"},
                "json_path": {"$.version": "9.9.9"},
            },
        }
    )
    assert code == 1
    prefix = f"GET {http_server}/health: "
    assert step["details"] == [
        prefix + 'json: $.status: expected "down", got "ok"',
        prefix + 'json: $.region: expected "eu", got nothing (key missing)',
        prefix + 'json_path $.version: expected "9.9.9", got "1.2.0"',
    ]
    assert step["summary"].startswith("3 problems; first: ")


def test_invalid_json_fails_when_json_is_expected(check: Any, http_server: str) -> None:
    code, _, step = check({"url": f"{http_server}/badjson", "expect": {"json": {"a": 1}}})
    assert code == 1
    assert "json: expected a JSON body, got invalid JSON" in step["details"][0]
    assert "'{not json'" in step["details"][0]


def test_headers_are_checked_present_absent_and_equal_ignoring_case(
    check: Any, http_server: str
) -> None:
    ok, output, _ = check(
        {
            "url": f"{http_server}/headers",
            "expect": {
                "headers": {
                    "strict-transport-security": True,
                    "X-CONTENT-TYPE-OPTIONS": "nosniff",
                    "x-powered-by": False,
                }
            },
        }
    )
    assert ok == 0, output
    code, _, step = check(
        {
            "url": f"{http_server}/ok",
            "expect": {
                "headers": {
                    "strict-transport-security": True,
                    "x-content-type-options": "nosniff",
                    "server": False,
                }
            },
        }
    )
    assert code == 1
    details = [d.removeprefix(f"GET {http_server}/ok: ") for d in step["details"]]
    assert details[0] == "header strict-transport-security: expected present, got absent"
    assert details[1] == "header x-content-type-options: expected 'nosniff', got absent"
    assert details[2].startswith("header server: expected absent, got 'BaseHTTP/")


def test_body_contains_and_body_matches(check: Any, http_server: str) -> None:
    code, _, step = check(
        {
            "url": f"{http_server}/health",
            "expect": {"body_contains": ["1.2.0", "healthy"], "body_matches": r'"version": "\d+\.'},
        }
    )
    assert code == 1
    assert step["details"] == [
        f"GET {http_server}/health: body: expected to contain 'healthy', got "
        '\'{"status": "ok", "version": "1.2.0"}\''
    ]


def test_a_response_slower_than_max_ms_fails(check: Any, http_server: str) -> None:
    code, _, step = check({"url": f"{http_server}/slow?ms=300", "expect": {"max_ms": 50}})
    assert code == 1
    detail = step["details"][0]
    assert detail.startswith(f"GET {http_server}/slow?ms=300: time: expected at most 50 ms, got ")
    assert int(detail.rsplit("got ", 1)[1].removesuffix(" ms")) >= 300


def test_with_repeat_the_bound_applies_to_the_p95(check: Any, http_server: str) -> None:
    code, _, step = check(
        {"url": f"{http_server}/slow?ms=120", "repeat": 3, "expect": {"max_ms": 20}}
    )
    assert code == 1
    assert "time: expected p95 at most 20 ms, got p95 " in step["details"][0]
    assert "over 3 requests" in step["details"][0]
    assert step["metrics"]["responses"] == 3
    assert step["metrics"]["latency_p95_ms"] >= 120


def test_connection_refused_fails_with_the_url_and_the_exception_type(check: Any) -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago, and now is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, output, step = check({"url": f"http://127.0.0.1:{port}/health"})
    assert code == 1
    assert step["summary"].startswith(f"GET http://127.0.0.1:{port}/health: ")
    assert f"http://127.0.0.1:{port}/health: ConnectError: " in step["summary"]
    assert step["metrics"]["attempts"] == 1
    assert "refused" in step["summary"].lower()
    assert "Traceback" not in output
    code, _, step = check(
        {"url": f"http://127.0.0.1:{port}/health", "retries": 2, "retry_delay": "10ms"}
    )
    assert code == 1
    assert step["summary"].endswith("(after 3 attempts)")
    assert step["metrics"]["attempts"] == 3
    assert "attempt 2: ConnectError: " in step["output_tail"]


def test_a_read_timeout_fails_with_the_url_and_the_timeout(check: Any, http_server: str) -> None:
    code, _, step = check({"url": f"{http_server}/slow?ms=2000", "timeout": "200ms"})
    assert code == 1
    assert step["summary"] == (
        f"GET {http_server}/slow?ms=2000: "
        "ReadTimeout: no answer within 0.2s (waiting for a response)"
    )


def test_503_twice_then_200_passes_after_retries(check: Any, http_server: str) -> None:
    code, output, step = check(
        {
            "url": f"{http_server}/flaky?key=twice&fail=2",
            "retries": 5,
            "retry_delay": "50ms",
            "expect": {"json": {"status": "ok", "attempt": 3}},
        }
    )
    assert code == 0, output
    assert step["metrics"]["attempts"] == 3
    assert "attempt 1: status 503; retrying in 0.05s" in step["output_tail"]
    assert "attempt 2: status 503; retrying in 0.1s" in step["output_tail"]


def test_retries_stop_after_the_given_number(check: Any, http_server: str) -> None:
    code, _, step = check({"url": f"{http_server}/status/503", "retries": 2, "retry_delay": "10ms"})
    assert code == 1
    assert step["metrics"]["attempts"] == 3
    assert "status: expected 2xx, got 503" in step["summary"]


def test_retries_stop_at_the_retry_deadline(check: Any, http_server: str) -> None:
    code, _, step = check(
        {
            "url": f"{http_server}/status/502",
            "retries": 50,
            "retry_delay": "100ms",
            "retry_backoff": 1,
            "retry_deadline": "350ms",
        }
    )
    assert code == 1
    assert 2 <= step["metrics"]["attempts"] <= 5
    assert "retry deadline reached" in step["output_tail"]


def test_a_status_the_step_expects_is_not_retried(check: Any, http_server: str) -> None:
    code, output, step = check(
        {"url": f"{http_server}/status/503", "retries": 3, "expect": {"status": 503}}
    )
    assert code == 0, output
    assert step["metrics"]["attempts"] == 1


def test_a_redirect_is_not_followed_unless_asked(check: Any, http_server: str) -> None:
    target = f"{http_server}/ok"
    code, _, step = check({"url": f"{http_server}/redirect?to={target}"})
    assert code == 1
    assert step["details"][0].endswith(f"; redirect to {target} not followed")
    code, output, step = check(
        {"url": f"{http_server}/redirect?to={target}", "follow_redirects": True}
    )
    assert code == 0, output


def test_a_redirect_to_another_host_is_refused_unless_allowed(check: Any, http_server: str) -> None:
    other = http_server.replace("127.0.0.1", "localhost") + "/ok"
    url = f"{http_server}/redirect?to={other}"
    code, _, step = check({"url": url, "follow_redirects": True})
    assert code == 1
    assert step["summary"] == (
        f"GET {url}: redirect to {other} refused: host 'localhost' is not '127.0.0.1' "
        "and not listed in allow_hosts"
    )
    code, output, step = check({"url": url, "follow_redirects": True, "allow_hosts": ["localhost"]})
    assert code == 0, output


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a certificate from a CA made here; yields its base
    URL and the CA's PEM file."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = QuietHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca_file
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_with_an_unknown_ca_fails_tls_verification_clearly(
    check: Any, tls_server: tuple[str, Path]
) -> None:
    url, _ = tls_server
    code, _, step = check({"url": f"{url}/ok"})
    assert code == 1
    assert step["summary"].startswith(
        f"GET {url}/ok: TLS certificate verification failed (ConnectError: "
    )
    assert step["summary"].endswith("for a private CA set `ca_bundle`")
    assert step["metrics"]["attempts"] == 1


def test_a_private_ca_is_trusted_through_ca_bundle(
    check: Any, tls_server: tuple[str, Path], git_repo: Path
) -> None:
    url, ca_file = tls_server
    (git_repo / "certs").mkdir()
    (git_repo / "certs" / "ca.pem").write_bytes(ca_file.read_bytes())
    code, output, step = check({"url": f"{url}/ok", "ca_bundle": "certs/ca.pem"})
    assert code == 0, output
    assert step["status"] == "passed"


def test_verify_false_passes_with_a_warning_kept_in_the_record(
    check: Any, tls_server: tuple[str, Path]
) -> None:
    url, _ = tls_server
    code, output, step = check({"url": f"{url}/ok", "verify": False})
    assert code == 0, output
    assert "[warning: TLS verification off]" in output
    assert step["metrics"]["tls_verify"] is False
    assert step["annotations"][0]["level"] == "warning"
    assert "TLS verification is off" in step["annotations"][0]["message"]


def test_an_authorization_value_never_reaches_the_record_log_or_output(
    check: Any, http_server: str, git_repo: Path
) -> None:
    token = "s3cr3t-t0ken-4f9a2b"
    # /headers echoes the request headers in its body, and the failed expectations show
    # what came back: the token must be masked there too.
    code, output, step = check(
        {
            "url": f"{http_server}/headers",
            "headers": {"Authorization": f"Bearer {token}", "X-Api-Key": "key-1234-abcd"},
            "expect": {"json": {"Authorization": "Bearer other", "X-Api-Key": "other"}},
        }
    )
    assert code == 1
    assert step["details"] == [
        f'GET {http_server}/headers: json: $.Authorization: expected "Bearer other", got "***"',
        f'GET {http_server}/headers: json: $.X-Api-Key: expected "other", got "***"',
    ]
    record_text = records(git_repo)[-1].read_text()
    log = step.get("log")  # kept only when the step wrote to it
    log_text = Path(log).read_text() if log else ""
    for text in (record_text, log_text, output):
        assert token not in text
        assert "key-1234-abcd" not in text


def test_a_credential_header_value_on_the_services_command_line_is_masked(
    check: Any, git_repo: Path
) -> None:
    # The service is started, and its command line logged, before the http runner
    # learns which values are secret: they are masked in it all the same.
    key = "key-1234-abcd"
    (git_repo / "site" / key).mkdir(parents=True)
    service = {
        "run": [
            sys.executable,
            "-m",
            "http.server",
            "{port}",
            "--bind",
            "127.0.0.1",
            "--directory",
            f"site/{key}",
        ],
        "ready": "http://127.0.0.1:{port}/",
    }
    code, output, step = check(
        {"url": "${RELCHECK_SERVICE_URL}/", "headers": {"X-Api-Key": key}}, service=service
    )
    assert code == 0, output
    log_text = Path(step["log"]).read_text()
    assert "site/***" in log_text
    for text in (records(git_repo)[-1].read_text(), log_text, output):
        assert key not in text


def test_values_of_secret_variables_are_masked_after_expansion(
    check: Any, http_server: str, git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLOY_CODE", "hunter2-deploy-code")
    code, _, step = check(
        {
            "url": f"{http_server}/headers",
            "headers": {"X-Deploy": "${DEPLOY_CODE}"},
            "expect": {"json": {"X-Deploy": "other"}},
        },
    )
    assert code == 1
    assert "hunter2-deploy-code" in step["details"][0]  # not named a secret: shown
    text = (git_repo / "relcheck.yaml").read_text()
    (git_repo / "relcheck.yaml").write_text("secrets: [DEPLOY_CODE]\n" + text)
    from tests.helpers import commit_all

    commit_all(git_repo, "secret")
    for old in records(git_repo):
        old.unlink()
    from click.testing import CliRunner

    from relcheck.cli.main import main

    monkeypatch.chdir(git_repo)
    result = CliRunner().invoke(main, ["run", "--dry-run"])
    assert "hunter2-deploy-code" not in result.output
    assert "hunter2-deploy-code" not in records(git_repo)[-1].read_text()


def test_variables_expand_in_the_url_headers_and_query(
    check: Any, http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAGING_URL", http_server)
    monkeypatch.setenv("RELEASE", "1.2.0")
    code, output, _ = check(
        {
            "url": "${STAGING_URL}/headers",
            "headers": {"X-Release": "v${RELEASE}"},
            "expect": {"json": {"X-Release": "v1.2.0"}},
        }
    )
    assert code == 0, output


def test_a_missing_variable_is_an_error_naming_the_step_and_the_variable(check: Any) -> None:
    code, output, step = check({"url": "${STAGING_URL}/health"})
    assert code == 1
    assert step["status"] == "error"
    assert (
        step["summary"] == "step 'integration': url: ${STAGING_URL} is not set in the environment"
    )
    assert "Traceback" not in output


def test_several_requests_with_json_body_query_and_names(check: Any, http_server: str) -> None:
    code, output, step = check(
        {
            "requests": [
                {"name": "health", "url": f"{http_server}/health"},
                {
                    "name": "create",
                    "method": "POST",
                    "url": f"{http_server}/echo",
                    "query": {"dry": True, "n": 3},
                    "json": {"sku": "BOLT-M6"},
                    "expect": {
                        "status": 201,
                        "json": {
                            "query": {"dry": "true", "n": "3"},
                            "body": '{"sku":"BOLT-M6"}',
                            "content_type": "application/json",
                        },
                    },
                },
                {"name": "missing", "url": f"{http_server}/nope", "expect": {"status": 200}},
                {
                    "name": "raw",
                    "method": "POST",
                    "url": f"{http_server}/echo",
                    "body": "a=1",
                    "expect": {"status": 200, "json_path": {"$.body": "a=2"}},
                },
            ]
        }
    )
    assert code == 1, output
    assert step["details"][0].startswith("missing: status: expected 200, got 404")
    assert step["details"][1:] == [
        'raw: status: expected 200, got 201 (body: \'{"method": "POST", "path": "/echo", '
        '"query": {}, "body": "a=1", "content_type": null}\')',
        'raw: json_path $.body: expected "a=2", got "a=1"',
    ]
    assert step["metrics"]["responses"] == 4
    assert step["metrics"]["status"] == [200, 201, 404]


def test_parameter_mistakes_are_reported_at_load_time_with_their_line(
    checklist: Any, cli_invoke: Any, git_repo: Path
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: a
            uses: http
            with:
              url: http://127.0.0.1:1/
              expect: {status: 6xx, body_matches: "(", headres: {}}
          - id: b
            uses: http
            with:
              url: http://127.0.0.1:1/
              requests: [{url: "http://127.0.0.1:1/"}]
          - id: c
            uses: http
            with: {expect: {status: 200}}
        """
    )
    result = cli_invoke("validate", cwd=git_repo)
    assert result.exit_code == 2
    out = result.output
    assert "relcheck.yaml:7:" in out
    assert "unknown key 'headres'; did you mean 'headers'?" in out
    assert "`url` belong inside an entry of `requests`" in out
    assert "give `url` (one request) or `requests` (a list)" in out
    assert "Traceback" not in out


def test_the_step_timeout_bounds_a_slow_request(check: Any, http_server: str) -> None:
    code, _, step = check({"url": f"{http_server}/slow?ms=3000", "timeout": "30s"}, timeout="1s")
    assert code == 1
    assert step["status"] == "timed_out"
    assert step["summary"] == "timed out after 1s (the step's timeout)"


def test_ctrl_c_stops_the_retries_and_records_the_interruption(
    checklist: Any, git_repo: Path, http_server: str
) -> None:
    import signal
    import time

    doc = {
        "version": 1,
        "steps": [
            {
                "id": "integration",
                "uses": "http",
                "with": {
                    "url": f"{http_server}/flaky?key=ctrl-c&fail=1000",
                    "retries": 20,
                    "retry_delay": "30s",
                },
            }
        ],
    }
    checklist(yaml.safe_dump(doc, sort_keys=False))
    proc = start_relcheck("run", "--dry-run", cwd=git_repo, merge_stderr=True)
    try:
        deadline = time.monotonic() + 30
        while not _Handler.flaky_counts.get("ctrl-c"):  # the first attempt got its 503
            assert time.monotonic() < deadline, "no request arrived"
            time.sleep(0.05)
        time.sleep(0.2)  # now it waits 30s to retry
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=25)  # sooner than that wait would end
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, output
    step = step_record(latest_record(git_repo), "integration")
    assert step["status"] == "interrupted"
    assert "attempt 1: status 503; retrying in 30s" in step["output_tail"]
