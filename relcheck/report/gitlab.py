"""GitLab CI output: a collapsible log section per finished step, expanded when it failed.

Sections are documented at
https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections.
"""

from __future__ import annotations

import re
import sys
import time
from typing import TextIO

from relcheck.models import RunResult, Status, Step, StepResult
from relcheck.report.github import _log_lines
from relcheck.system.redact import printable

_ERASE = "\x1b[0K"
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
# A step's own output must not open or close sections of relcheck's: GitLab reads a
# marker only right after the erase-line sequence, so that sequence is broken there.
_MARKER = re.compile(r"\x1b\[0?K(?=section_(?:start|end):)")


def section_name(step_id: str, index: int) -> str:
    """``relcheck-3-unit``: letters, digits, ``_``, ``.`` and ``-`` only, unique per run."""
    return f"relcheck-{index}-{_NOT_NAME.sub('_', step_id)}"


def section_start(name: str, header: str, when: float, *, collapsed: bool) -> str:
    """The line that opens a section, its header shown in the log."""
    options = "[collapsed=true]" if collapsed else ""
    return f"{_ERASE}section_start:{int(when)}:{name}{options}\r{_ERASE}{header}"


def section_end(name: str, when: float) -> str:
    """The line that closes a section."""
    return f"{_ERASE}section_end:{int(when)}:{name}\r{_ERASE}"


def neutralize(line: str) -> str:
    """A log line that cannot be read as a section marker."""
    return _MARKER.sub("", line)


class GitlabReporter:
    """A section per finished step with its log: collapsed for passes, open for failures."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._count = 0

    def _print(self, text: str) -> None:
        # One write per line, so a heartbeat line from another thread stays whole.
        self.stream.write(text + "\n")
        self.stream.flush()

    def on_event(self, kind: str, step: Step, result: StepResult | None) -> None:
        if kind != "finish" or result is None or result.status is Status.SKIPPED:
            return
        self._count += 1
        name = section_name(result.step_id, self._count)
        # GitLab shows a section's duration from its two timestamps: the step's own.
        started = result.started_at or time.time()
        ended = max(result.ended_at, started) if result.started_at else started
        header = printable(f"{result.step_id}: {result.status}")
        self._print(section_start(name, header, started, collapsed=not result.status.fails_run))
        for line in _log_lines(result) or ["(no output)"]:
            self._print(neutralize(printable(line)))
        self._print(section_end(name, ended))

    def on_output(self, step_id: str, text: str) -> None:
        return None

    def finish(self, run: RunResult, record_path: str | None) -> None:
        return None
