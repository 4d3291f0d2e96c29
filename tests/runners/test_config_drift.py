"""The config-drift runner, run by `relcheck run` on real files in a real repository."""

from __future__ import annotations

import json
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.helpers import (
    QuietHTTPServer,
    assert_no_traceback,
    commit_all,
    latest_record,
    records,
    run_relcheck,
    step_record,
    write,
)

SECRET = "hunter2-Sup3r-s3cret"


def drift_step(**params: Any) -> str:
    """A checklist with one config-drift step and these `with:` parameters."""
    body = textwrap.indent(json.dumps(params, indent=2), " " * 6)
    return (
        f"version: 1\nsteps:\n  - id: staging-config\n    uses: config-drift\n    with:\n{body}\n"
    )


def run_step(repo: Path, cli_invoke: Any, **params: Any) -> tuple[Any, dict[str, Any]]:
    """Write the checklist, commit everything, run it; the CLI result and the step record."""
    write(repo / "relcheck.yaml", drift_step(**params))
    commit_all(repo, "configs")
    result = cli_invoke("run", "--dry-run", cwd=repo)
    return result, step_record(latest_record(repo), "staging-config")


PRODUCTION_TOML = """
[database]
host = "db.prod.internal"
port = 5432
password = "${DB_PASSWORD}"

[server]
hosts = ["a.example.com", "b.example.com"]
debug = false
greeting = "grüß dich ☕"

[upload]
max_mb = 50

[log]
level = "info"
"""


# -- identical and drifting ---------------------------------------------------------


def test_identical_configs_pass_and_say_how_many_keys_were_compared(
    git_repo: Path, cli_invoke: Any
) -> None:
    write(git_repo / "deploy/staging.toml", PRODUCTION_TOML)
    write(git_repo / "deploy/production.toml", PRODUCTION_TOML)
    result, step = run_step(
        git_repo, cli_invoke, staging="deploy/staging.toml", production="deploy/production.toml"
    )
    assert result.exit_code == 0
    assert step["status"] == "passed"
    assert step["summary"] == "9 keys compared, identical"
    assert step["metrics"]["keys_compared"] == 9
    assert step["metrics"]["drifted"] == 0


def test_drift_fails_with_a_table_of_every_drifted_path(git_repo: Path, cli_invoke: Any) -> None:
    write(git_repo / "production.toml", PRODUCTION_TOML)
    staging = PRODUCTION_TOML.replace('level = "info"', 'level = "debug"')
    staging = staging.replace(
        'hosts = ["a.example.com", "b.example.com"]', 'hosts = ["a.example.com"]'
    )
    staging += "\n[debug_toolbar]\nenabled = true\n"
    write(git_repo / "staging.toml", staging)
    result, step = run_step(
        git_repo, cli_invoke, staging="staging.toml", production="production.toml"
    )
    assert result.exit_code == 1
    assert step["status"] == "failed"
    assert step["summary"] == "10 keys compared, 3 drifted, 0 rules failed"
    header, *rows = step["details"]
    assert header.split() == ["path", "staging", "production", "verdict", "rule"]
    by_path = {row.split()[0]: row for row in rows}
    assert set(by_path) == {"debug_toolbar.enabled", "log.level", "server.hosts[1]"}
    assert "only in staging" in by_path["debug_toolbar.enabled"]
    assert '"debug"' in by_path["log.level"]
    assert '"info"' in by_path["log.level"]
    assert "missing in staging" in by_path["server.hosts[1]"]
    assert "log.level" in result.output
    assert "missing in staging" in result.output


def test_intended_differences_pass_and_stay_in_the_record(git_repo: Path, cli_invoke: Any) -> None:
    write(git_repo / "production.toml", PRODUCTION_TOML)
    staging = PRODUCTION_TOML.replace("db.prod.internal", "db.staging.internal")
    staging += "\n[debug_toolbar]\nenabled = true\n"
    write(git_repo / "staging.toml", staging)
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="staging.toml",
        production="production.toml",
        may_differ=["database.host"],
        allow_extra=["debug_toolbar.*"],
    )
    assert result.exit_code == 0, result.output
    assert step["summary"] == (
        "10 keys compared, 0 drifted, 0 rules failed (2 allowed differences)"
    )
    rows = "\n".join(step["details"])
    assert "may_differ 'database.host'" in rows
    assert "allow_extra 'debug_toolbar.*'" in rows


def test_a_port_that_is_text_on_one_side_is_type_drift_even_under_may_differ(
    git_repo: Path, cli_invoke: Any
) -> None:
    write(git_repo / "staging.yaml", 'database:\n  port: "5432"\n')
    write(git_repo / "production.yaml", "database:\n  port: 5432\n")
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="staging.yaml",
        production="production.yaml",
        may_differ=["database.*"],
    )
    assert result.exit_code == 1
    assert "type differs (text vs int)" in step["details"][1]
    assert "may_differ 'database.*' allows values, not types" in step["details"][1]


def test_must_equal_overrides_may_differ(git_repo: Path, cli_invoke: Any) -> None:
    write(git_repo / "staging.json", '{"image": {"tag": "1.4.0", "pull": "always"}}')
    write(git_repo / "production.json", '{"image": {"tag": "1.3.9", "pull": "never"}}')
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="staging.json",
        production="production.json",
        may_differ=["image.*"],
        must_equal=["image.tag"],
    )
    assert result.exit_code == 1
    assert step["summary"] == ("2 keys compared, 1 drifted, 0 rules failed (1 allowed difference)")
    assert "must_equal 'image.tag'" in step["details"][1]


STAGING_BY_FORMAT = {
    "staging.yaml": "db:\n  host: s\n  pools: [1, 2]\nname: café\n",
    "staging.json": '{"db": {"host": "s", "pools": [1, 2]}, "name": "café"}',
    "staging.toml": 'name = "café"\n[db]\nhost = "s"\npools = [1, 2]\n',
    "staging.env": "DB_HOST=s\nNAME=café\n",
    "staging.ini": "[db]\nhost = s\n[app]\nname = café\n",
}


@pytest.mark.parametrize("name", sorted(STAGING_BY_FORMAT))
def test_every_format_is_compared_by_its_extension(
    name: str, git_repo: Path, cli_invoke: Any
) -> None:
    staging = STAGING_BY_FORMAT[name]
    production = staging.replace("s\n", "p\n").replace('"s"', '"p"')
    suffix = name.split(".", 1)[1]
    write(git_repo / name, staging)
    write(git_repo / f"production.{suffix}", production)
    result, step = run_step(git_repo, cli_invoke, staging=name, production=f"production.{suffix}")
    assert result.exit_code == 1
    drifted = [row.split()[0] for row in step["details"][1:]]
    assert drifted == [{"env": "DB_HOST", "ini": "db.host"}.get(suffix, "db.host")]
    assert step["metrics"]["staging_format"] == suffix


def test_format_can_be_given_when_the_name_does_not_tell(git_repo: Path, cli_invoke: Any) -> None:
    write(git_repo / "staging.conf.txt", "A=1\n")
    write(git_repo / "production.conf.txt", "A=1\n")
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="staging.conf.txt",
        production={"path": "production.conf.txt", "format": "env"},
        format="env",
    )
    assert result.exit_code == 0, result.output
    assert step["summary"] == "1 key compared, identical"


# -- files that cannot be read -------------------------------------------------------


def test_a_malformed_file_is_an_error_with_file_and_line(git_repo: Path, cli_invoke: Any) -> None:
    write(git_repo / "staging.json", '{\n  "a": 1,\n  "b": \n}\n')
    write(git_repo / "production.json", '{"a": 1, "b": 2}')
    result, step = run_step(
        git_repo, cli_invoke, staging="staging.json", production="production.json"
    )
    assert result.exit_code == 1
    assert step["status"] == "error"
    assert step["summary"] == "staging.json:4:1: JSON syntax error: Expecting value"
    assert step["annotations"] == [
        {
            "message": "staging.json:4:1: JSON syntax error: Expecting value",
            "path": "staging.json",
            "line": 4,
            "column": 1,
            "level": "error",
        }
    ]


def test_a_file_that_is_not_utf8_is_an_error_at_the_bad_byte(
    git_repo: Path, cli_invoke: Any
) -> None:
    (git_repo / "staging.yaml").write_bytes(b"a: 1\nb: caf\xe9\n")
    write(git_repo / "production.yaml", "a: 1\nb: café\n")
    _, step = run_step(git_repo, cli_invoke, staging="staging.yaml", production="production.yaml")
    assert step["status"] == "error"
    assert step["summary"] == "staging.yaml:2:7: not valid UTF-8"


def test_a_missing_file_is_an_error_that_names_it(git_repo: Path, cli_invoke: Any) -> None:
    write(git_repo / "production.yaml", "a: 1\n")
    _, step = run_step(
        git_repo, cli_invoke, staging="deploy/staging.yaml", production="production.yaml"
    )
    assert step["status"] == "error"
    assert step["summary"] == "staging config deploy/staging.yaml not found"


def test_an_empty_staging_file_shows_every_production_key_as_missing(
    git_repo: Path, cli_invoke: Any
) -> None:
    write(git_repo / "staging.yaml", "")
    write(git_repo / "production.yaml", "a: 1\nb: [x]\n")
    _, step = run_step(git_repo, cli_invoke, staging="staging.yaml", production="production.yaml")
    assert step["summary"] == "2 keys compared, 2 drifted, 0 rules failed"


def test_a_path_from_an_unset_variable_is_an_error_naming_it(
    git_repo: Path, cli_invoke: Any
) -> None:
    write(git_repo / "production.yaml", "a: 1\n")
    _, step = run_step(
        git_repo, cli_invoke, staging="${STAGING_CONFIG}", production="production.yaml"
    )
    assert step["status"] == "error"
    assert "${STAGING_CONFIG}, which is not set" in step["summary"]


# -- require rules -------------------------------------------------------------------


def test_require_rules_are_checked_on_both_sides_or_the_one_named(
    git_repo: Path, checklist: Any
) -> None:
    write(
        git_repo / "staging.yaml",
        "debug: true\nlog: {level: debug}\nupload: {max_mb: 50}\nsession: {}\n",
    )
    write(
        git_repo / "production.yaml",
        "debug: false\nlog: {level: info}\nupload: {max_mb: 75}\nsession: {}\n",
    )
    # Written as YAML by hand: `on:` is the key YAML 1.1 reads as `true`.
    checklist(
        """
        version: 1
        steps:
          - id: staging-config
            uses: config-drift
            with:
              staging: staging.yaml
              production: production.yaml
              may_differ: ["*"]
              require:
                debug: {equals: false, on: production}
                log.level: {in: [info, warning], on: staging}
                upload.max_mb: {max: 50}
                session.cookie_secure: {present: true, on: production}
                debug_toolbar: {absent: true}
        """
    )
    proc = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    step = step_record(latest_record(git_repo), "staging-config")
    failed = {row.split()[0]: row for row in step["details"][1:] if "failed on" in row}
    assert set(failed) == {"log.level", "upload.max_mb", "session.cookie_secure"}
    assert "failed on staging" in failed["log.level"]
    assert "require in [info, warning] on staging" in failed["log.level"]
    assert "failed on production" in failed["upload.max_mb"]
    assert "require max 50" in failed["upload.max_mb"]
    assert "require present on production" in failed["session.cookie_secure"]
    assert step["metrics"]["rules_failed"] == 3
    assert step["metrics"]["rules_checked"] == 7
    assert "3 rules failed" in step["summary"]


def test_a_regex_rule_passes_and_fails(git_repo: Path, cli_invoke: Any) -> None:
    write(git_repo / "staging.env", "API_URL=http://api.staging\n")
    write(git_repo / "production.env", "API_URL=https://api.example.com\n")
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="staging.env",
        production="production.env",
        may_differ=["API_URL"],
        require={"API_URL": {"regex": "^https://"}},
    )
    assert result.exit_code == 1
    rows = [r for r in step["details"] if "failed on" in r]
    assert len(rows) == 1
    assert "failed on staging" in rows[0]
    assert 'require regex "^https://"' in rows[0]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"may_diffr": ["x"]}, "unknown key 'may_diffr'; did you mean 'may_differ'?"),
        ({"require": {"a": {"regex": "("}}}, "not a valid regular expression"),
        ({"require": {"a": {"mx": 5}}}, "unknown key 'mx'"),
        ({"require": {"a": {"min": 5, "max": 1}}}, "`min` is greater than `max`"),
        ({"format": "xml"}, "format"),
    ],
)
def test_mistakes_in_the_parameters_are_load_time_errors_with_a_line(
    params: dict[str, Any], message: str, git_repo: Path, cli_invoke: Any
) -> None:
    write(
        git_repo / "relcheck.yaml",
        drift_step(staging="s.yaml", production="p.yaml", **params),
    )
    result = cli_invoke("validate", cwd=git_repo)
    assert result.exit_code == 2
    assert message in result.output
    assert "relcheck.yaml:" in result.output


# -- secrets -------------------------------------------------------------------------


def test_a_secret_value_never_reaches_the_terminal_the_record_the_log_json_or_junit(
    git_repo: Path,
) -> None:
    write(
        git_repo / "staging.yaml",
        f"database:\n  password: {SECRET}\n  host: s\napi_token: {SECRET}-x\n",
    )
    write(
        git_repo / "production.yaml",
        "database:\n  password: ${DB_PASSWORD}\n  host: p\napi_token: other\n",
    )
    write(
        git_repo / "relcheck.yaml",
        drift_step(
            staging="staging.yaml",
            production="production.yaml",
            require={"database.password": {"regex": "^\\$\\{"}},
        ),
    )
    commit_all(git_repo, "configs")
    junit = git_repo.parent / "junit.xml"
    proc = run_relcheck("run", "--dry-run", "--junit", str(junit), cwd=git_repo)
    as_json = run_relcheck("run", "--dry-run", "--format", "json", cwd=git_repo)
    assert proc.returncode == 1
    assert as_json.returncode == 1
    assert "database.password" in proc.stdout
    assert "***" in proc.stdout
    assert "database.password" in junit.read_text()
    for text in (proc.stdout, proc.stderr, as_json.stdout, as_json.stderr, junit.read_text()):
        assert SECRET not in text
    written = list((git_repo / ".relcheck").rglob("*"))
    assert records(git_repo)
    assert any(p.suffix == ".log" for p in written)
    for path in written:
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path
    step = step_record(latest_record(git_repo), "staging-config")
    row = next(r for r in step["details"] if r.startswith("database.password") and "differs" in r)
    assert '"${DB_PASSWORD}"' in row  # a reference is shown: it is not the secret
    assert step["metrics"]["secrets_masked"] == 2


def test_equal_secrets_show_the_same_mark_on_both_sides(git_repo: Path, cli_invoke: Any) -> None:
    write(git_repo / "staging.yaml", f"token: {SECRET}\nmode: a\n")
    write(git_repo / "production.yaml", f"token: {SECRET}\nmode: b\n")
    _, step = run_step(
        git_repo,
        cli_invoke,
        staging="staging.yaml",
        production="production.yaml",
        must_equal=["token"],
    )
    assert step["summary"] == "2 keys compared, 1 drifted, 0 rules failed"  # token is equal


def test_plaintext_secrets_in_tracked_files_fail_and_references_pass(
    git_repo: Path, cli_invoke: Any
) -> None:
    write(git_repo / "staging.env", f"DB_PASSWORD={SECRET}\nAPI_KEY=vault:kv/api#key\n")
    write(git_repo / "production.env", "DB_PASSWORD=${DB_PASSWORD}\nAPI_KEY=vault:kv/api#key\n")
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="staging.env",
        production="production.env",
        may_differ=["DB_PASSWORD"],
        forbid_plaintext_secrets=True,
    )
    assert result.exit_code == 1
    rows = [r for r in step["details"] if "forbid_plaintext_secrets" in r]
    assert len(rows) == 1
    assert rows[0].startswith("DB_PASSWORD")
    assert "plain-text secret in staging" in rows[0]
    assert SECRET not in result.output


def test_a_database_url_with_a_literal_password_is_masked_and_refused(
    git_repo: Path, cli_invoke: Any
) -> None:
    url = f"postgres://app:{SECRET}@db.internal:5432/service"
    write(git_repo / "staging.env", f"DATABASE_URL={url}\n")
    write(git_repo / "production.env", "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/service\n")
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="staging.env",
        production="production.env",
        forbid_plaintext_secrets=True,
    )
    assert result.exit_code == 1
    assert SECRET not in result.output
    assert SECRET not in "\n".join(step["details"])
    assert any("plain-text secret in staging" in row for row in step["details"])


def test_plaintext_secrets_in_files_git_does_not_track_are_allowed(
    git_repo: Path, cli_invoke: Any
) -> None:
    write(git_repo / ".gitignore", ".relcheck/\nlocal/\n")
    write(git_repo / "local/staging.env", f"DB_PASSWORD={SECRET}\n")
    write(git_repo / "local/production.env", f"DB_PASSWORD={SECRET}\n")
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="local/staging.env",
        production="local/production.env",
        forbid_plaintext_secrets=True,
    )
    assert result.exit_code == 0, result.output
    assert step["summary"] == "1 key compared, identical"


# -- lock files ----------------------------------------------------------------------


def test_lock_file_version_drift_fails_with_each_package(git_repo: Path, cli_invoke: Any) -> None:
    write(git_repo / "staging.yaml", "a: 1\n")
    write(git_repo / "production.yaml", "a: 1\n")
    write(git_repo / "staging/requirements.txt", "django==4.2.3\nrequests==2.31.0\n")
    write(git_repo / "production/requirements.txt", "Django==4.2.7\nrequests==2.31.0\nidna==3.6\n")
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="staging.yaml",
        production="production.yaml",
        lockfiles=[
            {"staging": "staging/requirements.txt", "production": "production/requirements.txt"}
        ],
    )
    assert result.exit_code == 1
    assert step["summary"] == ("1 key and 3 locked packages compared, 2 drifted, 0 rules failed")
    rows = {r.split("  ")[0].strip(): r for r in step["details"][1:]}
    assert "version differs" in rows["requirements.txt: django"]
    assert "4.2.3" in rows["requirements.txt: django"]
    assert "4.2.7" in rows["requirements.txt: django"]
    assert "missing in staging" in rows["requirements.txt: idna"]
    assert step["metrics"]["packages_compared"] == 3
    assert step["metrics"]["drifted"] == step["metrics"]["packages_drifted"] == 2


def test_identical_uv_locks_pass(git_repo: Path, cli_invoke: Any) -> None:
    lock = 'version = 1\n[[package]]\nname = "httpx"\nversion = "0.27.0"\n'
    write(git_repo / "s/uv.lock", lock)
    write(git_repo / "p/uv.lock", lock)
    write(git_repo / "s.toml", "")
    write(git_repo / "p.toml", "")
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="s.toml",
        production="p.toml",
        lockfiles=[{"staging": "s/uv.lock", "production": "p/uv.lock"}],
    )
    assert result.exit_code == 0, result.output
    assert step["summary"] == "0 keys and 1 locked package compared, identical"


# -- a configuration served over HTTP --------------------------------------------------


class _ConfigHandler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, bytes, dict[str, str]]]] = {}

    def log_message(self, format: str, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        status, body, headers = self.routes.get(self.path, (404, b"{}", {}))
        if self.path == "/private" and self.headers.get("Authorization") != "Bearer t0k3n":
            status, body = 401, b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def config_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving configurations."""
    server = QuietHTTPServer(("127.0.0.1", 0), _ConfigHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    config = json.dumps({"db": {"host": "p", "port": 5432}, "debug": False}).encode()
    _ConfigHandler.routes = {
        "/config": (200, config, {}),
        "/private": (200, config, {}),
        "/moved": (302, b"", {"Location": "/config"}),
        "/elsewhere": (302, b"", {"Location": "http://127.0.0.1:9/config"}),
        "/broken": (200, b'{\n "db": {\n  "host": \n', {}),
        "/down": (503, b"{}", {}),
        "/loop": (302, b"", {"Location": "/loop"}),
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def test_a_config_served_over_http_is_compared_with_a_file(
    git_repo: Path, cli_invoke: Any, config_server: str
) -> None:
    write(git_repo / "staging.json", '{"db": {"host": "s", "port": 5433}, "debug": false}')
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging="staging.json",
        production=f"{config_server}/config",
        may_differ=["db.host"],
    )
    assert result.exit_code == 1
    assert step["summary"] == ("3 keys compared, 1 drifted, 0 rules failed (1 allowed difference)")
    assert step["details"][1].split()[:3] == ["db.port", "5433", "5432"]


def test_a_url_follows_a_same_origin_redirect_and_sends_headers_from_the_environment(
    git_repo: Path, cli_invoke: Any, config_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIG_TOKEN", "t0k3n")
    result, step = run_step(
        git_repo,
        cli_invoke,
        staging={
            "url": f"{config_server}/private",
            "headers": {"Authorization": "Bearer ${CONFIG_TOKEN}"},
        },
        production=f"{config_server}/moved",
    )
    assert result.exit_code == 0, result.output
    assert step["summary"] == "3 keys compared, identical"


@pytest.mark.parametrize(
    ("route", "summary"),
    [
        ("/elsewhere", "redirect to another origin refused (http://127.0.0.1:9/config)"),
        ("/down", "HTTP 503 from"),
        ("/broken", "/broken:4:1: JSON syntax error: Expecting value"),
        ("/private", "HTTP 401 from"),
        ("/loop", "more than 5 redirects"),
    ],
)
def test_a_url_that_cannot_be_used_is_an_error_that_says_why(
    route: str, summary: str, git_repo: Path, cli_invoke: Any, config_server: str
) -> None:
    write(git_repo / "staging.json", "{}")
    _, step = run_step(
        git_repo, cli_invoke, staging="staging.json", production=f"{config_server}{route}"
    )
    assert step["status"] == "error"
    assert summary in step["summary"]


def test_only_file_comparisons_are_cacheable() -> None:
    from relcheck.runners.config_drift import ConfigDriftParams, ConfigDriftRunner

    files = ConfigDriftParams(staging="s.toml", production="p.toml")
    url = ConfigDriftParams(staging="s.toml", production="https://config.example/prod")
    assert ConfigDriftRunner.cacheable
    assert ConfigDriftRunner.cacheable_for(files) is True
    assert ConfigDriftRunner.cacheable_for(url) is False
    assert ConfigDriftRunner.inputs_for(files) == ["s.toml", "p.toml"]


# -- the checklists relcheck ships -----------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def test_the_python_service_template_validates(cli_invoke: Any, tmp_path: Path) -> None:
    result = cli_invoke("validate", str(REPO / "checklists/python-service.yaml"), cwd=tmp_path)
    assert result.exit_code == 0, result.output


def test_relchecks_own_staging_config_step_passes_on_its_example_configs(
    git_repo: Path, cli_invoke: Any
) -> None:
    import shutil

    shutil.copy(REPO / "relcheck.yaml", git_repo / "relcheck.yaml")
    shutil.copytree(REPO / "examples/config", git_repo / "examples/config")
    commit_all(git_repo, "relcheck's own checklist")
    result = cli_invoke("run", "--dry-run", "--only", "staging-config", cwd=git_repo)
    assert result.exit_code == 0, result.output
    step = step_record(latest_record(git_repo), "staging-config")
    assert step["summary"].startswith("16 keys compared, 0 drifted, 0 rules failed")


def test_a_url_side_may_come_from_the_environment(
    git_repo: Path, cli_invoke: Any, config_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODUCTION_CONFIG_URL", f"{config_server}/config")
    write(git_repo / "staging.json", '{"db": {"host": "p", "port": 5432}, "debug": false}')
    result, step = run_step(
        git_repo, cli_invoke, staging="staging.json", production="${PRODUCTION_CONFIG_URL}"
    )
    assert result.exit_code == 0, result.output
    assert step["summary"] == "3 keys compared, identical"
