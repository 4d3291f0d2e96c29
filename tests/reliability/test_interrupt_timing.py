"""Ctrl-C at any moment: while Python is importing relcheck, while arguments are parsed,
while steps run, and after the tag was made. The exit code always tells the truth and no
traceback is printed."""

from __future__ import annotations

import random
import re
import signal
import time
from pathlib import Path

import pytest

from tests.helpers import latest_record, run_relcheck, start_relcheck, tags
from tests.reliability.support import (
    FIGURES,
    TRACEBACK,
    check_run,
    communicate,
    with_release,
)


def test_ctrl_c_after_the_tag_was_made_still_exits_zero(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    sentinel = tmp_path / "released"
    checklist(
        with_release(
            """
        version: 1
        steps:
          - id: fine
            run: 'true'
        """,
            sentinel,
            interrupt_after=True,
        )
    )
    proc = run_relcheck("run", cwd=git_repo, env=run_env)
    FIGURES.add("signal/timeout runs")
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tags(git_repo) == ["v1.2.0"]
    assert latest_record(git_repo)["outcome"] == "passed"


PACKAGE = Path(__file__).resolve().parents[2] / "relcheck"


def _handler_line() -> int:
    """The line of relcheck/__main__.py that installs relcheck's first SIGINT handler."""
    lines = (PACKAGE / "__main__.py").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith("_signal.signal("))


def _before_relcheck_runs(stderr: str) -> bool:
    """Whether a traceback comes from before relcheck can handle a signal: Python's own
    start-up (site, runpy), importing the package (``__init__``, ``_version``), or the
    lines of ``__main__`` above its first handler. Anything later is relcheck's fault."""
    first = _handler_line()
    for name, line in re.findall(r'File "([^"]+)", line (\d+)', stderr):
        path = Path(name)
        if path.parent != PACKAGE and PACKAGE not in path.parents:
            continue  # the interpreter's own code (site, runpy, importlib)
        if path in (PACKAGE / "__init__.py", PACKAGE / "_version.py"):
            continue
        if path == PACKAGE / "__main__.py" and int(line) <= first:
            continue
        return False
    return True


@pytest.mark.slow
def test_ctrl_c_at_random_moments_exits_130_or_finishes_without_a_traceback(
    git_repo: Path, checklist, run_env: dict[str, str]
) -> None:
    checklist(
        """
        version: 1
        steps:
          - id: short
            run: sleep 0.2
        """
    )
    rng = random.Random(130)
    startup = 0
    for _ in range(12):
        proc = start_relcheck("run", "--dry-run", cwd=git_repo, env=run_env)
        time.sleep(rng.uniform(0.02, 0.6))
        proc.send_signal(signal.SIGINT)
        out, err = communicate(proc)
        FIGURES.add("signal/timeout runs")
        if (TRACEBACK in err and _before_relcheck_runs(err)) or (
            proc.returncode == -signal.SIGINT and not out + err
        ):
            # The signal landed while the interpreter was starting, before relcheck's
            # first line could install a handler (on a loaded machine, even before
            # Python's own): outside what relcheck can handle.
            startup += 1
            continue
        check_run(proc.returncode, out + err, git_repo)
        # -2 is death by SIGINT, which a shell reports as 130 too: CPython re-raises the
        # signal at exit when the interrupt passed through an eval() during an import.
        assert proc.returncode in (0, 130, -signal.SIGINT), out + err
        if proc.returncode != 0:
            assert "interrupted" in out + err
    FIGURES.add("Ctrl-C during Python's own start-up (not counted)", startup)
