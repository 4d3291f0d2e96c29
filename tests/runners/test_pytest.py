"""The pytest runner against real small test suites, run by real pytest processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tests.helpers import (
    assert_no_traceback,
    commit_all,
    latest_record,
    run_relcheck,
    start_relcheck,
    step_record,
    write,
)

MIXED = """
import time

import pytest


def test_adds():
    assert 1 + 1 == 2


def test_upper():
    assert "a".upper() == "A"


def test_slow_but_fine():
    time.sleep(0.2)


def test_wrong_sum():
    total = 1 + 1
    assert total == 3, "one and one make three"


class TestNames:
    @pytest.mark.parametrize("name", ["relcheck"])
    def test_title(self, name):
        assert name.title() == "RelCheck"


@pytest.fixture
def database():
    raise ConnectionError("database is down")


def test_needs_database(database):
    pass


@pytest.mark.skip(reason="not on this platform")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug")
def test_known_bug():
    assert False
"""

PASSING = """
import pytest


def test_one():
    assert True


def test_two():
    assert True


@pytest.mark.slow
def test_three():
    assert True
"""


# These projects run on relcheck's own interpreter, where relcheck's test plugins are
# installed; they need none of them, and loading hypothesis takes longer than the tests.
PYPROJECT = """
[project]
name = "demo"
version = "1.2.0"

[tool.pytest.ini_options]
addopts = "-p no:hypothesispytest -p no:anyio"
"""


def _project(repo: Path, files: dict[str, str], step: str) -> Path:
    write(repo / "pyproject.toml", PYPROJECT)
    for name, text in files.items():
        write(repo / name, text)
    with (repo / ".gitignore").open("a") as fh:
        fh.write(".venv/\nreports/\n")
    write(repo / "relcheck.yaml", "version: 1\nsteps:\n  - id: unit\n    uses: pytest\n" + step)
    commit_all(repo, "project")
    return repo


def _run(repo: Path, env: dict[str, str] | None = None) -> tuple[Any, dict[str, Any]]:
    proc = run_relcheck("run", "--dry-run", cwd=repo, env=env)
    print(proc.stdout, proc.stderr)
    assert_no_traceback(proc)
    return proc, step_record(latest_record(repo), "unit")


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_suite_with_failures_reports_counts_failing_tests_and_where_they_failed(
    git_repo: Path,
) -> None:
    repo = _project(git_repo, {"tests/test_mixed.py": MIXED}, "    with: {args: [-q, tests]}\n")
    proc, unit = _run(repo)
    assert proc.returncode == 1
    assert unit["status"] == "failed"
    assert unit["summary"].startswith("3 passed, 2 failed, 1 error, 1 skipped, 1 xfailed in ")
    metrics = unit["metrics"]
    assert {k: metrics[k] for k in ("tests", "passed", "failed", "errors", "skipped")} == {
        "tests": 8,
        "passed": 3,
        "failed": 2,
        "errors": 1,
        "skipped": 1,
    }
    assert metrics["xfailed"] == 1
    assert metrics["slowest"][0]["test"] == "tests/test_mixed.py::test_slow_but_fine"
    assert metrics["slowest"][0]["seconds"] >= 0.2
    test_file = repo / "tests" / "test_mixed.py"
    sum_line = _line_of(test_file, "assert total == 3")
    details = unit["details"]
    headers = [d for d in details if not d.startswith("  ")]
    assert headers == [
        f"FAILED tests/test_mixed.py::test_wrong_sum (tests/test_mixed.py:{sum_line})",
        "FAILED tests/test_mixed.py::TestNames::test_title[relcheck] "
        f"(tests/test_mixed.py:{_line_of(test_file, 'assert name.title()')})",
        "ERROR tests/test_mixed.py::test_needs_database "
        f"(tests/test_mixed.py:{_line_of(test_file, 'raise ConnectionError')})",
    ]
    first_lines = [details[details.index(h) + 1] for h in headers]
    assert first_lines == [
        "  AssertionError: one and one make three",
        "  AssertionError: assert 'Relcheck' == 'RelCheck'",
        '  failed on setup with "ConnectionError: database is down"',
    ]
    assert unit["annotations"][0] == {
        "message": "tests/test_mixed.py::test_wrong_sum: AssertionError: one and one make three",
        "path": "tests/test_mixed.py",
        "line": sum_line,
        "level": "error",
    }
    assert "    FAILED tests/test_mixed.py::test_wrong_sum" in proc.stdout
    # The full pytest output is in the step log.
    assert "one and one make three" in Path(unit["log"]).read_text()


def test_a_passing_suite_passes_with_its_counts(git_repo: Path) -> None:
    repo = _project(git_repo, {"tests/test_ok.py": PASSING}, "")
    proc, unit = _run(repo)
    assert proc.returncode == 0
    assert unit["status"] == "passed"
    assert unit["summary"].startswith("3 passed in ")
    assert unit["metrics"]["tests"] == 3
    # No .venv in the project: the active virtual environment's interpreter runs the tests,
    # and the record says which.
    active = os.path.join(os.environ["VIRTUAL_ENV"], "bin", "python")  # as the user activated
    assert f"$ {active} -m pytest --junitxml=" in Path(unit["log"]).read_text()
    assert unit["metrics"]["python"] == {"path": active, "from": "VIRTUAL_ENV"}


def test_an_empty_tests_folder_fails_as_no_tests_collected(git_repo: Path) -> None:
    repo = _project(git_repo, {"tests/__init__.py": ""}, "    with: {args: [tests]}\n")
    proc, unit = _run(repo)
    assert proc.returncode == 1
    assert unit["status"] == "failed"
    assert unit["summary"] == "no tests collected"
    assert unit["exit_code"] == 5


def test_a_module_that_fails_to_import_is_an_error_naming_the_file(git_repo: Path) -> None:
    repo = _project(
        git_repo,
        {"tests/test_ok.py": PASSING, "tests/test_broken.py": "import no_such_module\n"},
        "",
    )
    _proc, unit = _run(repo)
    assert unit["status"] == "failed"
    assert unit["summary"].startswith("1 error in ")
    assert unit["details"][:2] == [
        "ERROR tests/test_broken.py (tests/test_broken.py:1)",
        "  ModuleNotFoundError: No module named 'no_such_module'",
    ]


def test_the_projects_venv_runs_the_tests_and_a_missing_pytest_there_is_an_error(
    git_repo: Path,
) -> None:
    repo = _project(git_repo, {"tests/test_ok.py": PASSING}, "")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    proc, unit = _run(repo)
    assert proc.returncode == 1
    assert unit["status"] == "error"
    assert "pytest is not installed for .venv/bin/python" in unit["summary"]


def test_python_chooses_the_interpreter_over_the_projects_venv(git_repo: Path) -> None:
    repo = _project(
        git_repo, {"tests/test_ok.py": PASSING}, f"    with: {{python: {sys.executable}}}\n"
    )
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    _proc, unit = _run(repo)
    assert unit["status"] == "passed", unit["summary"]
    assert unit["metrics"]["python"] == {"path": sys.executable, "from": "python: given"}


def test_max_failures_tolerates_that_many_failing_tests(git_repo: Path) -> None:
    repo = _project(git_repo, {"tests/test_mixed.py": MIXED}, "    with: {max_failures: 3}\n")
    proc, unit = _run(repo)
    assert proc.returncode == 0
    assert unit["status"] == "passed"
    assert unit["summary"].endswith("(within max_failures 3)")
    assert unit["annotations"], "tolerated failures are still annotated"


def test_more_failures_than_max_failures_fail_and_say_the_limit(git_repo: Path) -> None:
    repo = _project(git_repo, {"tests/test_mixed.py": MIXED}, "    with: {max_failures: 2}\n")
    _proc, unit = _run(repo)
    assert unit["status"] == "failed"
    assert unit["summary"].endswith("(max_failures is 2)")


def test_min_tests_fails_a_suite_that_ran_fewer_tests(git_repo: Path) -> None:
    repo = _project(git_repo, {"tests/test_ok.py": PASSING}, "    with: {min_tests: 10}\n")
    proc, unit = _run(repo)
    assert proc.returncode == 1
    assert unit["status"] == "failed"
    assert unit["summary"].startswith("3 passed in ")
    assert unit["summary"].endswith("(expected at least 10 tests)")


def test_markers_select_tests_and_a_marker_matching_none_collects_nothing(
    git_repo: Path,
) -> None:
    repo = _project(
        git_repo,
        {"tests/test_ok.py": PASSING},
        "    with: {markers: slow}\n  - id: none\n    uses: pytest\n"
        "    with: {markers: integration}\n",
    )
    _proc, unit = _run(repo)
    assert unit["summary"].startswith("1 passed in ")
    none = step_record(latest_record(repo), "none")
    assert none["status"] == "failed"
    assert none["summary"] == "no tests collected for -m 'integration'"


def test_junit_keeps_the_report_and_the_temporary_one_is_removed(
    git_repo: Path, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    repo = _project(
        git_repo,
        {"tests/test_ok.py": PASSING},
        "    with: {junit: reports/unit.xml}\n  - id: plain\n    uses: pytest\n",
    )
    _proc, unit = _run(repo, env={"TMPDIR": str(scratch)})
    assert unit["status"] == "passed"
    suite = ET.parse(repo / "reports" / "unit.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "3"
    assert list(scratch.iterdir()) == []


def test_inherited_pytest_variables_do_not_narrow_the_run_but_the_steps_env_does(
    git_repo: Path,
) -> None:
    repo = _project(
        git_repo,
        {"tests/test_ok.py": PASSING},
        "  - id: only-one\n    uses: pytest\n    env: {PYTEST_ADDOPTS: -k test_one}\n",
    )
    _proc, unit = _run(repo, env={"PYTEST_ADDOPTS": "-k no_such_test"})
    assert unit["summary"].startswith("3 passed in ")
    assert "not passing PYTEST_ADDOPTS from the environment" in Path(unit["log"]).read_text()
    only_one = step_record(latest_record(repo), "only-one")
    assert only_one["summary"].startswith("1 passed in ")


CALC = """
def add(a, b):
    return a + b


def unused(a):
    return a * 2
"""

CALC_TEST = """
from calc import add


def test_add():
    assert add(1, 2) == 3
"""

COVERAGE_CONFIG = (
    PYPROJECT
    + """
[tool.coverage.run]
source = ["calc"]
"""
)


def test_coverage_min_measures_with_the_projects_coverage_settings(git_repo: Path) -> None:
    repo = _project(
        git_repo,
        {"calc.py": CALC, "tests/test_calc.py": CALC_TEST, "pyproject.toml": COVERAGE_CONFIG},
        "    with: {coverage_min: 70}\n  - id: strict\n    uses: pytest\n"
        "    with: {coverage_min: 90}\n",
    )
    _proc, unit = _run(repo)
    assert unit["status"] == "passed"
    assert unit["summary"].endswith("; coverage 75.0%")
    assert unit["metrics"]["coverage"] == 75.0
    strict = step_record(latest_record(repo), "strict")
    assert strict["status"] == "failed"
    assert strict["summary"].endswith("; coverage 75.0% (coverage_min is 90%)")
    # Each step measured into data of its own, outside the project.
    assert not list(repo.glob(".coverage*"))


def test_coverage_min_without_pytest_cov_in_the_project_is_an_error(git_repo: Path) -> None:
    repo = _project(git_repo, {"tests/test_ok.py": PASSING}, "    with: {coverage_min: 80}\n")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    _proc, unit = _run(repo)
    assert unit["status"] == "error"
    assert unit["summary"] == (
        "coverage_min needs pytest-cov, which is not installed for .venv/bin/python; "
        "add pytest-cov to the project's test dependencies"
    )


def test_a_pytest_usage_error_is_an_error_with_pytests_message(git_repo: Path) -> None:
    repo = _project(
        git_repo, {"tests/test_ok.py": PASSING}, "    with: {args: [--no-such-option]}\n"
    )
    _proc, unit = _run(repo)
    assert unit["status"] == "error"
    assert unit["summary"].startswith("pytest could not run the tests (exit 4): ")
    assert "unrecognized arguments: --no-such-option" in unit["summary"]


def test_a_suite_that_outlives_the_step_timeout_is_stopped(git_repo: Path) -> None:
    slow = "import time\n\n\ndef test_forever():\n    time.sleep(60)\n"
    repo = _project(git_repo, {"tests/test_slow.py": slow}, "    timeout: 2s\n")
    proc, unit = _run(repo)
    assert proc.returncode == 1
    assert unit["status"] == "timed_out"
    assert unit["summary"] == "timed out after 2s (process group stopped)"


def test_a_typo_in_with_is_a_file_line_col_error(git_repo: Path) -> None:
    repo = _project(git_repo, {"tests/test_ok.py": PASSING}, "    with: {min_test: 3}\n")
    proc = run_relcheck("run", "--dry-run", cwd=repo)
    assert proc.returncode == 2
    assert (
        "relcheck.yaml:5:12: steps[0].with: unknown key 'min_test'; did you mean 'min_tests'?"
        in proc.stderr
    )
    assert_no_traceback(proc)


def test_ctrl_c_stops_the_tests_and_the_record_says_interrupted(git_repo: Path) -> None:
    slow = (
        "import pathlib\nimport time\n\n\ndef test_forever():\n"
        "    pathlib.Path('started').touch()\n    time.sleep(60)\n"
    )
    repo = _project(git_repo, {"tests/test_slow.py": slow}, "")
    proc = start_relcheck("run", "--dry-run", cwd=repo)
    deadline = time.monotonic() + 60
    while not (repo / "started").exists():
        assert time.monotonic() < deadline, "pytest never started the test"
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    unit = step_record(latest_record(repo), "unit")
    assert unit["status"] == "interrupted"
