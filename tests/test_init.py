"""`relcheck init` in real project layouts: the file it writes validates and runs."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from relcheck.checklist.detect import Project
from relcheck.checklist.scaffold import templates
from relcheck.checklist.template_edit import render
from tests.helpers import (
    assert_no_traceback,
    commit_all,
    git,
    latest_record,
    run_relcheck,
    write,
)

FORMATTED_TEST = "def test_it_works() -> None:\n    assert 1 + 1 == 2\n"


def _steps(repo: Path) -> list[str]:
    return [s["id"] for s in yaml.safe_load((repo / "relcheck.yaml").read_text())["steps"]]


def _release(repo: Path) -> dict:
    return yaml.safe_load((repo / "relcheck.yaml").read_text())["release"]


def test_init_in_a_full_project_writes_a_checklist_that_validates_and_passes(
    git_repo: Path,
) -> None:
    write(
        git_repo / "pyproject.toml",
        """
        [project]
        name = "demo"
        version = "1.2.0"

        [tool.ruff]
        line-length = 100
        """,
    )
    write(git_repo / "tests" / "test_demo.py", FORMATTED_TEST)
    commit_all(git_repo, "tests and ruff")

    proc = run_relcheck("init", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    shipped = [s["id"] for s in yaml.safe_load(templates()["library"])["steps"]]
    assert f"wrote relcheck.yaml from the library template ({len(shipped)} steps)" in proc.stdout
    assert "left out" not in proc.stdout
    text = (git_repo / "relcheck.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=.relcheck/schema.json\n")
    assert "# relcheck checklist for a Python library" in text  # the comments survive
    assert _steps(git_repo) == shipped  # nothing left out: the project has it all
    release = _release(git_repo)
    assert release["version_from"] == "pyproject"
    assert release["branch"] == "main"
    assert release["remote"] == "origin"
    assert release["changelog"] == "CHANGELOG.md"
    schema = json.loads((git_repo / ".relcheck" / "schema.json").read_text())
    assert "manual" in schema["$defs"]["StepSpec"]["properties"]["uses"]["enum"]

    commit_all(git_repo, "checklist")
    assert run_relcheck("validate", cwd=git_repo).returncode == 0
    run = run_relcheck("run", "--dry-run", cwd=git_repo)
    assert run.returncode == 0, run.stdout + run.stderr
    record = latest_record(git_repo)
    assert record["outcome"] == "passed"
    for step in record["steps"]:  # the checks passed; the tag waits for a real run
        assert step["status"] == ("skipped" if step["runner"] == "git-tag" else "passed"), step


def test_init_in_a_bare_project_leaves_out_what_it_lacks_and_still_runs(tmp_path: Path) -> None:
    repo = tmp_path / "bare"
    git(tmp_path, "init", "-q", "-b", "trunk", str(repo))
    write(
        repo / "pyproject.toml",
        """
        [project]
        name = "bare"
        dynamic = ["version"]
        """,
    )
    commit_all(repo, "initial")
    git(repo, "tag", "v0.4.0")
    commit_all(repo, "a change since the last release")

    proc = run_relcheck("init", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "left out lint: no ruff configuration" in proc.stdout
    assert "left out unit: no tests folder" in proc.stdout
    assert "add .relcheck/ to .gitignore" in proc.stdout
    release = _release(repo)
    assert release["version_from"] == "git-describe"
    assert release["branch"] == "trunk"
    assert release["changelog"] is None
    assert release["push"] is False
    steps = _steps(repo)
    assert "write-checks" in steps  # a person must say the checks are written
    assert not {"lint", "unit"} & set(steps)

    assert run_relcheck("validate", cwd=repo).returncode == 0
    commit_all(repo, "checklist")  # the git precondition wants a clean tree
    # git describe says 0.4.0, which is released already: this release is 0.5.0.
    unconfirmed = run_relcheck("run", "--dry-run", "--version", "0.5.0", cwd=repo)
    assert unconfirmed.returncode == 1
    assert "relcheck run --confirm write-checks" in unconfirmed.stdout
    confirmed = run_relcheck(
        "run", "--dry-run", "--version", "0.5.0", "--confirm", "write-checks", cwd=repo
    )
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    assert latest_record(repo)["version"] == "0.5.0"


def test_init_points_tests_at_a_test_folder_and_keeps_needs_that_remain(
    git_repo: Path,
) -> None:
    write(git_repo / "ruff.toml", "line-length = 100\n")
    write(git_repo / "test" / "test_demo.py", FORMATTED_TEST)
    proc = run_relcheck("init", "--template", "python-service", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load((git_repo / "relcheck.yaml").read_text())
    steps = {s["id"]: s for s in data["steps"]}
    unit = json.dumps(steps["unit"])
    assert '"test"' in unit
    assert '"tests"' not in unit
    assert steps["integration"]["needs"] == ["unit"]
    assert run_relcheck("validate", cwd=git_repo).returncode == 0


def test_init_drops_a_need_on_a_step_it_left_out(git_repo: Path) -> None:
    write(git_repo / ".ruff.toml", "line-length = 100\n")
    proc = run_relcheck("init", "--template", "python-service", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert "left out unit: no tests folder (tests/ or test/)" in proc.stdout
    data = yaml.safe_load((git_repo / "relcheck.yaml").read_text())
    steps = {s["id"]: s for s in data["steps"]}
    assert "unit" not in steps
    assert "needs" not in steps["integration"]
    assert "lint" in steps  # .ruff.toml counts as ruff configuration
    assert run_relcheck("validate", cwd=git_repo).returncode == 0


def test_init_takes_the_release_branch_from_the_remotes_default(git_repo: Path) -> None:
    git(git_repo, "push", "-q", "origin", "main:stable")
    git(git_repo, "remote", "set-head", "origin", "stable")
    proc = run_relcheck("init", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert _release(git_repo)["branch"] == "stable"


def test_init_spells_the_tag_as_the_projects_version_tags_are_spelled(git_repo: Path) -> None:
    for name in ("1.0.0", "1.1.0", "v0.1.0-old"):
        git(git_repo, "tag", name)
    git(git_repo, "tag", "deploy-42")  # not a version: not counted
    proc = run_relcheck("init", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert "tags '{version}' as its 2 version tags are spelled" in proc.stdout
    assert 'tag: "{version}"' in (git_repo / "relcheck.yaml").read_text()
    assert _release(git_repo)["tag"] == "{version}"
    assert run_relcheck("validate", cwd=git_repo).returncode == 0


def test_init_in_a_shallow_clone_reads_the_tag_spelling_from_the_remote(
    git_repo: Path, tmp_path: Path
) -> None:
    for name in ("1.0.0", "1.1.0"):
        git(git_repo, "tag", name)
    commit_all(git_repo, "after the releases")  # a depth-1 clone gets no tag of its own
    git(git_repo, "push", "-q", "origin", "main", "--tags")
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{tmp_path / 'remote.git'}", str(clone))
    assert git(clone, "tag", "--list") == ""
    proc = run_relcheck("init", cwd=clone)
    assert proc.returncode == 0, proc.stderr
    assert _release(clone)["tag"] == "{version}"


def test_init_keeps_the_v_when_the_projects_tags_have_it_or_there_are_none(
    git_repo: Path, tmp_path: Path
) -> None:
    proc = run_relcheck("init", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert _release(git_repo)["tag"] == "v{version}"
    assert "version tags" not in proc.stdout
    for name in ("v1.0.0", "v1.1.0", "0.9.0"):
        git(git_repo, "tag", name)
    proc = run_relcheck("init", "--force", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert "tags 'v{version}' as its 3 version tags are spelled" in proc.stdout
    assert _release(git_repo)["tag"] == "v{version}"


def test_init_never_overwrites_without_force(git_repo: Path) -> None:
    existing = write(
        git_repo / "relcheck.yaml", "version: 1\nsteps:\n  - id: mine\n    run: 'true'\n"
    )
    before = existing.read_text()
    proc = run_relcheck("init", cwd=git_repo)
    assert proc.returncode == 2
    assert "relcheck.yaml already exists" in proc.stderr
    assert "--force" in proc.stderr
    assert existing.read_text() == before
    assert_no_traceback(proc)

    forced = run_relcheck("init", "--force", cwd=git_repo)
    assert forced.returncode == 0, forced.stderr
    assert existing.read_text() != before


def test_init_writes_where_pyproject_says_the_checklist_is(git_repo: Path) -> None:
    with (git_repo / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.relcheck]\nchecklist = "ci/release.yaml"\n')
    proc = run_relcheck("init", cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    assert (git_repo / "ci" / "release.yaml").is_file()
    assert (git_repo / "ci" / ".relcheck" / "schema.json").is_file()
    assert not (git_repo / "relcheck.yaml").exists()
    assert run_relcheck("validate", cwd=git_repo).returncode == 0


def test_init_list_shows_each_template_with_a_line(tmp_path: Path) -> None:
    proc = run_relcheck("init", "--list", cwd=tmp_path)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(templates())
    assert all(len(line.split(None, 1)) == 2 for line in lines)
    assert not (tmp_path / "relcheck.yaml").exists()


def test_init_with_an_unknown_template_names_the_ones_there_are(git_repo: Path) -> None:
    proc = run_relcheck("init", "--template", "libary", cwd=git_repo)
    assert proc.returncode == 2
    assert "no template named 'libary'" in proc.stderr
    assert "library" in proc.stderr
    assert not (git_repo / "relcheck.yaml").exists()


def test_init_from_a_template_file_of_ones_own(git_repo: Path, tmp_path: Path) -> None:
    template = write(
        tmp_path / "team.yaml",
        """
        # Our team's release checklist.
        version: 1
        steps:
          - id: smoke
            run: echo smoke
          - id: signoff
            needs: [smoke]
            uses: manual
            with: {prompt: "Product has signed off"}
        """,
    )
    proc = run_relcheck("init", "--template", str(template), cwd=git_repo)
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load((git_repo / "relcheck.yaml").read_text())
    assert data["release"]["branch"] == "main"  # a release section was added
    assert data["release"]["changelog"] == "CHANGELOG.md"
    commit_all(git_repo, "checklist")
    run = run_relcheck("run", "--dry-run", "--confirm", "signoff", cwd=git_repo)
    assert run.returncode == 0, run.stdout + run.stderr


# Steps as other runners spell them: init adapts by what a step uses, not by its id.
RUNNER_TEMPLATE = """\
# yaml-language-server: $schema=../docs/relcheck.schema.json
# A template whose steps use dedicated runners.
version: 1
release:
  tag: "v{version}"
  branch: main
steps:
  - id: style
    uses: ruff
    with: {args: [check, .]}
  # The unit tests, against the staging settings.
  - id: tests
    uses: pytest
    with:
      args: [-q, tests/unit]
  - id: smoke
    uses: http
    needs:
      - style
      - tests
    with: {url: "${STAGING_URL}/health"}
  - needs: [style]
    id: docs
    run: make docs
  - id: tag
    uses: git-tag
"""


def _project(**changes: object) -> Project:
    base = {
        "root": "/nowhere",
        "version_from": "pyproject",
        "ruff_config": "ruff.toml",
        "tests_dir": "tests",
        "changelog": "CHANGELOG.md",
        "branch": "main",
        "remote": "origin",
    }
    return Project(**{**base, **changes})  # type: ignore[arg-type]


def test_render_adapts_steps_that_use_dedicated_runners() -> None:
    rendered = render(RUNNER_TEMPLATE, _project(ruff_config=None, tests_dir="test"))
    data = yaml.safe_load(rendered.text)
    steps = {s["id"]: s for s in data["steps"]}
    assert rendered.dropped == {
        "style": "no ruff configuration (ruff.toml, .ruff.toml or [tool.ruff])"
    }
    assert list(steps) == ["tests", "smoke", "docs", "tag"]
    assert "  # The unit tests, against the staging settings.\n  - id: tests" in rendered.text
    assert steps["docs"]["needs"] == []
    assert steps["tests"]["with"]["args"] == ["-q", "test/unit"]
    assert steps["smoke"]["needs"] == ["tests"]
    assert data["release"] == {
        "tag": "v{version}",
        "branch": "main",
        "version_from": "pyproject",
        "changelog": "CHANGELOG.md",
        "remote": "origin",
    }
    assert rendered.text.splitlines()[:2] == [
        "# yaml-language-server: $schema=.relcheck/schema.json",
        "# A template whose steps use dedicated runners.",
    ]


def test_render_sets_release_values_and_quotes_what_yaml_would_misread() -> None:
    rendered = render(RUNNER_TEMPLATE, _project(branch="release/1.x", remote=None, changelog=None))
    data = yaml.safe_load(rendered.text)
    assert data["release"]["branch"] == "release/1.x"
    assert data["release"]["push"] is False
    assert data["release"]["changelog"] is None
    yes = render(RUNNER_TEMPLATE, _project(branch="yes"))
    assert yaml.safe_load(yes.text)["release"]["branch"] == "yes"  # not True


def test_every_shipped_template_renders_to_a_valid_checklist_in_any_layout(
    tmp_path: Path,
) -> None:
    from relcheck.checklist.load import load_checklist

    layouts = [
        _project(),
        _project(ruff_config=None),
        _project(tests_dir=None),
        _project(ruff_config=None, tests_dir=None, changelog=None, remote=None),
        _project(ruff_config=None, tests_dir=None, remote=None, in_git=False),
    ]
    for name, text in templates().items():
        for index, project in enumerate(layouts):
            path = tmp_path / f"{name}-{index}.yaml"
            path.write_text(render(text, project).text)
            checklist = load_checklist(str(path))  # raises with every problem if not valid
            assert checklist.steps


def test_init_outside_git_writes_a_checklist_that_validates(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "plain"\nversion = "0.1.0"\n')
    write(tmp_path / "tests" / "test_plain.py", FORMATTED_TEST)
    proc = run_relcheck("init", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "left out lint: no ruff configuration" in proc.stdout
    release = _release(tmp_path)
    assert release["branch"] == "main"
    assert release["push"] is False
    assert _steps(tmp_path) == ["unit"]
    assert run_relcheck("validate", cwd=tmp_path).returncode == 0


def test_init_keeps_a_config_check_only_when_its_files_are_there(git_repo: Path) -> None:
    write(git_repo / "ruff.toml", "line-length = 100\n")
    proc = run_relcheck("init", "--template", "python-service", cwd=git_repo)
    assert "left out staging-config: deploy/staging.toml is not in the project" in proc.stdout
    assert "staging-config" not in _steps(git_repo)

    for side in ("staging", "production"):
        write(git_repo / "deploy" / f"{side}.toml", '[image]\ntag = "2.4.0"\n')
    forced = run_relcheck("init", "--force", "--template", "python-service", cwd=git_repo)
    assert forced.returncode == 0, forced.stderr
    assert "staging-config" in _steps(git_repo)
    assert run_relcheck("validate", cwd=git_repo).returncode == 0
