"""Helpers for tests: real git repositories, real relcheck processes, record reading."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.warm_relcheck import WarmRelcheck

RELCHECK = [sys.executable, "-m", "relcheck"]
WARM = WarmRelcheck()


def git(cwd: Path | str, *args: str, check: bool = True) -> str:
    """Run git in ``cwd``; return stdout."""
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


def commit_all(repo: Path, message: str = "change") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def write(path: Path, text: str) -> Path:
    """Write dedented ``text`` to ``path`` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def remote_tags(repo: Path | str) -> list[str]:
    """The tags ``repo``'s ``origin`` has, sorted (`git ls-remote`: what was pushed)."""
    out = git(repo, "ls-remote", "--tags", "--refs", "origin", check=False)
    return sorted(line.split("refs/tags/")[1] for line in out.splitlines() if "refs/tags/" in line)


def run_relcheck(
    *args: str,
    cwd: Path | str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run relcheck as a user would: a real process (forked from a warm one where that
    changes nothing the test can see: tests/warm_relcheck.py)."""
    full_env = {**os.environ, **(env or {})}
    if WARM.serves(full_env, str(cwd)):
        return WARM.run(RELCHECK, args, cwd=str(cwd), env=full_env, input=input, timeout=timeout)
    return run_relcheck_anew(*args, cwd=cwd, env=env, input=input, timeout=timeout)


def run_relcheck_anew(
    *args: str,
    cwd: Path | str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run relcheck in a new interpreter, always."""
    return subprocess.run(
        [*RELCHECK, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


def start_relcheck(
    *args: str,
    cwd: Path | str,
    env: dict[str, str] | None = None,
    merge_stderr: bool = False,
) -> subprocess.Popen[str]:
    """Start relcheck as a user's shell would, without waiting for it (to signal it)."""
    return subprocess.Popen(
        [*RELCHECK, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
    )


def records(repo: Path) -> list[Path]:
    """Run records in ``repo``, oldest first."""
    runs = repo / ".relcheck" / "runs"
    return sorted(runs.glob("*.toml")) if runs.exists() else []


def latest_record(repo: Path) -> dict[str, Any]:
    """The newest record of ``repo`` as data."""
    found = records(repo)
    assert found, f"no run record in {repo}"
    # Run ids order runs by the second only; two runs in one second order by start time.
    loaded = [tomllib.loads(path.read_text()) for path in found]
    return max(loaded, key=lambda record: record["started_at"])


def step_record(record: dict[str, Any], step_id: str) -> dict[str, Any]:
    for step in record["steps"]:
        if step["id"] == step_id:
            return step
    raise AssertionError(f"no step {step_id!r} in record: {[s['id'] for s in record['steps']]}")


def tags(repo: Path) -> list[str]:
    out = git(repo, "tag", "--list")
    return out.split() if out else []


def assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback (most recent call last)" not in proc.stdout + proc.stderr, proc.stderr


def make_plugin(
    where: Path, runners: dict[str, str], source: str, dist: str = "demo_plugin"
) -> Path:
    """Write a real installed distribution (module + dist-info with entry points).

    ``runners`` maps runner names to ``module:Class``. Put ``where`` on PYTHONPATH (or
    sys.path) and importlib.metadata finds it like any installed package.
    """
    where.mkdir(parents=True, exist_ok=True)
    module = dist.replace("-", "_")
    (where / f"{module}.py").write_text(textwrap.dedent(source).lstrip("\n"))
    info = where / f"{module}-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "\n".join(f"{name} = {target}" for name, target in runners.items())
    (info / "entry_points.txt").write_text(f"[relcheck.runners]\n{lines}\n")
    return where


RELEASE_PLUGIN = '''
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from relcheck.api import Runner, Status, StepResult


@dataclass(frozen=True)
class Params:
    __pydantic_config__: ClassVar[dict] = {"extra": "forbid"}
    sentinel: str


class SentinelRelease(Runner):
    """A release step that proves it ran by writing a file."""

    name = "sentinel-release"
    Params = Params
    release = True

    def run(self, params, ctx):
        Path(params.sentinel).write_text(ctx.info.run_id)
        return StepResult(Status.PASSED, "released")

    @staticmethod
    def describe(params, checklist, info):
        return f"would write {params.sentinel}"
'''


def release_plugin(where: Path) -> dict[str, str]:
    """A plugin with a `sentinel-release` release step; returns env for relcheck."""
    make_plugin(where, {"sentinel-release": "demo_plugin:SentinelRelease"}, RELEASE_PLUGIN)
    return {"PYTHONPATH": str(where)}


def push(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A real ``git push`` (hooks and all); the result, whatever it is."""
    return subprocess.run(
        ["git", "push", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def spawn_relcheck(
    *args: str,
    cwd: Path | str,
    env: dict[str, str] | None = None,
    rows: int = 30,
    columns: int = 100,
    timeout: float = 60,
) -> Any:
    """Run relcheck in a real pseudo-terminal (pexpect), as a person at a terminal would."""
    import io

    import pexpect

    # The terminal's size is the pseudo-terminal's, not the COLUMNS the suite pins.
    terminal_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    child = pexpect.spawn(
        RELCHECK[0],
        [*RELCHECK[1:], *args],
        cwd=str(cwd),
        env={**terminal_env, "TERM": "xterm-256color", **(env or {})},
        dimensions=(rows, columns),
        encoding="utf-8",
        codec_errors="replace",
        timeout=timeout,
    )
    # Every byte read, once: `before` repeats what a timed-out expect already returned.
    child.logfile_read = io.StringIO()
    return child


def transcript(child: Any) -> str:
    """Everything a spawned relcheck has written so far."""
    return str(child.logfile_read.getvalue())


def screen_of(output: str, rows: int = 30, columns: int = 100) -> list[str]:
    """What a terminal would show after ``output``: its lines, right-stripped."""
    import pyte

    screen = pyte.Screen(columns, rows)
    pyte.Stream(screen).feed(output)
    return [line.rstrip() for line in screen.display]


class QuietHTTPServer(ThreadingHTTPServer):
    """A test's threaded HTTP server on which a client that hung up is not an error
    (relcheck's http runner gives up at its timeout). socketserver would print a
    traceback from the server's thread to sys.stderr, which is whichever test's output
    is being captured at that moment."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
