"""The arithmetic of gates and of the comparison's lines, on plain numbers."""

from __future__ import annotations

import pytest

from relcheck.evidence.compare import Delta
from relcheck.evidence.gates import explain, holds


@pytest.mark.parametrize(
    ("rule", "before", "after", "ok"),
    [
        ("no_fewer", 412, 412, True),
        ("no_fewer", 412, 398, False),
        ("no_drop", 91.5, 91.4, False),
        ("no_more", 0, 1, False),
        ("no_rise", 3, 2, True),
        ("+20%", 180, 216, True),  # exactly the bound holds
        ("+20%", 180, 217, False),
        ("-10%", 100, 90, True),
        ("-10%", 100, 89.9, False),
    ],
)
def test_a_rule_holds_or_not(rule: str, before: float, after: float, ok: bool) -> None:
    assert holds(rule, before, after) is ok


def test_rules_explain_themselves() -> None:
    assert explain("no_fewer") == "may not drop"
    assert explain("+20%") == "may grow at most 20%"
    assert explain("-5%") == "may shrink at most 5%"


def test_lines_read_as_the_issue_shows_them() -> None:
    assert Delta("unit", "tests", 412, 398).line() == "unit: 412 -> 398 tests (-14)"
    assert Delta("health", "p95", 180, 240).line() == "health p95: 180 -> 240 ms (+33%)"
    assert Delta("unit", "coverage", 91.5, 90.1).line() == "unit coverage: 91.5% -> 90.1% (-1.4)"
    assert Delta("lint", "lint.E501", None, 2).line() == "lint E501: new (2)"


def test_verdicts_know_which_way_is_better() -> None:
    assert Delta("unit", "tests", 4, 5).verdict == "improved"
    assert Delta("unit", "failed", 0, 1).verdict == "regressed"
    assert Delta("api", "p95", 100, 90).verdict == "improved"
    assert Delta("api", "p95 search", 100, 300).verdict == "regressed"
    # A duration that moved by a few milliseconds is noise, not news.
    assert not Delta("lint", "duration", 0.03, 0.04).notable
    assert Delta("unit", "duration", 2.0, 4.0).notable


def test_each_runners_metrics_have_short_names() -> None:
    from relcheck.evidence.facts import measured
    from relcheck.models import Status, StepResult

    pytest_result = StepResult(
        Status.PASSED,
        "ok",
        metrics={"tests": 10, "passed": 9, "failed": 0, "skipped": 1, "coverage": 91.5},
        duration=2.0,
    )
    ruff_result = StepResult(
        Status.PASSED, "ok", metrics={"findings": 3, "by_rule": {"E501": 2, "F401": 1}}
    )
    drift_result = StepResult(Status.PASSED, "ok", metrics={"keys_compared": 40, "drifted": 1})
    assert measured(pytest_result) == {
        "duration": 2.0,
        "tests": 10,
        "passed": 9,
        "failed": 0,
        "skipped": 1,
        "coverage": 91.5,
    }
    assert measured(ruff_result) == {"duration": 0, "findings": 3, "lint.E501": 2, "lint.F401": 1}
    assert measured(drift_result)["drifted"] == 1
    cached = StepResult(Status.CACHED, "ok", metrics={"tests": 10}, duration=0.01)
    assert "duration" not in measured(cached)  # a cached pass took no time in this run
