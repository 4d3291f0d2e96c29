"""The run result as JSON (the record's fields), for scripts and CI."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from relcheck import record_format
from relcheck.models import Checklist, RunInfo, RunResult, Step, StepResult


class JsonReporter:
    """Prints nothing while running; the whole result as one JSON document at the end."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def begin(self, checklist: Checklist, info: RunInfo) -> None:
        return None

    def on_event(self, kind: str, step: Step, result: StepResult | None) -> None:
        return None

    def on_output(self, step_id: str, text: str) -> None:
        return None

    def finish(self, run: RunResult, record_path: str | None) -> None:
        data = record_format.to_dict(run)
        if record_path:
            data["record"] = record_path
        json.dump(data, self.stream, indent=2, sort_keys=False)
        self.stream.write("\n")
        self.stream.flush()
