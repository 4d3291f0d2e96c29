"""Shared fixtures: an isolated environment, real git repositories, a real HTTP server."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result

from tests.helpers import QuietHTTPServer, commit_all, git, write
from tests.reliability.support import FIGURES

# The suite keeps bytecode caches of its test modules and of relcheck even where
# PYTHONDONTWRITEBYTECODE is set: without them each worker parses and rewrites every
# test module again (2 s of CPU a worker), and each relcheck process compiles relcheck.
# Only while collecting: a module a test writes and imports twice in one second must
# not be served from a cache its mtime cannot tell apart. Processes the tests start
# keep the variable; the caches go to gitignored __pycache__ folders.
_DONT_WRITE_BYTECODE = sys.dont_write_bytecode
sys.dont_write_bytecode = False


def pytest_collection_finish(session: pytest.Session) -> None:
    sys.dont_write_bytecode = _DONT_WRITE_BYTECODE


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config):  # type: ignore[no-untyped-def]
    """Run in parallel unless told otherwise (`-n 0`, `-p no:xdist`, `--pdb`).

    Set here rather than in addopts because `-n` is unknown when xdist is disabled. Tests
    that must not share the machine carry ``xdist_group`` marks: `loadgroup` keeps each
    group on one worker.
    """
    controller = not hasattr(config, "workerinput")
    if controller:
        import compileall

        import relcheck

        compileall.compile_dir(os.path.dirname(relcheck.__file__), quiet=1)
    if (
        config.pluginmanager.has_plugin("xdist")
        and controller
        and config.option.numprocesses is None
        and not config.option.usepdb
    ):
        # Two workers per CPU: many tests wait on a process, a server or a timeout, and
        # a second worker per CPU fills that time (4 workers: 4.3 min on 2 CPUs, where
        # 2 took 5.1).
        config.option.numprocesses = 2 * (os.cpu_count() or 1)
        if config.option.dist == "no":
            config.option.dist = "loadgroup"
    return (yield)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its reliability figures to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["relcheck_figures"] = FIGURES.state()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """The controller adds up the figures of each worker that finished."""
    state = getattr(node, "workeroutput", {}).get("relcheck_figures")
    if state:
        FIGURES.merge(state)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The reliability suite's figures (tests/reliability), for the Guarantees page."""
    if not FIGURES.counts:
        return
    terminalreporter.section("relcheck reliability figures")
    for line in FIGURES.lines():
        terminalreporter.write_line(line)
    target = os.environ.get("RELCHECK_FIGURES_FILE")
    if target:
        Path(target).write_text(FIGURES.to_json())


# Distributions whose pytest plugins a test project's own pytest must not load: they are
# this suite's tools, and hypothesis's alone costs a second of CPU per pytest started.
_SUITE_ONLY_PLUGINS = ("hypothesis-", "pytest_xdist-", "anyio-", "platformdirs-")


@pytest.fixture(scope="session")
def project_env_for_tests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment that sees every package of this one (pytest, pytest-cov,
    ruff, the example service's FastAPI) but registers none of the suite's own pytest
    plugins: the environment a test project's steps run in, made once per worker.

    Its site-packages holds a path file naming a folder of links to this environment's
    packages, less those plugins' metadata (which is how pytest finds plugins), and
    this environment's own path files (the editable relcheck, coverage's hook)."""
    import site
    import subprocess

    root = tmp_path_factory.mktemp("project-env")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    ours = Path(site.getsitepackages()[0])
    mirror = root / "packages"
    mirror.mkdir()
    for entry in ours.iterdir():
        name = entry.name
        if name.endswith(".pth") or name == "__pycache__" or name.startswith(_SUITE_ONLY_PLUGINS):
            continue
        (mirror / name).symlink_to(entry)
    [target] = venv.glob("lib/python3*/site-packages")
    (target / "00-relcheck-tests.pth").write_text(f"{mirror}\n")
    for path_file in ours.glob("*.pth"):
        (target / path_file.name).symlink_to(path_file)
    # Its tools are this environment's (ruff, pytest ...), its python the new one.
    for tool in Path(sys.prefix, "bin").iterdir():
        if not (venv / "bin" / tool.name).exists():
            (venv / "bin" / tool.name).symlink_to(tool)
    return venv


@pytest.fixture(autouse=True)
def clean_environ(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    project_env_for_tests: Path,
) -> None:
    """No CI, proxy, GitHub or relcheck variables leak in; git ignores the user's config."""
    for name in list(os.environ):
        if (
            name.startswith(("GITHUB_", "RELCHECK_", "GIT_", "GITLAB_"))
            or name.lower().endswith("_proxy")
            or name in ("CI", "NO_COLOR", "FORCE_COLOR")
            # A relcheck, pytest or git started by a test is not an xdist worker.
            or name.startswith("PYTEST_XDIST_")
        ):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig-empty"
    gitconfig.write_text("")
    templates = home / "git-templates"
    templates.mkdir(exist_ok=True)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(templates))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Rel Check")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "relcheck@example.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Rel Check")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "relcheck@example.invalid")
    monkeypatch.setenv("TERM", "dumb")
    # Output width never depends on the terminal the suite runs in: 120 is what relcheck
    # uses off a terminal when COLUMNS is unset.
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("LINES", "25")
    # Steps run the project's tools: a test project without a .venv of its own uses the
    # environment these tests run in, as a project does from an activated venv (see
    # project_env_for_tests: the same packages, without this suite's pytest plugins).
    if sys.prefix != sys.base_prefix:
        monkeypatch.setenv("VIRTUAL_ENV", str(project_env_for_tests))
    else:
        monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))  # crash logs


@pytest.fixture(scope="session")
def git_repo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The git_repo layout, built once per session (per worker): copied for each test."""
    root = tmp_path_factory.mktemp("git-repo-template")
    remote = root / "remote.git"
    repo = root / "repo"
    with pytest.MonkeyPatch.context() as patch:
        # The same isolated git as every test gets: the template holds no user config.
        for name in list(os.environ):
            if name.startswith("GIT_"):
                patch.delenv(name)
        home = tmp_path_factory.mktemp("template-home")
        (home / "gitconfig").write_text("")
        (home / "templates").mkdir()
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        patch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
        patch.setenv("GIT_TEMPLATE_DIR", str(home / "templates"))
        for role in ("AUTHOR", "COMMITTER"):
            patch.setenv(f"GIT_{role}_NAME", "Rel Check")
            patch.setenv(f"GIT_{role}_EMAIL", "relcheck@example.invalid")
        git(root, "init", "-q", "--bare", "-b", "main", str(remote))
        git(root, "init", "-q", "-b", "main", str(repo))
        write(
            repo / "pyproject.toml",
            """
            [project]
            name = "demo"
            version = "1.2.0"
            """,
        )
        write(
            repo / "CHANGELOG.md",
            """
            # Changelog

            ## [1.2.0] - 2026-11-26
            ### Added
            - Everything.
            """,
        )
        write(repo / ".gitignore", ".relcheck/\n")
        commit_all(repo, "initial")
        git(repo, "remote", "add", "origin", str(remote))
        git(repo, "push", "-q", "-u", "origin", "main")
    return root


@pytest.fixture
def git_repo(tmp_path: Path, git_repo_template: Path) -> Path:
    """A repository on `main` with one commit (pyproject.toml, CHANGELOG.md) and a bare
    repository as `origin`, pushed and tracked."""
    for name in ("remote.git", "repo"):
        shutil.copytree(git_repo_template / name, tmp_path / name, symlinks=True)
    repo = tmp_path / "repo"
    # `origin` is the copy's own remote, not the template's.
    config = repo / ".git" / "config"
    config.write_text(
        config.read_text().replace(
            str(git_repo_template / "remote.git"), str(tmp_path / "remote.git")
        )
    )
    # The copied index holds the template's file stats: record the copies' own.
    git(repo, "update-index", "-q", "--refresh", check=False)
    return repo


@pytest.fixture
def checklist(git_repo: Path):  # type: ignore[no-untyped-def]
    """Write ``relcheck.yaml`` into the git_repo and commit it: ``checklist(text)``."""

    def make(text: str, *, commit: bool = True) -> Path:
        path = write(git_repo / "relcheck.yaml", text)
        if commit:
            commit_all(git_repo, "checklist")
        return path

    return make


@pytest.fixture
def cli_invoke(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run a relcheck command in-process in ``cwd``; echo output when a test fails."""
    from relcheck.cli.main import main

    def invoke(*args: str, cwd: Path, input: str | None = None) -> Result:
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=True)
        print(f"$ relcheck {' '.join(args)}\n{result.output}")
        if result.exc_info and not isinstance(result.exception, SystemExit):
            import traceback

            traceback.print_exception(*result.exc_info)
        return result

    return invoke


class _Handler(BaseHTTPRequestHandler):
    """Routes for HTTP tests: /ok, /json, /status/N, /slow?ms=N, /badjson, /headers,
    /flaky?key=K&fail=N (503 N times per key, then 200), /redirect?to=URL, POST /echo."""

    protocol_version = "HTTP/1.1"
    flaky_counts: ClassVar[dict[str, int]] = {}
    flaky_lock = threading.Lock()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return None

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        from urllib.parse import parse_qs, urlparse

        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path in ("/ok", "/health"):
            self._send(200, json.dumps({"status": "ok", "version": "1.2.0"}).encode())
        elif url.path.startswith("/status/"):
            self._send(int(url.path.rsplit("/", 1)[1]), b'{"status": "error"}')
        elif url.path == "/slow":
            time.sleep(int(query.get("ms", ["500"])[0]) / 1000)
            self._send(200, b'{"status": "ok"}')
        elif url.path == "/flaky":
            key, fail = query["key"][0], int(query.get("fail", ["2"])[0])
            with self.flaky_lock:
                seen = self.flaky_counts[key] = self.flaky_counts.get(key, 0) + 1
            if seen <= fail:
                self._send(503, b'{"status": "starting"}')
            else:
                self._send(200, json.dumps({"status": "ok", "attempt": seen}).encode())
        elif url.path == "/redirect":
            self._send(302, b"", headers={"Location": query["to"][0]})
        elif url.path == "/badjson":
            self._send(200, b"{not json")
        elif url.path == "/headers":
            self._send(
                200,
                json.dumps(dict(self.headers)).encode(),
                headers={
                    "X-Content-Type-Options": "nosniff",
                    "Strict-Transport-Security": "max-age=63072000",
                },
            )
        else:
            self._send(404, b'{"error": "not found"}')

    def do_POST(self) -> None:
        from urllib.parse import parse_qs, urlparse

        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        answer = {
            "method": self.command,
            "path": url.path,
            "query": {k: v[0] for k, v in parse_qs(url.query).items()},
            "body": body,
            "content_type": self.headers.get("Content-Type"),
        }
        self._send(201 if url.path == "/echo" else 404, json.dumps(answer).encode())


@pytest.fixture(scope="session")
def http_server() -> Iterator[str]:
    """A real threaded HTTP server on 127.0.0.1; yields its base URL."""
    server = QuietHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
