"""The release tag's message: readable by people, and read back exactly by relcheck."""

from __future__ import annotations

from relcheck.git.tagmessage import compose, parse
from relcheck.models import RunInfo, Status, StepResult

INFO = RunInfo(
    run_id="20261126T101500Z-3fa2",
    root="/repo",
    checklist_path="relcheck.yaml",
    checklist_sha256="9b" * 32,
    commit="3f2a1c9" + "0" * 33,
    branch="main",
    version="1.2.0",
    tag="v1.2.0",
    relcheck_version="0.1.0",
)


def _result(step_id: str, status: Status, summary: str, **kw: object) -> StepResult:
    return StepResult(status, summary, step_id=step_id, duration=1.25, **kw)  # type: ignore[arg-type]


def test_message_round_trips_every_step_with_status_and_summary() -> None:
    results = [
        _result("lint", Status.PASSED, "no lint findings"),
        _result("unit", Status.CACHED, "42 passed", cached_from="20261125T090000Z-aaaa"),
        _result("docs", Status.FAILED, "exit 3\nsecond line", optional=True),
        _result("notes", Status.PASSED, "# starts like a comment"),
        _result("e2e", Status.PASSED, "ok", cached_from="20261126T100000Z-job1"),
    ]
    message = compose(INFO, results)
    assert message.startswith("Release v1.2.0\n\n")
    assert "CACHED      unit" in message and "(cached from run 20261125T090000Z-aaaa)" in message
    summary = parse(message)
    assert summary is not None
    assert summary.run_id == INFO.run_id
    assert summary.commit == INFO.commit
    assert summary.checklist_sha256 == INFO.checklist_sha256
    assert summary.version == "1.2.0" and summary.tag == "v1.2.0"
    assert [(s.id, s.status, s.optional) for s in summary.steps] == [
        ("lint", Status.PASSED, False),
        ("unit", Status.CACHED, False),
        ("docs", Status.FAILED, True),
        ("notes", Status.PASSED, False),
        ("e2e", Status.PASSED, False),
    ]
    assert summary.steps[4].summary == "[from 20261126T100000Z-job1] ok"
    assert "ok (from run 20261126T100000Z-job1)" in message
    assert summary.steps[2].summary == "exit 3 second line"
    assert summary.steps[1].summary.startswith("[cached from 20261125T090000Z-aaaa]")
    assert summary.steps[0].duration == 1.25
    assert summary.blocking == []  # the optional failure does not block


def test_a_required_step_that_did_not_pass_is_blocking() -> None:
    summary = parse(compose(INFO, [_result("unit", Status.FAILED, "1 failed")]))
    assert summary is not None
    assert [s.id for s in summary.blocking] == ["unit"]


def test_a_message_without_the_trailers_is_not_a_summary() -> None:
    assert parse("Release 1.2.0\n\nmade by hand\n") is None
    assert parse("Relcheck-Run: x\nRelcheck-Commit: y\n") is None  # no checklist hash
    broken = compose(INFO, [_result("unit", Status.PASSED, "ok")]).replace(
        "unit passed required", "unit sort-of required"
    )
    assert parse(broken) is None
