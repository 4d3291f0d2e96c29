"""One door each: only relcheck.git.door starts git, only relcheck.system.process starts
processes. Read from relcheck's source with ``ast``, so a new module that goes around a
door fails here, not in a user's repository with a hook's ``GIT_DIR`` or a hung ``ssh``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "relcheck"
GIT_DOOR = "relcheck/git/door.py"
PROCESS_DOOR = "relcheck/system/process.py"

# Ways to start a process other than through the process door.
_PROCESS_MODULES = {"subprocess", "multiprocessing", "pty"}
_OS_STARTERS = ("spawn", "exec", "fork", "posix_spawn", "system", "popen")
_ASYNC_STARTERS = {"create_subprocess_exec", "create_subprocess_shell"}


def git_starts(source: str) -> list[str]:
    """Where ``source`` starts git: an argv list that begins with ``"git"``, a shell
    command that does, or gitpython (whose import runs ``git version``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.List) and node.elts and _is_git(node.elts[0]):
            found.append(f"line {node.lineno}: argv starting with git")
        elif _imports_gitpython(node):
            found.append(f"line {node.lineno}: import of gitpython")
        elif isinstance(node, ast.Call) and _calls_a_starter(node) and _git_command(node):
            found.append(f"line {node.lineno}: shell command starting with git")
    return found


def process_starts(source: str) -> list[str]:
    """Where ``source`` starts a process without the process door."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in _PROCESS_MODULES:
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in _PROCESS_MODULES:
                found.append(f"line {node.lineno}: from {node.module} import")
            elif node.module == "os" and any(_starts(a.name) for a in node.names):
                found.append(f"line {node.lineno}: from os import a process starter")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner, name = node.value.id, node.attr
            if owner == "os" and _starts(name):
                found.append(f"line {node.lineno}: os.{name}")
            elif owner in _PROCESS_MODULES or name == "Popen" or name in _ASYNC_STARTERS:
                found.append(f"line {node.lineno}: {owner}.{name}")
        elif isinstance(node, ast.Name) and node.id == "Popen":
            found.append(f"line {node.lineno}: Popen")
    return found


def _is_git(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == "git"


def _is_gitpython(module: str | None) -> bool:
    return module is not None and module.split(".")[0] == "git"


def _imports_gitpython(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(_is_gitpython(alias.name) for alias in node.names)
    return isinstance(node, ast.ImportFrom) and node.level == 0 and _is_gitpython(node.module)


def _git_command(call: ast.Call) -> bool:
    first = call.args[0] if call.args else None
    return isinstance(first, ast.Constant) and str(first.value).startswith("git ")


def _starts(name: str) -> bool:
    return name.startswith(_OS_STARTERS)


def _calls_a_starter(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in {"run", "start", "capture", "capture_text", "system", "popen"}


def _modules() -> list[tuple[str, str]]:
    root = PACKAGE.parent
    return [
        (path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def test_only_the_git_door_starts_git() -> None:
    offenders = {
        name: where
        for name, source in _modules()
        if name != GIT_DOOR and (where := git_starts(source))
    }
    assert offenders == {}, "start git through relcheck.git.door"


def test_only_the_process_door_starts_processes() -> None:
    offenders = {
        name: where
        for name, source in _modules()
        if name != PROCESS_DOOR and (where := process_starts(source))
    }
    assert offenders == {}, "start processes through relcheck.system.process"


def test_the_doors_are_where_they_say() -> None:
    sources = dict(_modules())
    assert git_starts(sources[GIT_DOOR])
    assert process_starts(sources[PROCESS_DOOR])
    assert not process_starts(sources[GIT_DOOR])  # git starts through the process door


@pytest.mark.parametrize(
    "source",
    [
        "import subprocess",
        "from subprocess import run",
        "import os\nos.execvp('x', ['x'])",
        "import os\nos.fork()",
        "import os\nos.posix_spawnp('x', ['x'], {})",
        "from os import spawnlp",
        "import asyncio\nasyncio.create_subprocess_exec('x')",
        "import multiprocessing",
        "proc.Popen(['x'])",
    ],
)
def test_a_process_started_around_the_door_is_seen(source: str) -> None:
    assert process_starts(source)


@pytest.mark.parametrize(
    "source",
    [
        "process.run(['git', 'status'], cwd='.')",
        "import git",
        "from git.exc import GitError",
        "process.run('git status', shell=True)",
    ],
)
def test_git_started_around_the_door_is_seen(source: str) -> None:
    assert git_starts(source)


def test_names_that_only_look_like_starters_are_not_flagged() -> None:
    source = "import os\nos.kill(1, 0)\nRUNNERS = ('git', 'git-tag')\nfrom relcheck.git import tags"
    assert process_starts(source) == []
    assert git_starts(source) == []
