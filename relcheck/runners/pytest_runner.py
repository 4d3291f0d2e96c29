"""The ``pytest`` runner: run the project's tests and read the JUnit report pytest writes."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from relcheck.api import Annotation, Runner, RunnerError, Status, StepContext, StepResult
from relcheck.errors import ReportError
from relcheck.runners._junit import Report, read_report
from relcheck.runners._support import interrupted_or_timed_out
from relcheck.system import projectenv
from relcheck.system.process_output import clean_text
from relcheck.system.process_result import CommandResult

MAX_DETAILS = 20
_NO_TESTS = 5  # pytest's exit code when it collected nothing
_TOOL_FAILURES = (3, 4)  # internal error, usage error: pytest did not run the tests
# Variables a pytest process sets about itself; they describe relcheck's caller, if that
# is a pytest run, and never the tests a checklist asks for.
_PYTEST_STATE = ("PYTEST_CURRENT_TEST", "PYTEST_VERSION")
_ERROR_LINE = re.compile(r"\berror:|^INTERNALERROR>|^E ", re.IGNORECASE)


@dataclass(frozen=True)
class PytestParams:
    """How to run the project's tests, and what counts as a pass."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    args: tuple[str, ...] = ()  # passed to pytest, e.g. [-q, tests/unit]
    python: str | None = None  # default: the project's .venv, the active venv, PATH's python3
    markers: str | None = None  # a -m expression
    min_tests: int = 0
    max_failures: int = 0  # failed + errors tolerated
    junit: str | None = None  # keep the JUnit XML here (relative to the repository)
    coverage_min: float | None = None  # percent; needs pytest-cov in the project

    def __post_init__(self) -> None:
        if self.min_tests < 0 or self.max_failures < 0:
            raise ValueError("`min_tests` and `max_failures` must be 0 or more")
        if self.coverage_min is not None and not 0 <= self.coverage_min <= 100:
            raise ValueError("`coverage_min` is a percentage from 0 to 100")


class PytestRunner(Runner):
    """Runs pytest in the project's interpreter; passes within ``max_failures``."""

    name = "pytest"
    Params = PytestParams
    cacheable = True
    description = "Run pytest; counts, failing tests with file and line, slowest tests."

    def run(self, params: PytestParams, ctx: StepContext) -> StepResult:
        python, source = _interpreter(params, ctx)
        ctx.sink.note(f"running pytest with {_shown(python, ctx)} (from {source})")
        env = _environment(ctx)
        if params.coverage_min is not None:
            _require_pytest_cov(python, env, ctx)
        scratch = tempfile.mkdtemp(prefix="relcheck-pytest-")
        try:
            xml = os.path.join(ctx.workdir, params.junit) if params.junit else None
            xml = xml or os.path.join(scratch, "junit.xml")
            os.makedirs(os.path.dirname(xml), exist_ok=True)
            coverage_json = os.path.join(scratch, "coverage.json")
            argv = [python, "-m", "pytest", *params.args]
            if params.markers:
                argv += ["-m", params.markers]
            if params.coverage_min is not None:
                argv += ["--cov", "--cov-report=term", f"--cov-report=json:{coverage_json}"]
                # Coverage data of its own: two steps measuring the same project at once
                # would otherwise share .coverage files and break each other's report.
                if "COVERAGE_FILE" not in ctx.step.env:
                    env["COVERAGE_FILE"] = os.path.join(scratch, ".coverage")
            # xunit1 is the JUnit flavour that keeps each test's file and line.
            argv += [f"--junitxml={xml}", "-o", "junit_family=xunit1"]
            result = ctx.run_command(argv, env=env, capture=True)
            judged = _judge(result, params, ctx, xml, coverage_json)
            metrics = {**judged.metrics, "python": {"path": python, "from": source}}
            return dataclasses.replace(judged, metrics=metrics)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _interpreter(params: PytestParams, ctx: StepContext) -> tuple[str, str]:
    """The project's interpreter (relcheck.system.projectenv) and how it was chosen."""
    # The repository's environment: a temporary worktree of a commit has none of its own.
    found = projectenv.find(ctx.info.root, ctx.env, params.python)
    if found is not None:
        return found.python, found.source
    if params.python:
        raise RunnerError(
            f"python: {params.python!r} is not an interpreter here; fix: give the "
            "project's interpreter, e.g. .venv/bin/python"
        )
    raise RunnerError(
        "no Python interpreter found: no .venv in the project, no active virtual "
        "environment, no python3 on PATH; fix: create the project's .venv, or set `python:`"
    )


def _environment(ctx: StepContext) -> dict[str, str]:
    """The step's environment without inherited PYTEST_* variables.

    A release check runs the tests the checklist names: ``PYTEST_ADDOPTS=-k fast`` left
    in someone's shell must not quietly narrow it, and a caller that is itself a pytest
    run must not leak its own state into the child. Set PYTEST_* under the step's
    ``env:`` to pass one on deliberately.
    """
    inherited = [k for k in ctx.env if k.startswith("PYTEST_") and k not in ctx.step.env]
    dropped = [k for k in inherited if k not in _PYTEST_STATE]
    if dropped:
        ctx.sink.note(
            f"not passing {', '.join(sorted(dropped))} from the environment to pytest; "
            "set it under the step's env: to use it"
        )
    return {k: v for k, v in ctx.env.items() if k not in inherited}


def _require_pytest_cov(python: str, env: Mapping[str, str], ctx: StepContext) -> None:
    probe = "import importlib.util as u, sys; sys.exit(u.find_spec('pytest_cov') is None)"
    check = ctx.run_command([python, "-c", probe], env=env, capture=True)
    if check.returncode != 0 and not (check.timed_out or check.cancelled):
        raise RunnerError(
            f"coverage_min needs pytest-cov, which is not installed for {_shown(python, ctx)}; "
            "add pytest-cov to the project's test dependencies"
        )


def _judge(
    result: CommandResult, params: PytestParams, ctx: StepContext, xml: str, coverage_json: str
) -> StepResult:
    unfinished = interrupted_or_timed_out(result, ctx.step.timeout)
    if unfinished is not None:
        return unfinished
    code = result.returncode
    if code in _TOOL_FAILURES:
        return _could_not_run(result, ctx, f"pytest could not run the tests ({result.describe()})")
    try:
        report = read_report(xml, ctx.workdir)
    except ReportError as exc:
        return _could_not_run(result, ctx, f"{exc} ({result.describe()})")
    # The JUnit suite time starts after plugins load and can read 0.09s for a 0.6s run;
    # the process's own duration is the time someone waits for the tests.
    report.seconds = result.duration
    if code == _NO_TESTS:
        return StepResult(
            Status.FAILED,
            "no tests collected" + (f" for -m {params.markers!r}" if params.markers else ""),
            exit_code=code,
            metrics=_metrics(report, None),
        )
    coverage = _coverage(coverage_json) if params.coverage_min is not None else None
    summary = _counts(report)
    if coverage is not None:
        summary += f"; coverage {coverage:.1f}%"
    status, why = _verdict(report, params, coverage, code)
    annotations = tuple(
        Annotation(f"{p.test_id}: {' '.join(p.lines[:1]) or p.kind}", p.path, p.line)
        for p in report.problems
    )
    return StepResult(
        status,
        f"{summary} ({why})" if why else summary,
        exit_code=code,
        metrics=_metrics(report, coverage),
        details=_details(report, result if status is Status.FAILED else None),
        annotations=annotations,
    )


def _verdict(
    report: Report, params: PytestParams, coverage: float | None, code: int | None
) -> tuple[Status, str]:
    """PASSED or FAILED, and why when it is not plain from the counts."""
    bad = report.failed + report.errors
    if bad > params.max_failures:
        allowed = f"max_failures is {params.max_failures}" if params.max_failures else ""
        return Status.FAILED, allowed
    if report.tests < params.min_tests:
        return Status.FAILED, f"expected at least {params.min_tests} tests"
    if params.coverage_min is not None:
        if coverage is None:
            return Status.FAILED, "pytest-cov wrote no coverage report"
        if coverage < params.coverage_min:
            return Status.FAILED, f"coverage_min is {params.coverage_min:g}%"
    if code != 0 and not (code == 1 and bad):
        return Status.FAILED, f"pytest exit {code} although no test failed"
    if bad:
        return Status.PASSED, f"within max_failures {params.max_failures}"
    return Status.PASSED, ""


def _counts(report: Report) -> str:
    """``212 passed, 2 failed, 1 error, 3 skipped in 14.2s``, pytest's way."""
    parts = [
        (report.passed, "passed"),
        (report.failed, "failed"),
        (report.errors, "error" if report.errors == 1 else "errors"),
        (report.skipped, "skipped"),
        (report.xfailed, "xfailed"),
    ]
    said = ", ".join(f"{n} {word}" for n, word in parts if n) or "no tests ran"
    seconds = report.seconds
    return f"{said} in {seconds:.2f}s" if seconds < 10 else f"{said} in {seconds:.1f}s"


def _metrics(report: Report, coverage: float | None) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "tests": report.tests,
        "passed": report.passed,
        "failed": report.failed,
        "errors": report.errors,
        "skipped": report.skipped,
        "xfailed": report.xfailed,
        "seconds": round(report.seconds, 3),
        "slowest": [{"test": t, "seconds": round(s, 3)} for t, s in report.slowest()],
    }
    if coverage is not None:
        metrics["coverage"] = round(coverage, 2)
    return metrics


def _details(report: Report, result: CommandResult | None) -> tuple[str, ...]:
    """Each failing test id with the first lines of its message; the log has the rest."""
    lines: list[str] = []
    for problem in report.problems:
        where = f" ({problem.path}:{problem.line})" if problem.path and problem.line else ""
        lines.append(f"{problem.kind.upper()} {problem.test_id}{where}")
        lines.extend(f"  {line}" for line in problem.lines)
    if not lines and result is not None:  # failed for a reason outside the tests
        lines = _last_lines(result, 5)
    if len(lines) > MAX_DETAILS:
        lines = [*lines[: MAX_DETAILS - 1], f"... {len(report.problems)} failing in all (see log)"]
    return tuple(lines)


def _could_not_run(result: CommandResult, ctx: StepContext, summary: str) -> StepResult:
    last = _last_lines(result, 10)
    said = [line for line in last if _ERROR_LINE.search(line)]
    reason = (said[-1] if said else last[-1] if last else "").strip()
    if "No module named pytest" in "\n".join(last):
        reason = f"pytest is not installed for {_shown(str(result.argv[0]), ctx)}"
    return StepResult(
        Status.ERROR,
        f"{summary}: {reason}" if reason else summary,
        exit_code=result.returncode,
        details=tuple(last),
    )


def _last_lines(result: CommandResult, n: int) -> list[str]:
    text = clean_text(result.stderr) + "\n" + clean_text(result.stdout)
    return [line.rstrip() for line in text.splitlines() if line.strip()][-n:]


def _coverage(path: str) -> float | None:
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError), open(path) as fh:
        return float(json.load(fh)["totals"]["percent_covered"])
    return None


def _shown(python: str, ctx: StepContext) -> str:
    rel = os.path.relpath(python, ctx.info.root)
    return python if rel.startswith("..") else rel
