"""Read the JUnit XML report pytest writes: counts, failures with their place, timings.

The standard library's ElementTree is enough: the report is small, comes from the pytest
process relcheck itself started, and has a handful of elements (testsuite, testcase and
its failure / error / skipped children).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from relcheck.errors import ReportError

_FIRST_LINES = 3  # lines of a failure message kept per failing test


@dataclass(frozen=True)
class Problem:
    """A failing or erroring test: its id, where it failed, and the message."""

    kind: str  # "failed" | "error"
    test_id: str
    lines: tuple[str, ...]
    path: str | None = None
    line: int | None = None


@dataclass
class Report:
    """What a pytest run produced, as counted from its JUnit XML."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)  # (test id, seconds)

    @property
    def tests(self) -> int:
        """Tests that ran, whatever their outcome (collection errors are not tests)."""
        return len(self.timings)

    def slowest(self, n: int = 5) -> list[tuple[str, float]]:
        return sorted(self.timings, key=lambda t: -t[1])[:n]


def read_report(path: str, root: str) -> Report:
    """Parse the JUnit XML at ``path``; test files are resolved against ``root``."""
    try:
        tree = ET.parse(path)
    except FileNotFoundError:
        raise ReportError("pytest wrote no JUnit report") from None
    except ET.ParseError as exc:
        raise ReportError(f"pytest's JUnit report is not valid XML: {exc}") from exc
    report = Report()
    suites = tree.getroot().iter("testsuite")
    for suite in suites:
        report.seconds += _float(suite.get("time"))
        for case in suite.iter("testcase"):
            _add_case(report, case, root)
    return report


def _add_case(report: Report, case: ET.Element, root: str) -> None:
    file = case.get("file")
    classname = case.get("classname") or ""
    name = case.get("name") or ""
    collection = not classname  # pytest reports a module that failed to import this way
    test_id = _collection_id(name, root) if collection else _test_id(file, classname, name)
    if not collection:
        report.timings.append((test_id, _float(case.get("time"))))
    def_line = int(case.get("line", "-1")) + 1 if case.get("line", "").isdigit() else None
    outcome = None
    for child in case:
        if child.tag == "failure":
            report.failed += 1
            outcome = "failed"
        elif child.tag == "error":
            report.errors += 1
            outcome = "error"
        elif child.tag == "skipped":
            outcome = outcome or "skipped"
            if child.get("type") == "pytest.xfail":
                report.xfailed += 1
            else:
                report.skipped += 1
            continue
        else:
            continue
        where = file or (test_id.split("::")[0] if collection else None)
        report.problems.append(
            Problem(
                kind=outcome,
                test_id=test_id,
                lines=_message_lines(child, collection),
                path=where,
                line=_failing_line(child.text or "", where) or (None if collection else def_line),
            )
        )
    if outcome is None:
        report.passed += 1


def _test_id(file: str | None, classname: str, name: str) -> str:
    """``tests/test_mod.py::TestClass::test_name[param]``, as pytest prints it."""
    if not file:
        return f"{classname}::{name}"
    module = file.removesuffix(".py").replace("/", ".")
    rest = classname[len(module) :].lstrip(".") if classname.startswith(module) else ""
    parts = [file, *(p for p in rest.split(".") if p), name]
    return "::".join(parts)


def _collection_id(name: str, root: str) -> str:
    """The test file behind a collection error reported as ``tests.test_mod``."""
    candidate = name.replace(".", "/") + ".py"
    return candidate if os.path.isfile(os.path.join(root, candidate)) else name


def _message_lines(element: ET.Element, collection: bool) -> tuple[str, ...]:
    body = element.text or ""
    message = element.get("message") or ""
    # pytest's "E   " lines say what went wrong; the message attribute of a collection
    # error is only "collection failure".
    raised = [line[1:].strip() for line in body.splitlines() if line.startswith("E ")]
    lines = raised if (collection and raised) else message.splitlines() or raised
    return tuple(line for line in (x.rstrip() for x in lines) if line)[:_FIRST_LINES]


def _failing_line(body: str, file: str | None) -> int | None:
    """The line in the test's own file where it failed, from the traceback's last mention."""
    if not file:
        return None
    pattern = re.compile(rf"^{re.escape(file)}:(\d+):", re.MULTILINE)
    found = pattern.findall(body)
    return int(found[-1]) if found else None


def _float(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0
