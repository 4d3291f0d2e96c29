"""Shared parts of the reliability suite: the figures, a test plugin, and the checks
every fault scenario must pass (no traceback, no tag after failure, no corrupt record,
no process left running)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import remote_tags, tags

TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Figures:
    """Totals over the session: what was tried and what went wrong."""

    counts: Counter[str] = field(default_factory=Counter)
    peaks: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def peak(self, name: str, value: float) -> None:
        self.peaks[name] = max(value, self.peaks.get(name, 0.0))

    # The order in which the summary prints them; anything else follows.
    ORDER = (
        "bad checklists tried",
        "generated checklists loaded",
        "tracebacks",
        "fault scenarios",
        "tags made after a failure",
        "signal/timeout runs",
        "step processes tracked",
        "orphaned processes",
        "secret canaries",
        "secret leaks",
        "terminal escapes: scenarios",
        "raw escapes printed",
        "kill -9 during record writes",
        "corrupt or empty records",
        "tag names compared with git",
        "tag-name disagreements with git",
    )

    def lines(self) -> list[str]:
        names = [n for n in self.ORDER if n in self.counts]
        names += sorted(n for n in self.counts if n not in self.ORDER)
        out = [f"{name}: {self.counts[name]}" for name in names]
        out += [f"{name}: {value:.1f}" for name, value in sorted(self.peaks.items())]
        return out

    def state(self) -> dict[str, dict[str, float]]:
        """The totals as plain data, to hand from an xdist worker to the controller."""
        return {"counts": dict(self.counts), "peaks": dict(self.peaks)}

    def merge(self, state: dict[str, dict[str, float]]) -> None:
        """Add a worker's totals to these."""
        for name, n in state["counts"].items():
            self.add(name, int(n))
        for name, value in state["peaks"].items():
            self.peak(name, value)

    def to_json(self) -> str:
        return json.dumps({**self.counts, **self.peaks}, indent=2, sort_keys=True)


FIGURES = Figures()

_PLUGIN = '''
"""A third-party runner package used by relcheck's reliability tests."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import Any, ClassVar

from relcheck.api import Runner, Status, StepResult


@dataclass(frozen=True)
class TagParams:
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
    sentinel: str
    interrupt_after: bool = False  # Ctrl-C relcheck itself right after tagging


class TagRunner(Runner):
    """A release step: makes the annotated tag (git argv, no shell), leaves a sentinel."""

    name = "reltest-tag"
    Params = TagParams
    release = True

    def run(self, params: TagParams, ctx: Any) -> StepResult:
        with open(params.sentinel, "a") as fh:
            fh.write(f"{ctx.info.tag}\\n")
        result = ctx.run_command(["git", "tag", "-a", "-m", "release", "--", ctx.info.tag])
        if result.returncode != 0:
            return StepResult(Status.FAILED, result.describe())
        if params.interrupt_after:
            os.kill(os.getpid(), signal.SIGINT)
        return StepResult(Status.PASSED, f"tagged {ctx.info.tag}")


@dataclass(frozen=True)
class PublishParams:
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
    published: str  # each publication appends the run id here
    refused_while: str  # the upload is refused while this file exists


class PublishRunner(Runner):
    """A release step after the tag, as a package upload: refused while a file says so."""

    name = "reltest-publish"
    Params = PublishParams
    release = True

    def run(self, params: PublishParams, ctx: Any) -> StepResult:
        if os.path.exists(params.refused_while):
            return StepResult(Status.FAILED, "the package index refused the upload")
        with open(params.published, "a") as fh:
            fh.write(f"{ctx.info.run_id} {ctx.info.tag}\\n")
        return StepResult(Status.PASSED, f"published {ctx.info.version}")


@dataclass(frozen=True)
class StuckParams:
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
    started: str


class StuckRunner(Runner):
    """A badly written check: loops in Python and never looks at ctx.cancel."""

    name = "reltest-stuck"
    Params = StuckParams

    def run(self, params: StuckParams, ctx: Any) -> StepResult:
        import time

        with open(params.started, "w") as fh:
            fh.write("started")
        while True:
            time.sleep(0.05)


@dataclass(frozen=True)
class BlockParams:
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
    started: str
    fifo: str | None = None  # read this FIFO (no writer ever comes) instead of sleeping


class BlockRunner(Runner):
    """A check that blocks where no signal reaches: one long sleep, or a FIFO read."""

    name = "reltest-block"
    Params = BlockParams

    def run(self, params: BlockParams, ctx: Any) -> StepResult:
        import time

        with open(params.started, "w") as fh:
            fh.write("started")
        if params.fifo is not None:
            with open(params.fifo) as fh:
                fh.read()
        time.sleep(10**6)
        return StepResult(Status.PASSED, "woke up")


from relcheck.runners.command import CommandRunner  # noqa: E402


class SlowCommandRunner(CommandRunner):
    """The command runner with a run() of its own that sleeps: what the command runner
    says of its own run() (that it keeps its deadline) says nothing of this one."""

    name = "reltest-slow-command"

    def run(self, params: Any, ctx: Any) -> StepResult:
        import time

        time.sleep(10**6)
        return StepResult(Status.PASSED, "woke up")
'''


def write_test_plugin(folder: Path) -> Path:
    """Write the ``reltest`` distribution (module + dist-info) into ``folder``."""
    (folder / "reltest_plugin.py").write_text(textwrap.dedent(_PLUGIN))
    info = folder / "reltest-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: reltest\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[relcheck.runners]\nreltest-tag = reltest_plugin:TagRunner\n"
        "reltest-stuck = reltest_plugin:StuckRunner\n"
        "reltest-block = reltest_plugin:BlockRunner\n"
        "reltest-slow-command = reltest_plugin:SlowCommandRunner\n"
        "reltest-publish = reltest_plugin:PublishRunner\n"
    )
    return folder


def release_step(sentinel: Path, *, interrupt_after: bool = False) -> str:
    """YAML for a release step that tags and leaves ``sentinel`` behind."""
    extra = ", interrupt_after: true" if interrupt_after else ""
    return f"""
  - id: tag
    uses: reltest-tag
    with: {{sentinel: "{sentinel}"{extra}}}
"""


def with_release(text: str, sentinel: Path, *, interrupt_after: bool = False) -> str:
    """Checklist ``text`` (indented as in a test) with the release step appended."""
    return textwrap.dedent(text).strip("\n") + release_step(
        sentinel, interrupt_after=interrupt_after
    )


def communicate(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    """Wait for ``proc``'s output; a process that hangs fails the test and is killed."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"relcheck did not end within {timeout}s:\n{out}{err}") from None


def wait_for(path: Path, timeout: float = 30) -> None:
    """Wait until ``path`` exists and is not empty."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} did not appear within {timeout}s")


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def survivors(pid_dir: Path, settle: float = 2.0) -> list[int]:
    """Pids written under ``pid_dir`` whose process still runs (after a short settle)."""
    pids = [
        int(text)
        for f in sorted(pid_dir.glob("*.pid"))
        if (text := f.read_text().strip()).isdigit()
    ]
    FIGURES.add("step processes tracked", len(pids))
    deadline = time.monotonic() + settle
    alive = [p for p in pids if pid_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if pid_alive(p)]
    for pid in alive:  # do not leave them behind for the next test
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive


def read_records(repo: Path) -> dict[str, bytes]:
    runs = repo / ".relcheck" / "runs"
    found = sorted(runs.glob("[!.]*.toml")) if runs.exists() else []  # not .tmp-* files
    return {p.name: p.read_bytes() for p in found}


def record_problems(content: bytes) -> str | None:
    """Why ``content`` is not a complete record, or None when it is one."""
    if not content:
        return "empty"
    try:
        data = tomllib.loads(content.decode())
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return f"unreadable: {exc}"
    for key in ("run_id", "outcome", "started_at", "ended_at"):
        if key not in data:
            return f"missing {key!r}"
    return None


def check_run(
    returncode: int,
    output: str,
    repo: Path,
    *,
    before: dict[str, bytes] | None = None,
    pid_dir: Path | None = None,
    tags_before: frozenset[str] = frozenset(),
) -> None:
    """What every scenario must show; counts each breach in the figures, then asserts."""
    FIGURES.add("fault scenarios")
    tracebacks = output.count(TRACEBACK)
    FIGURES.add("tracebacks", tracebacks)
    found = set(tags(repo)) | set(remote_tags(repo))
    made = [] if returncode == 0 else sorted(found - tags_before)
    FIGURES.add("tags made after a failure", len(made))
    after = read_records(repo)
    broken = {n: why for n, c in after.items() if (why := record_problems(c))}
    changed = [n for n, c in (before or {}).items() if n in after and after[n] != c]
    lost = [n for n in (before or {}) if n not in after]
    FIGURES.add("corrupt or empty records", len(broken) + len(changed) + len(lost))
    left = survivors(pid_dir) if pid_dir is not None else []
    FIGURES.add("orphaned processes", len(left))
    assert tracebacks == 0, output
    assert not made, f"tags made by a run that exited {returncode}: {made}"
    assert not broken, broken
    assert not changed, f"earlier records changed: {changed}"
    assert not lost, f"earlier records lost: {lost}"
    assert not left, f"processes of the step still running: {left}"


def python_exe() -> str:
    return sys.executable
