"""At 80 columns the live view cuts only the summary: state, id and time stay whole."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pexpect

from tests.helpers import screen_of, spawn_relcheck, transcript

LONG_ID = "integration-against-the-staging-database-cluster"
NARROW = f"""
version: 1
steps:
  - id: {LONG_ID}
    run: "exit 1"
  - id: waits-for-the-test-to-say-go
    run: while [ ! -e go ]; do sleep 0.05; done
"""


def test_a_narrow_terminal_cuts_the_summary_not_the_status_id_or_duration(
    git_repo: Path, checklist: Any
) -> None:
    checklist(NARROW)
    child = spawn_relcheck("run", "--dry-run", cwd=git_repo, columns=80)
    screen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the failed step's row is drawn (the other waits)
        child.expect(pexpect.TIMEOUT, timeout=0.1)
        screen = screen_of(transcript(child), columns=80)
        if any("failed" in line and LONG_ID in line for line in screen):
            break
    (git_repo / "go").touch()
    child.expect(pexpect.EOF)
    failed = next(line for line in screen if LONG_ID in line)
    assert re.match(rf"^✗ failed +{LONG_ID} +\d+\.\d\ds exit 1 \(exp.*…$", failed), failed
    running = next(line for line in screen if "waits-for-the-test-to-say-go" in line)
    assert re.match(r"^\S running +waits-for-the-test-to-say-go +\d+\.\d\ds$", running), running
