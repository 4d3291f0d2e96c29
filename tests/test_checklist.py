"""Loading checklists: every mistake is reported as FILE:LINE:COL, all at once, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from relcheck.checklist.load import find_checklist, load_checklist
from relcheck.errors import ChecklistError
from tests.helpers import run_relcheck, write

BAD_CHECKLISTS = [
    pytest.param(
        "version: 1\nsteps: [a, b\n",
        ["3:1: YAML syntax error"],
        id="yaml-syntax-error",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    run: x\n    run: y\n",
        ["5:5: duplicate key 'run' (first defined on line 4)"],
        id="duplicate-mapping-key",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    run: x\n    timout: 5s\n",
        ["5:5: steps[0]: unknown key 'timout'; did you mean 'timeout'?"],
        id="unknown-key-with-suggestion",
    ),
    pytest.param(
        "version: 1\nrelese: {}\nsteps:\n  - id: a\n    run: x\n",
        ["2:1: unknown key 'relese'; did you mean 'release'?"],
        id="unknown-top-level-key",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    run: x\n    optional: maybe\n",
        ["5:15: steps[0].optional: Input should be a valid boolean"],
        id="wrong-type",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - run: x\n",
        ["3:5: steps[0]: missing required key 'id'"],
        id="missing-id",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    run: x\n  - id: a\n    run: y\n",
        ["5:9: duplicate step id 'a' (first used on line 3)"],
        id="duplicate-step-id",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    uses: comand\n",
        ["4:11: unknown runner 'comand'; did you mean 'command'? (installed: command"],
        id="unknown-runner",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    uses: command\n    with: {run: x, exit_codes: [zero]}\n",
        ["5:33: steps[0].with.exit_codes[0]: Input should be a valid integer"],
        id="invalid-runner-parameter",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    uses: command\n    with: {run: x, cwdd: y}\n",
        ["5:20: steps[0].with: unknown key 'cwdd'; did you mean 'cwd'?"],
        id="unknown-runner-parameter",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    run: x\n    needs: [lnt]\n",
        ["5:13: needs unknown step 'lnt'"],
        id="needs-unknown-step",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    run: x\n    needs: [b]\n"
        "  - id: b\n    run: y\n    needs: [a]\n",
        ["5:12: needs form a cycle: a -> b -> a"],
        id="needs-cycle",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: repo\n    uses: git\n    needs: [unit]\n"
        "  - id: unit\n    run: x\n",
        ["5:13: a precondition cannot need check 'unit': preconditions run first"],
        id="precondition-needs-a-check",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    run: x\n    timeout: soon\n",
        ["5:14: steps[0].timeout: expected a duration like 90s or 10m, got 'soon'"],
        id="bad-duration",
    ),
    pytest.param(
        "version: 1\ndefaults: {timeout: -5}\nsteps:\n  - id: a\n    run: x\n",
        ["2:21: defaults.timeout: expected a duration between 1ms and 7 days, got -5"],
        id="negative-duration",
    ),
    pytest.param(
        "version: 2\nsteps:\n  - id: a\n    run: x\n",
        ["1:10: unsupported checklist version 2; this relcheck reads version 1"],
        id="unsupported-version",
    ),
    pytest.param(
        'version: "1"\nsteps:\n  - id: a\n    run: x\n',
        ["1:10: version: expected the number 1, got the text '1'"],
        id="version-as-text",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    run: [echo, 1]\n",
        ["4:17: steps[0].run[1]: expected text, got a whole number"],
        id="command-list-item-not-text",
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: Lint Step\n    run: x\n",
        ["3:9: steps[0].id: expected a step id of lowercase letters"],
        id="step-id-not-a-slug",
    ),
    pytest.param(
        "version: 1\nrelease: {tag: 'v{version} now'}\nsteps:\n  - id: a\n    run: x\n",
        ["2:16: release.tag 'v{version} now': a tag name cannot contain ' '"],
        id="tag-template-git-refuses",
    ),
    pytest.param(
        "version: 1\nrelease:\n  prerelease: maybe\nsteps:\n  - id: a\n    run: x\n",
        ["3:15: release.prerelease: Input should be a valid boolean"],
        id="prerelease-not-a-boolean",
    ),
    pytest.param("", ["1:1: the checklist is empty"], id="empty-file"),
    pytest.param(
        "- id: a\n  run: x\n", ["1:1: expected a mapping at the top level, got a list"], id="list"
    ),
    pytest.param(
        "version: 1\nsteps:\n  - id: a\n    run: !!python/object/apply:os.system ['touch x']\n",
        ["4:10: unsupported YAML tag"],
        id="python-tag",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CHECKLISTS)
def test_bad_checklist_is_reported_with_file_line_and_column(
    tmp_path: Path, cli_invoke, text: str, expected: list[str]
) -> None:
    write(tmp_path / "relcheck.yaml", text)
    result = cli_invoke("validate", "relcheck.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    for fragment in expected:
        assert f"relcheck.yaml:{fragment}" in result.output
    assert "Traceback" not in result.output


def test_a_tab_that_yaml_refuses_is_named(tmp_path: Path, cli_invoke) -> None:
    write(tmp_path / "relcheck.yaml", "version: 1\nsteps:\n\t- id: a\n    run: x\n")
    result = cli_invoke("validate", "relcheck.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    (line,) = [x for x in result.output.splitlines() if x.startswith("relcheck.yaml:3:1: ")]
    assert line.endswith("(a tab: YAML indents with spaces)"), line


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path, cli_invoke) -> None:
    write(
        tmp_path / "relcheck.yaml",
        """
        version: 1
        steps:
          - id: a
            run: x
            timout: 5s
          - id: a
            uses: rufff
          - id: c
            run: y
            needs: [nope]
            timeout: soon
        """,
    )
    result = cli_invoke("validate", "relcheck.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("relcheck.yaml:")]
    assert [line.split(": ")[0] for line in lines] == [
        "relcheck.yaml:5:5",
        "relcheck.yaml:6:9",
        "relcheck.yaml:7:11",
        "relcheck.yaml:10:13",
        "relcheck.yaml:11:14",
    ]
    assert "the checklist has 5 problems" in result.output


def test_non_utf8_file_names_the_byte_position(tmp_path: Path) -> None:
    path = tmp_path / "relcheck.yaml"
    path.write_bytes(b"version: 1\nsteps:\n  - id: \xff\n")
    with pytest.raises(ChecklistError) as caught:
        load_checklist(str(path))
    assert caught.value.problems[0].location.line == 3
    assert caught.value.problems[0].location.column == 9
    assert "not valid UTF-8" in caught.value.problems[0].message


def test_valid_checklist_becomes_frozen_steps_with_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path / "relcheck.yaml",
        """
        version: 1
        defaults: {timeout: 90s}
        steps:
          - id: lint
            run: [ruff, check, .]
            owner: platform
            expect: no findings
            rollback: none
          - id: unit
            run: pytest -q
            needs: [lint]
            timeout: 1h
            optional: true
            env: {A: "1"}
        """,
    )
    loaded = load_checklist(str(path))
    lint, unit = loaded.steps
    assert lint.uses == "command"
    assert lint.params.run == ("ruff", "check", ".")
    assert lint.timeout == 90
    assert (lint.owner, lint.expect, lint.rollback) == ("platform", "no findings", "none")
    assert unit.timeout == 3600
    assert unit.needs == ("lint",)
    assert unit.optional is True
    assert dict(unit.env) == {"A": "1"}
    assert len(loaded.sha256) == 64
    assert loaded.release.prerelease is False  # pre-releases only when the file says so


def test_checklist_is_found_through_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.relcheck]\nchecklist = "ci/release.yaml"\n')
    assert find_checklist(str(tmp_path)) == str(tmp_path / "ci/release.yaml")
    assert find_checklist(str(tmp_path), "other.yaml") == "other.yaml"


def test_missing_checklist_says_how_to_start(tmp_path: Path, cli_invoke) -> None:
    result = cli_invoke("validate", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no checklist at" in result.output
    assert "relcheck init" in result.output


def test_python_tag_in_yaml_has_no_side_effect(tmp_path: Path, cli_invoke) -> None:
    sentinel = tmp_path / "PWNED"
    write(
        tmp_path / "relcheck.yaml",
        f"version: 1\nsteps:\n  - id: a\n    run: !!python/object/apply:os.system ['touch {sentinel}']\n",
    )
    result = cli_invoke("validate", "relcheck.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert not sentinel.exists()


def test_a_wrong_item_in_a_command_list_is_one_problem_without_pydantic_names(
    tmp_path: Path, cli_invoke
) -> None:
    write(tmp_path / "relcheck.yaml", "version: 1\nsteps:\n  - id: a\n    run: [echo, 1]\n")
    result = cli_invoke("validate", "relcheck.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    problems = [line for line in result.output.splitlines() if line.startswith("relcheck.yaml:")]
    assert problems == ["relcheck.yaml:4:17: steps[0].run[1]: expected text, got a whole number"]
    assert "list[str]" not in result.output and "tuple[" not in result.output


def test_validate_takes_the_checklist_as_path_or_as_the_option(tmp_path: Path, cli_invoke) -> None:
    write(tmp_path / "ci" / "release.yaml", "version: 1\nsteps:\n  - id: a\n    run: x\n")
    by_path = cli_invoke("validate", "ci/release.yaml", cwd=tmp_path)
    by_option = cli_invoke("validate", "-c", "ci/release.yaml", cwd=tmp_path)
    assert by_path.exit_code == by_option.exit_code == 0
    assert "ci/release.yaml: valid (1 step)" in by_option.output
    both = cli_invoke("validate", "a.yaml", "--checklist", "b.yaml", cwd=tmp_path)
    assert both.exit_code == 2
    assert "not both" in both.output


def test_each_step_kind_is_decided_at_load_and_kept_by_the_checklist_cache(
    git_repo: Path,
    checklist,  # type: ignore[no-untyped-def]
) -> None:
    from relcheck.models import StepKind
    from tests.helpers import run_relcheck

    path = checklist(
        "version: 1\nsteps:\n"
        "  - {id: repo, uses: git}\n"
        "  - {id: check, run: 'true'}\n"
        "  - {id: tag, uses: git-tag}\n"
    )
    kinds = {s.id: s.kind for s in load_checklist(str(path)).steps}
    assert kinds == {
        "repo": StepKind.PRECONDITION,
        "check": StepKind.CHECK,
        "tag": StepKind.RELEASE,
    }
    validated = run_relcheck("list", cwd=git_repo)
    assert list((git_repo / ".relcheck/cache/checklists").glob("*.pickle"))
    cached = run_relcheck("list", cwd=git_repo)  # read back from the cache entry
    assert cached.returncode == 0, cached.stderr
    assert cached.stdout == validated.stdout
    rows = {line.split()[0]: line.split()[-1] for line in cached.stdout.splitlines()[1:]}
    assert rows == {"repo": "precondition", "check": "check", "tag": "release"}


def test_a_service_name_that_is_no_plain_name_is_refused_at_its_key(
    tmp_path: Path,
) -> None:
    # A shared service's name names its log file: `../x` would put it outside the run.
    path = tmp_path / "relcheck.yaml"
    path.write_text(
        "version: 1\n"
        "services:\n"
        "  ../../outside:\n"
        "    run: [serve]\n"
        "    ready: http://127.0.0.1:{port}/\n"
        "steps:\n"
        "  - {id: unit, service: ../../outside, run: 'true'}\n"
    )
    proc = run_relcheck("validate", str(path), cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        "relcheck.yaml:3:3: services: expected a service name of lowercase letters, digits, '-', "
        "'_' or '.' (it names the service's log file), got '../../outside'"
    ) in proc.stderr, proc.stderr
