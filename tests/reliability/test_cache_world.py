"""The result cache reuses a pass only in the same world, and only a pass this clone
stored: real virtual environments, a real distribution installed, upgraded and removed
by real pip, real clones of a bare remote, and the real git-tag step pushing there."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.helpers import (
    commit_all,
    git,
    latest_record,
    run_relcheck,
    step_record,
    tags,
    write,
)
from tests.reliability.support import FIGURES, check_run, remote_tags

DIST = "depcheck"

CHECKLIST = """
version: 1
release: {tag: "v{version}", push: true, remote: origin}
steps:
  - id: unit
    uses: pytest
    with: {args: [-q, tests]}
  - id: tag
    uses: git-tag
"""


# -- a real project environment ------------------------------------------------------------
def make_venv(where: Path, tools: Path) -> Path:
    """A real virtual environment; pytest comes from this test run's own packages
    through a ``.pth`` file (no network; ``tools`` is the folder of them without the
    suite's own pytest plugins), the dependency under test is installed apart."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    (site_packages(where) / "_shared_test_tools.pth").write_text(f"{tools}\n")
    return where


@pytest.fixture(scope="session")
def tools(project_env_for_tests: Path) -> Path:
    """The packages a test project's steps may use (see project_env_for_tests)."""
    return project_env_for_tests.parent / "packages"


def site_packages(venv: Path) -> Path:
    [found] = venv.glob("lib/python3*/site-packages")
    return found


def wheel(folder: Path, version: str, ok: bool) -> Path:
    """A real wheel of ``depcheck``; its module says whether the dependency works."""
    path = folder / f"{DIST}-{version}-py3-none-any.whl"
    info = f"{DIST}-{version}.dist-info"
    files = {
        f"{DIST}.py": f"VERSION = {version!r}\nOK = {ok}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def pip(venv: Path, *args: str) -> None:
    """Real pip, acting on ``venv``'s interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
         "--disable-pip-version-check", "--no-input", "-q", *args],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def install(venv: Path, wheels: Path, version: str, *, ok: bool = True) -> None:
    pip(venv, "install", "--no-index", "--no-deps", str(wheel(wheels, version, ok)))


@pytest.fixture(scope="session")
def prepared_venvs(tmp_path_factory: pytest.TempPathFactory, tools: Path) -> dict[bool, Path]:
    """Environments with ``depcheck`` 1.0 installed, working (True) and broken (False):
    made once, since creating a venv and running pip is most of these tests' time."""
    root = tmp_path_factory.mktemp("venvs")
    made = {}
    for ok in (True, False):
        made[ok] = make_venv(root / ("good" if ok else "bad"), tools)
        install(made[ok], root / "wheels", "1.0", ok=ok)
    return made


@pytest.fixture
def venv_at(prepared_venvs: dict[bool, Path]):  # type: ignore[no-untyped-def]
    """``venv_at(where, ok=True)``: a copy of a prepared environment at ``where``, its
    files new (fresh times and inodes) as a fresh install's would be."""

    def copy(where: Path, *, ok: bool = True) -> Path:
        shutil.copytree(prepared_venvs[ok], where, symlinks=True, copy_function=shutil.copy)
        return where

    return copy


def make_project(repo: Path, venv_at) -> Path:  # type: ignore[no-untyped-def]
    """Tests that import ``depcheck``, a .venv with it installed, and the checklist."""
    write(repo / "tests/test_dep.py", f"import {DIST}\n\n\ndef test_dependency_works():\n"
          f"    assert {DIST}.OK\n")  # fmt: skip
    with (repo / ".gitignore").open("a") as fh:
        fh.write(".venv/\n__pycache__/\n.pytest_cache/\n")
    write(repo / "relcheck.yaml", CHECKLIST)
    commit_all(repo, "tests and checklist")
    git(repo, "push", "-q", "origin", "main")
    venv_at(repo / ".venv")
    return repo


@pytest.fixture
def project(git_repo: Path, venv_at) -> Path:  # type: ignore[no-untyped-def]
    return make_project(git_repo, venv_at)


# -- running and judging ------------------------------------------------------------------
def relcheck(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = run_relcheck(*args, cwd=repo, env=env)
    output = proc.stdout + proc.stderr
    check_run(proc.returncode, output, repo)
    return proc.returncode, output


def unit(repo: Path) -> dict:
    return step_record(latest_record(repo), "unit")


def must_run(repo: Path) -> dict:
    """The latest run ran ``unit`` instead of reusing a pass; counted in the figures."""
    FIGURES.add("cache: scenarios")
    step = unit(repo)
    FIGURES.add("cache: stale or forged passes reused", int(step["status"] == "cached"))
    assert step["status"] != "cached", step
    return step


def may_reuse(repo: Path) -> dict:
    """The latest run reused the pass: nothing it depends on changed."""
    FIGURES.add("cache: scenarios")
    step = unit(repo)
    FIGURES.add("cache: same-world passes not reused", int(step["status"] != "cached"))
    assert step["status"] == "cached", step
    return step


def no_release(repo: Path, code: int) -> None:
    assert code == 1
    assert unit(repo)["status"] == "failed"
    assert tags(repo) == []
    assert remote_tags(repo) == []


def passed_once(repo: Path) -> None:
    code, out = relcheck(repo, "run", "--dry-run")
    assert code == 0, out
    code, out = relcheck(repo, "run", "--dry-run")
    assert code == 0, out
    may_reuse(repo)


# -- the same world? -----------------------------------------------------------------------
def test_uninstalling_a_dependency_the_tests_import_runs_them_again_and_nothing_is_tagged(
    project: Path,
) -> None:
    passed_once(project)
    pip(project / ".venv", "uninstall", "-y", DIST)
    code, out = relcheck(project, "run")
    must_run(project)
    no_release(project, code)
    assert f"No module named '{DIST}'" in out


def test_an_upgraded_dependency_runs_the_tests_again(project: Path, tmp_path: Path) -> None:
    passed_once(project)
    install(project / ".venv", tmp_path / "wheels", "2.0", ok=False)  # pip install -U
    code, _ = relcheck(project, "run")
    must_run(project)
    no_release(project, code)
    install(project / ".venv", tmp_path / "wheels", "2.1", ok=True)
    code, out = relcheck(project, "run", "--dry-run")
    assert code == 0, out
    must_run(project)


def test_a_dependency_reinstalled_in_place_runs_the_tests_again(
    project: Path, tmp_path: Path
) -> None:
    passed_once(project)
    metadata = site_packages(project / ".venv") / f"{DIST}-1.0.dist-info" / "METADATA"
    metadata.write_text(metadata.read_text() + "Summary: rebuilt\n")
    (site_packages(project / ".venv") / f"{DIST}.py").write_text("OK = False\n")
    code, _ = relcheck(project, "run")
    must_run(project)
    no_release(project, code)


def test_another_virtual_environment_runs_the_tests_again(
    project: Path, tmp_path: Path, tools: Path
) -> None:
    passed_once(project)
    (project / ".venv").rename(tmp_path / "old-venv")
    install(make_venv(project / ".venv", tools), tmp_path / "wheels", "1.0")  # the same packages
    code, out = relcheck(project, "run", "--dry-run")
    assert code == 0, out
    must_run(project)
    code, out = relcheck(project, "run", "--dry-run")
    may_reuse(project)


def test_the_python_a_step_names_is_the_environment_that_counts(
    git_repo: Path, tmp_path: Path, venv_at
) -> None:
    """``python:`` through a link: the link is unchanged, the environment behind it not."""
    make_project(git_repo, venv_at)
    shutil.rmtree(git_repo / ".venv")
    good, bad = venv_at(tmp_path / "good"), venv_at(tmp_path / "bad", ok=False)
    write(git_repo / "relcheck.yaml", CHECKLIST.replace("[-q, tests]}", "[-q, tests], "
          "python: env/bin/python}"))  # fmt: skip
    with (git_repo / ".gitignore").open("a") as fh:
        fh.write("env\n")
    commit_all(git_repo, "python: env/bin/python")
    (git_repo / "env").symlink_to(good)
    passed_once(git_repo)
    (git_repo / "env").unlink()
    (git_repo / "env").symlink_to(bad)
    code, _ = relcheck(git_repo, "run")
    must_run(git_repo)
    no_release(git_repo, code)


def test_a_python_shim_that_picks_another_interpreter_runs_the_tests_again(
    git_repo: Path, tmp_path: Path, venv_at
) -> None:
    """A pyenv-style shim never changes itself; the interpreter it starts does."""
    make_project(git_repo, venv_at)
    shutil.rmtree(git_repo / ".venv")
    good, bad = venv_at(tmp_path / "good"), venv_at(tmp_path / "bad", ok=False)
    choice = tmp_path / "version"
    choice.write_text(str(good / "bin" / "python"))
    shim = write(tmp_path / "shims" / "python", f'#!/bin/sh\nexec "$(cat {choice})" "$@"\n')
    shim.chmod(0o755)
    write(git_repo / "relcheck.yaml", CHECKLIST.replace("[-q, tests]}", "[-q, tests], "
          f"python: {shim}}}"))  # fmt: skip
    commit_all(git_repo, "python: a shim")
    passed_once(git_repo)
    choice.write_text(str(bad / "bin" / "python"))
    code, _ = relcheck(git_repo, "run")
    must_run(git_repo)
    no_release(git_repo, code)


def test_a_declared_variable_runs_the_step_again_and_an_undeclared_one_does_not(
    project: Path,
) -> None:
    write(project / "tests/test_dep.py", f"""
        import os

        import {DIST}


        def test_dependency_works():
            assert {DIST}.OK and os.environ.get("TARGET") != "broken"
        """)  # fmt: skip
    text = CHECKLIST.replace("with: {args: [-q, tests]}", "with: {args: [-q, tests]}\n"
                             "    cache_env: [TARGET]")  # fmt: skip
    write(project / "relcheck.yaml", text)
    commit_all(project, "declare TARGET")
    code, out = relcheck(project, "run", "--dry-run", env={"TARGET": "ok", "NOISE": "1"})
    assert code == 0, out
    relcheck(project, "run", "--dry-run", env={"TARGET": "ok", "NOISE": "2"})
    may_reuse(project)
    code, _ = relcheck(project, "run", env={"TARGET": "broken", "NOISE": "2"})
    must_run(project)
    no_release(project, code)
    secret_free = [p.read_text() for p in (project / ".relcheck").rglob("*.json")]
    assert not any("broken" in text for text in secret_free)


def test_an_ignored_lock_file_is_part_of_the_world(project: Path) -> None:
    with (project / ".gitignore").open("a") as fh:
        fh.write("requirements-local.txt\n")
    commit_all(project, "ignore local requirements")
    git(project, "push", "-q", "origin", "main")
    write(project / "requirements-local.txt", f"{DIST}==1.0\n")
    passed_once(project)
    write(project / "requirements-local.txt", f"{DIST}==2.0\n")
    code, out = relcheck(project, "run", "--dry-run")
    assert code == 0, out
    must_run(project)


def test_a_new_version_of_the_program_a_command_starts_runs_it_again(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    tools = tmp_path / "tools"
    write(tools / "checker", "#!/bin/sh\nexit 0\n").chmod(0o755)
    checklist("version: 1\nsteps:\n  - {id: unit, run: checker --strict, inputs: [src]}\n")
    env = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    assert relcheck(git_repo, "run", "--dry-run", env=env)[0] == 0
    relcheck(git_repo, "run", "--dry-run", env=env)
    may_reuse(git_repo)
    write(tools / "checker", "#!/bin/sh\necho 'new rule' >&2\nexit 1\n")
    code, _ = relcheck(git_repo, "run", "--dry-run", env=env)
    must_run(git_repo)
    assert code == 1


def test_an_editable_install_of_the_project_keeps_its_pass(project: Path) -> None:
    """An editable install's finder writes __pycache__ into site-packages when the tests
    import it, and pytest writes caches into the work tree: neither is a change."""
    site = site_packages(project / ".venv")
    write(project / "src/demo/__init__.py", "ANSWER = 42\n")
    write(project / "tests/test_demo.py", "import demo\n\n\ndef test_demo():\n"
          "    assert demo.ANSWER == 42\n")  # fmt: skip
    commit_all(project, "the project's own package")
    (site / "__editable__.demo-1.2.0.pth").write_text("import __editable___demo_finder\n")
    (site / "__editable___demo_finder.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.append({str(project / "src")!r})
        """))  # fmt: skip
    info = site / "demo-1.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.2.0\n")
    (info / "direct_url.json").write_text(
        json.dumps({"url": project.as_uri(), "dir_info": {"editable": True}})
    )
    passed_once(project)
    assert (site / "__pycache__").is_dir()
    relcheck(project, "run", "--dry-run")
    may_reuse(project)
    write(project / "src/demo/__init__.py", "ANSWER = 41\n")  # the project's code: the tree
    code, _ = relcheck(project, "run", "--dry-run")
    must_run(project)
    assert code == 1


def test_plan_agrees_with_the_run_about_what_the_cache_serves(project: Path) -> None:
    passed_once(project)
    plan = run_relcheck("plan", "--format", "json", cwd=project)
    assert plan.returncode == 0, plan.stderr
    assert _plan_cached(plan.stdout) == {"unit": unit(project)["cached_from"]}
    pip(project / ".venv", "uninstall", "-y", DIST)
    plan = run_relcheck("plan", "--format", "json", cwd=project)
    assert _plan_cached(plan.stdout) == {}
    relcheck(project, "run", "--dry-run")
    must_run(project)


def _plan_cached(text: str) -> dict[str, str]:
    data = json.loads(text)
    steps = data["steps"] if isinstance(data, dict) else data
    return {s["id"]: s["cached_from"] for s in steps if s.get("cached_from")}


# -- cannot be forged ----------------------------------------------------------------------
_NAME_OF_ENTRY = """
import os, sys
from relcheck import __version__
from relcheck.engine.cache import StepCache
from relcheck.checklist.load import load_checklist
from relcheck.engine.inputs import Workspace
from relcheck.engine.session import tool_env

root = os.getcwd()
step = load_checklist(os.path.join(root, "relcheck.yaml")).step("unit")
cache = StepCache(os.path.join(root, ".relcheck"), Workspace(root, None), "x", __version__,
                  env=tool_env(os.environ))
print(cache._path(step, cache.fingerprint(step)))
"""


def entry_path(repo: Path) -> Path:
    """Where this clone would look for a pass of ``unit`` now: the best a forger could do."""
    proc = subprocess.run(
        [sys.executable, "-c", _NAME_OF_ENTRY], cwd=repo, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return Path(proc.stdout.strip())


def forged(fingerprint: str, *, mac: str = "0" * 64) -> str:
    entry = {
        "format": 2,
        "fingerprint": fingerprint,
        "step": "unit",
        "run_id": "20260101T000000Z-f0f0",
        "stored_at": 0,
        "result": {"summary": "1 passed", "exit_code": 0, "metrics": {}, "details": [],
                   "annotations": []},
    }  # fmt: skip
    data = json.dumps(entry)
    return json.dumps({"format": 2, "mac": mac, "entry": data})


def failing(repo: Path) -> None:
    """The tests fail on this commit; only a forged pass could tag it."""
    write(repo / "tests/test_dep.py", "def test_release_blocker():\n    assert False\n")
    commit_all(repo, "a failing test")
    git(repo, "push", "-q", "origin", "main")


def forged_run(repo: Path) -> str:
    code, out = relcheck(repo, "run", "-v")
    must_run(repo)
    no_release(repo, code)
    tail = unit(repo)["output_tail"]
    assert "ignored" in tail and "not signed by relcheck in this clone" in tail, tail
    assert "not signed by relcheck in this clone" in out
    return out


def test_a_hand_written_entry_in_a_fresh_clone_is_ignored_and_nothing_is_tagged(
    project: Path, tmp_path: Path, venv_at
) -> None:
    failing(project)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project.parent / "remote.git"), str(clone))
    venv_at(clone / ".venv")
    path = entry_path(clone)
    write(path, forged(path.stem))  # at the very name relcheck looks up, unsigned
    write(path.with_name("0" * 64 + ".json"), json.dumps({"format": 1, "fingerprint": "x"}))
    forged_run(clone)


def test_an_entry_committed_with_add_f_and_cloned_is_ignored_and_nothing_is_pushed(
    project: Path, tmp_path: Path, venv_at
) -> None:
    passed_once(project)  # a genuine pass of the good tests, signed with this clone's key
    failing(project)
    for real in (project / ".relcheck/cache/results/unit").glob("*.json"):
        outer = json.loads(real.read_text())
        entry = json.loads(outer["entry"])
        real.with_name(f"forged-{real.name}").write_text(forged(entry["fingerprint"]))
    git(project, "add", "-f", ".relcheck/cache")
    commit_all(project, "cache the test results")
    git(project, "push", "-q", "origin", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project.parent / "remote.git"), str(clone))
    venv_at(clone / ".venv")
    forged_run(clone)
    assert git(clone, "status", "--porcelain") == ""  # the committed entries are left alone


def test_an_entry_signed_on_another_machine_is_ignored(project: Path, tmp_path: Path) -> None:
    failing(project)
    path = entry_path(project)
    inner = json.loads(forged(path.stem))["entry"]
    mac = hmac.new(os.urandom(32), inner.encode(), hashlib.sha256).hexdigest()  # another key
    write(path, forged(path.stem, mac=mac))
    forged_run(project)


def test_an_entry_edited_by_hand_is_ignored(project: Path, tmp_path: Path) -> None:
    passed_once(project)
    [real] = (project / ".relcheck/cache/results/unit").glob("*.json")
    failing(project)
    path = entry_path(project)
    outer = json.loads(real.read_text())
    entry = json.loads(outer["entry"])
    entry["fingerprint"] = path.stem  # re-aimed at the failing commit, signature kept
    write(path, json.dumps({**outer, "entry": json.dumps(entry)}))
    forged_run(project)
