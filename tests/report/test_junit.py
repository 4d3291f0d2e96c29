"""The --junit file, read back case by case with an independent JUnit reader."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped

from relcheck.models import Outcome, RunInfo, RunResult, Status, StepResult
from relcheck.report import junit
from tests.helpers import latest_record
from tests.report.conftest import SECRET


def _cases(path: Path) -> dict[str, object]:
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1
    return {case.name: case for case in suites[0]}


def test_junit_file_has_one_case_per_step_with_its_result(
    mixed: Path, cli_invoke, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "reports" / "relcheck.xml"
    result = cli_invoke("run", "--dry-run", "--junit", str(report), cwd=mixed)
    assert result.exit_code == 1

    cases = _cases(report)
    assert list(cases) == ["ok", "bad", "after", "broken", "slow", "maybe"]
    assert cases["ok"].is_passed  # type: ignore[attr-defined]

    (failure,) = cases["bad"].result  # type: ignore[attr-defined]
    assert isinstance(failure, Failure)
    assert failure.message == "exit 3 (expected 0)"
    assert "first line" in failure.text
    assert "token=***" in failure.text
    assert SECRET not in report.read_text()

    (skipped,) = cases["after"].result  # type: ignore[attr-defined]
    assert isinstance(skipped, Skipped)
    assert skipped.message == "needs 'bad', which failed"

    (error,) = cases["broken"].result  # type: ignore[attr-defined]
    assert isinstance(error, Error)
    assert "not found" in error.message

    (timeout,) = cases["slow"].result  # type: ignore[attr-defined]
    assert isinstance(timeout, Error)
    assert timeout.type == "timed_out"

    (optional,) = cases["maybe"].result  # type: ignore[attr-defined]
    assert isinstance(optional, Failure)
    assert optional.message.startswith("optional step, does not block the release: ")


def test_junit_totals_and_properties_match_the_record(
    mixed: Path, cli_invoke, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "relcheck.xml"
    cli_invoke("run", "--dry-run", "--junit", str(report), cwd=mixed)
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "6",
        "failures": "2",
        "errors": "2",
        "skipped": "1",
    }
    assert suite.get("name") == "relcheck.relcheck"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    record = latest_record(mixed)
    assert properties["run_id"] == record["run_id"]
    assert properties["outcome"] == "failed"
    assert properties["commit"] == record["commit"]
    for case in suite.iter("testcase"):
        assert float(case.get("time", "x")) >= 0


def test_text_xml_cannot_hold_is_replaced_so_the_file_stays_readable(tmp_path: Path) -> None:
    info = RunInfo("r1", str(tmp_path), "relcheck.yaml", "0" * 64, None, None, None, None, "0")
    step = StepResult(
        Status.FAILED,
        "bad \x00 byte",
        output_tail="colour \x1b[31mred\x1b[0m & <tags>\n",
        step_id="s",
        runner="command",
    )
    run = RunResult(info, Outcome.FAILED, 0.0, 1.0, (step,))
    path = tmp_path / "out.xml"
    junit.write(str(path), run)
    (case,) = list(next(iter(JUnitXml.fromfile(str(path)))))
    (failure,) = case.result
    assert failure.message == "bad \ufffd byte"
    assert "& <tags>" in failure.text


def test_an_unwritable_junit_path_fails_before_any_step_runs(
    mixed: Path, cli_invoke, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cli_invoke("run", "--dry-run", "--junit", str(blocker / "x.xml"), cwd=mixed)
    assert result.exit_code == 2
    assert "cannot write the JUnit file" in result.output
    assert not (mixed / ".relcheck" / "runs").exists()
