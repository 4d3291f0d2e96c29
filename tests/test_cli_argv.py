"""``relcheck run``'s options are read without click when they are plainly spelt: whatever
that reader takes, click reads the same, and whatever it cannot take goes to click."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from relcheck.cli.optiontable import read
from relcheck.cli.run import run as run_command
from relcheck.cli.run_checklist import RUN_OPTIONS
from tests.helpers import (
    assert_no_traceback,
    commit_all,
    latest_record,
    run_relcheck,
    run_relcheck_anew,
)


def click_reads(args: list[str]) -> dict[str, Any]:
    """What click makes of ``relcheck run ARGS``."""
    with run_command.make_context("run", list(args)) as ctx:
        return dict(ctx.params)


PLAIN = [
    [],
    ["-q"],
    ["--dry-run", "-v"],
    ["-c", "checks/x.yaml", "-q"],
    ["--checklist=relcheck.yaml", "--format", "json"],
    ["--hook", "pre-push"],
    ["-j", "4", "--only", "a", "--only", "b"],
    ["--skip", "slow", "--reason", "flaky on CI", "--confirm", "deploy"],
    ["--release-if-new", "--ci", "--junit", "out.xml", "--no-progress", "--color", "never"],
    ["--version", "1.2.3", "--record-dir", "runs", "--html", "r.html", "--fail-fast"],
    ["--failed", "--no-cache", "--jobs=1", "--format=text", "--reason="],
    ["-q", "-q", "--format", "json", "--format", "text"],  # the last value wins, as in click
]


@pytest.mark.parametrize("args", PLAIN)
def test_plainly_spelt_options_are_read_as_click_reads_them(args: list[str]) -> None:
    values = read(args, RUN_OPTIONS)
    assert values is not None
    assert values == click_reads(args)


ODD = [
    ["--help"],
    ["-h"],
    ["-qv"],  # short flags together
    ["-j4"],  # a value attached to a short option
    ["-j", "0"],  # below the minimum
    ["-j", "+4"],
    ["-j", "four"],
    ["--format", "xml"],
    ["--hook", "post-commit"],
    ["--reason"],  # no value
    ["--reason", "-q"],  # a value like an option
    ["--dry-run=yes"],
    ["-c=x.yaml"],
    ["--bogus"],
    ["extra"],
    ["--", "-q"],
    ["--dry"],  # click takes no abbreviations either
]


@pytest.mark.parametrize("args", ODD)
def test_anything_else_is_left_to_click(args: list[str]) -> None:
    assert read(args, RUN_OPTIONS) is None


def test_any_command_line_the_plain_reader_takes_click_reads_the_same() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    spellings = sorted({flag for option in RUN_OPTIONS for flag in option.flags})
    values = [
        "a", "", "x.yaml", "0", "1", "8", "-1", "+5", " 5", "5_0", "٣", "json", "text",
        "xml", "auto", "never", "pre-push", "pre-commit", "-q", "--dry-run", "a=b", "a b",
    ]  # fmt: skip
    attached = [f"{flag}={value}" for flag in spellings for value in values[:14]]
    junk = ["-qv", "-j4", "--", "-h", "--help", "extra", "--dry", "-"]
    tokens = st.sampled_from([*spellings, *values, *attached, *junk])

    @settings(max_examples=600, deadline=None)
    @given(st.lists(tokens, max_size=7))
    def check(args: list[str]) -> None:
        values = read(args, RUN_OPTIONS)
        if values is not None:
            assert values == click_reads(args), args

    check()


def test_every_option_of_the_click_command_is_in_the_table() -> None:
    # The table builds the command: a option added to one is in the other.
    declared = {option.dest: option.flags for option in RUN_OPTIONS}
    built = {
        param.name: tuple(param.opts)
        for param in run_command.params
        if param.name is not None and param.name != "help"
    }
    assert built == declared


def test_a_run_that_click_would_refuse_still_gets_click_s_message(git_repo: Path) -> None:
    proc = run_relcheck("run", "--jobs", "0", cwd=git_repo)
    assert proc.returncode == 2
    assert "Invalid value for '-j' / '--jobs': 0 is not in the range x>=1." in proc.stderr
    assert "Usage: relcheck run [OPTIONS]" in proc.stderr


def test_a_plainly_spelt_run_runs_without_loading_click(git_repo: Path, checklist) -> None:
    checklist('version: 1\nsteps:\n  - {id: one, run: "true"}\n')
    probe = (
        "import sys\n"
        "sys.argv = ['relcheck', 'run', '-q', '--dry-run', '--format', 'json']\n"
        "from relcheck.__main__ import entry\n"
        "try:\n"
        "    entry()\n"
        "except SystemExit as exc:\n"
        "    sys.stderr.write(f'EXIT {exc.code} CLICK {\"click\" in sys.modules}\\n')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=git_repo, capture_output=True, text=True, check=False
    )
    assert "EXIT 0 CLICK False" in proc.stderr, proc.stdout + proc.stderr
    assert '"outcome": "passed"' in proc.stdout
    assert latest_record(git_repo)["dry_run"] is True


def test_a_jobs_value_too_long_for_an_integer_gets_click_s_message(git_repo: Path) -> None:
    # int() refuses a string of more than 4300 digits with a ValueError; click turns it
    # into its usage error, like any other value that is not an integer.
    proc = run_relcheck_anew("run", "--dry-run", "-j", "1" * 5000, cwd=git_repo)
    assert_no_traceback(proc)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "Invalid value for '-j' / '--jobs'" in proc.stderr
    assert "Usage: relcheck run [OPTIONS]" in proc.stderr


def test_an_error_naming_a_non_ascii_path_reaches_an_ascii_stderr_as_utf8(git_repo: Path) -> None:
    # With an ASCII-only stderr (PYTHONIOENCODING=ascii, or LC_ALL=C with UTF-8 mode
    # off), click.echo writes UTF-8 to the stream's bytes instead of escaping: the path
    # in the message is the one the user typed, not caf\xe9.xml.
    (git_repo / "café.xml").write_text("<x/>\n")
    commit_all(git_repo, "a tracked file with a non-ASCII name")
    proc = run_relcheck_anew(
        "run", "--dry-run", "--junit", "café.xml", cwd=git_repo, env={"PYTHONIOENCODING": "ascii"}
    )
    assert proc.returncode == 2, proc.stderr
    assert "relcheck: error: --junit café.xml is a file git tracks" in proc.stderr
