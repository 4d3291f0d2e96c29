"""The run as a JUnit XML file: one test case per step, for CI test-report readers.

Written with the standard library's ElementTree, which does the escaping; the format is a
handful of elements (the common subset GitHub, GitLab and Jenkins readers accept), so a
JUnit library would add a dependency without taking work off our hands.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import xml.etree.ElementTree as ET

from relcheck.errors import UsageError
from relcheck.models import RunResult, Status, Step, StepResult

# Characters XML 1.0 cannot hold at all, even escaped; a step's output may contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _body(result: StepResult) -> str:
    parts = [*result.details]
    if result.output_tail.strip():
        parts.append(result.output_tail.rstrip("\n"))
    return _text("\n".join(parts))


def _message(result: StepResult) -> str:
    prefix = "optional step, does not block the release: " if result.optional else ""
    return _text(prefix + result.summary)


def testcase(result: StepResult, suite: str) -> ET.Element:
    """The ``<testcase>`` of one step."""
    case = ET.Element(
        "testcase",
        {"name": _text(result.step_id), "classname": suite, "time": _seconds(result.duration)},
    )
    if result.status is Status.FAILED:
        failure = ET.SubElement(case, "failure", {"message": _message(result), "type": "failed"})
        failure.text = _body(result)
    elif result.status.fails_run:  # every other way a step fails
        error = ET.SubElement(
            case, "error", {"message": _message(result), "type": str(result.status)}
        )
        error.text = _body(result)
    elif result.status is Status.SKIPPED:
        ET.SubElement(case, "skipped", {"message": _text(result.reason or result.summary)})
    else:
        note = f"{result.status}: {result.summary}"
        if result.cached_from:
            note += f" (reused from run {result.cached_from})"
        out = ET.SubElement(case, "system-out")
        out.text = _text(note)
    return case


def document(run: RunResult, record_path: str | None = None) -> ET.Element:
    """The whole ``<testsuites>`` document of a run."""
    info = run.info
    suite_name = f"relcheck.{os.path.splitext(os.path.basename(info.checklist_path))[0]}"
    counts = {
        "tests": len(run.steps),
        "failures": sum(r.status is Status.FAILED for r in run.steps),
        "errors": sum(r.status.fails_run and r.status is not Status.FAILED for r in run.steps),
        "skipped": sum(r.status is Status.SKIPPED for r in run.steps),
    }
    totals = {k: str(v) for k, v in counts.items()}
    root = ET.Element("testsuites", {"name": "relcheck", **totals, "time": _seconds(run.duration)})
    started = dt.datetime.fromtimestamp(run.started_at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": suite_name,
            **totals,
            "time": _seconds(run.duration),
            "timestamp": started,
            "hostname": _text(socket.gethostname()),
            "id": "0",
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", info.run_id),
        ("outcome", str(run.outcome)),
        ("message", run.message),
        ("checklist", info.checklist_path),
        ("commit", info.commit),
        ("branch", info.branch),
        ("version", info.version),
        ("tag", info.tag),
        ("mode", info.mode),
        ("record", record_path),
        ("relcheck_version", info.relcheck_version),
    ):
        if value:
            ET.SubElement(properties, "property", {"name": name, "value": _text(value)})
    for result in run.steps:
        suite.append(testcase(result, suite_name))
    return root


def check_writable(path: str) -> None:
    """Fail before any step runs when the JUnit file could not be written."""
    from relcheck.record import probe_writable

    try:
        probe_writable(os.path.dirname(os.path.abspath(path)), mode=0o777)
    except OSError as exc:
        raise UsageError(
            f"cannot write the JUnit file {path}: {exc.strerror or exc}",
            hint="pass a --junit path in a writable folder",
        ) from exc
    if os.path.isdir(path):
        raise UsageError(f"--junit {path} is a folder; give a file name like {path}/relcheck.xml")


def write(path: str, run: RunResult, record_path: str | None = None) -> None:
    """Write the JUnit file for ``run`` to ``path`` atomically (parents created)."""
    import io

    from relcheck.system.fileio import write_atomic

    tree = ET.ElementTree(document(run, record_path))
    ET.indent(tree)
    buffer = io.BytesIO()
    tree.write(buffer, encoding="utf-8", xml_declaration=True)
    try:
        write_atomic(path, buffer.getvalue(), mode=0o644)
    except OSError as exc:
        raise UsageError(f"cannot write the JUnit file {path}: {exc.strerror or exc}") from exc


def check_not_tracked(root: str, path: str) -> None:
    """Refuse a --junit path git tracks: the report would silently replace a file of the
    project (``--junit pyproject.toml``)."""
    from relcheck.git.worktree import tracked

    full = os.path.abspath(path)
    if os.path.exists(full) and tracked(root, [full]):
        raise UsageError(
            f"--junit {path} is a file git tracks; relcheck will not replace it",
            hint="write the report to an untracked path, such as build/relcheck-junit.xml",
        )


class JunitReporter:
    """Writes the JUnit file when the run ends; says nothing while it runs."""

    def __init__(self, path: str) -> None:
        self.path = path

    def on_event(self, kind: str, step: Step, result: StepResult | None) -> None:
        return None

    def on_output(self, step_id: str, text: str) -> None:
        return None

    def finish(self, run: RunResult, record_path: str | None) -> None:
        write(self.path, run, record_path)
