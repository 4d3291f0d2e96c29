"""Hostile tag, branch, version and remote values are refused before any step runs, or
reach steps and git only as environment variables and arguments: nothing is ever
evaluated by a shell (no PWNED file appears)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit_all, git, run_relcheck, tags, write
from tests.reliability.support import FIGURES, check_run, with_release

STEP = """
    version: 1
    release: {{tag: "{template}"}}
    steps:
      - id: show
        run: |
          touch {started}
          printf 'tag=%s version=%s branch=%s\\n' "$RELCHECK_TAG" "$RELCHECK_VERSION" \\
            "$RELCHECK_BRANCH"
    """

# (version given with --version, tag template): every one is refused before any step
# starts, whether or not git would take the tag it makes.
VERSIONS = [
    ("1;rm -rf ~", "v{version}"),
    ("1;touch PWNED", "v{version}"),
    ("$(touch PWNED)", "v{version}"),
    ("$(touch${IFS}PWNED)", "v{version}"),
    ("`touch${IFS}PWNED`", "v{version}"),
    ("1;touch${IFS}PWNED", "v{version}"),
    ("--upload-pack=touch${IFS}PWNED", "{version}"),
    ("-n", "{version}"),
    ("1..0", "v{version}"),
    ("1.lock", "v{version}"),
    ("1.0\nPWNED", "v{version}"),
    ("1.0/../../x", "v{version}"),
    ("1.0@{-1}", "v{version}"),
]


def _pwned(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("PWNED")]


@pytest.mark.parametrize(("version", "template"), VERSIONS)
def test_a_hostile_version_on_the_command_line_is_refused_before_any_step(
    git_repo: Path,
    checklist,
    run_env: dict[str, str],
    tmp_path: Path,
    version: str,
    template: str,
) -> None:
    started, sentinel, home = tmp_path / "STARTED", tmp_path / "released", tmp_path / "home"
    home.mkdir()
    checklist(with_release(STEP.format(template=template, started=started), sentinel))
    # HOME is a scratch folder: were `rm -rf ~` ever run, it would only empty that.
    env = {**run_env, "HOME": str(home)}
    proc = run_relcheck("run", "--version", version, cwd=git_repo, env=env)
    output = proc.stdout + proc.stderr
    FIGURES.add("hostile values tried")
    check_run(proc.returncode, output, git_repo)
    assert not _pwned(git_repo, tmp_path)
    assert proc.returncode == 2, output
    assert "--version" in proc.stderr
    assert not started.exists()
    assert not sentinel.exists()
    assert not tags(git_repo)


@pytest.mark.parametrize("version", ["1.0 ;touch PWNED", "1..0", "1.0.lock", "1.0@{u}"])
def test_a_pyproject_version_that_makes_an_invalid_tag_is_refused_before_any_step(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path, version: str
) -> None:
    started, sentinel = tmp_path / "STARTED", tmp_path / "released"
    write(git_repo / "pyproject.toml", f'[project]\nname = "demo"\nversion = "{version}"\n')
    checklist(with_release(STEP.format(template="v{version}", started=started), sentinel))
    proc = run_relcheck("run", cwd=git_repo, env=run_env)
    FIGURES.add("hostile values tried")
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "git cannot take" in proc.stderr
    assert not started.exists()
    assert not sentinel.exists()
    assert not _pwned(git_repo, tmp_path)


def test_a_hostile_version_in_pyproject_reaches_steps_only_as_data(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    started, sentinel = tmp_path / "STARTED", tmp_path / "released"
    write(git_repo / "pyproject.toml", '[project]\nname = "demo"\nversion = "1;touch${IFS}PWNED"\n')
    checklist(with_release(STEP.format(template="v{version}", started=started), sentinel))
    proc = run_relcheck("run", "-v", cwd=git_repo, env=run_env)
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tag=v1;touch${IFS}PWNED version=1;touch${IFS}PWNED" in proc.stdout
    assert not _pwned(git_repo, tmp_path)


def test_a_hostile_branch_name_reaches_steps_only_as_data(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path
) -> None:
    started = tmp_path / "STARTED"
    checklist(STEP.format(template="v{version}", started=started))
    branch = "rel;touch${IFS}PWNED;$(touch${IFS}PWNED)"
    git(git_repo, "checkout", "-q", "-b", branch)
    commit_all(git_repo, "on a strange branch")
    proc = run_relcheck("run", "--dry-run", "-v", cwd=git_repo, env=run_env)
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"branch={branch}" in proc.stdout
    assert not _pwned(git_repo, tmp_path)


@pytest.mark.parametrize("remote", ["--upload-pack=touch PWNED", "-oProxyCommand=x", "a b"])
def test_a_remote_that_would_read_as_an_option_is_refused(
    git_repo: Path, checklist, run_env: dict[str, str], tmp_path: Path, remote: str
) -> None:
    started = tmp_path / "STARTED"
    text = STEP.format(template="v{version}", started=started)
    checklist(text.replace("release: {", f"release: {{remote: '{remote}', "))
    proc = run_relcheck("run", cwd=git_repo, env=run_env)
    check_run(proc.returncode, proc.stdout + proc.stderr, git_repo)
    assert proc.returncode == 2
    assert "relcheck.yaml:2:" in proc.stderr
    assert "expected a remote name" in proc.stderr
    assert not started.exists()


def _shell_calls(path: Path) -> list[str]:
    """Places in ``path`` that would hand a string to a shell."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = getattr(getattr(func, "value", None), "id", "")
        if owner == "os" and (name in ("system", "popen") or name.startswith("spawn")):
            found.append(f"{path}:{node.lineno}: os.{name}")
        for kw in node.keywords:
            if kw.arg == "shell" and isinstance(kw.value, ast.Constant) and kw.value.value:
                found.append(f"{path}:{node.lineno}: shell=True")
        if (
            owner == "subprocess"
            and node.args
            and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
        ):
            found.append(f"{path}:{node.lineno}: subprocess.{name} with a command string")
    return found


def test_relcheck_never_hands_a_string_to_a_shell_except_a_run_string() -> None:
    # The one shell in relcheck is process.run's `sh -c` for a checklist's `run:` string,
    # which the checklist's author wrote; git and every tool run as argv.
    package = Path(__file__).resolve().parents[2] / "relcheck"
    found = [hit for path in sorted(package.rglob("*.py")) for hit in _shell_calls(path)]
    assert not found
    shells = [
        str(p.relative_to(package))
        for p in sorted(package.rglob("*.py"))
        if '"/bin/sh"' in p.read_text()
    ]
    assert shells == ["system/process.py"]
