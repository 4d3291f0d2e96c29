"""A wrong checklist is refused before any step starts: exit 2, the file and line named,
no traceback, no side effect, an answer within seconds whatever the file holds."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_relcheck, write
from tests.reliability.support import FIGURES, check_run

# Each checklist that can hold one starts with this step: if it ever runs, STARTED appears.
FIRST = b"version: 1\nsteps:\n  - id: started\n    run: touch STARTED\n"


def _laughs() -> bytes:
    lines = [b'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = b", ".join([b"*a%d" % (i - 1)] * 9)
        lines.append(b"a%d: &a%d [%s]" % (i, i, refs))
    return FIRST + b"\n".join(lines) + b"\n"


def _deep_flow(depth: int) -> bytes:
    return FIRST + b"nested: " + b"[" * depth + b"]" * depth + b"\n"


def _deep_blocks(depth: int) -> bytes:
    return FIRST + b"nested:\n" + b"".join(b" " * i + b"k:\n" for i in range(1, depth))


def _big(size: int) -> bytes:
    filler = b"# " + b"padding " * 16 + b"\n"
    return FIRST + filler * (size // len(filler))


# name -> (file content, the line the first problem must name)
CASES: dict[str, tuple[bytes, int]] = {
    "empty file": (b"", 1),
    "only a comment": (b"# nothing here\n", 1),
    "list at the top level": (b"- id: started\n  run: touch STARTED\n", 1),
    "text at the top level": (b"just some words\n", 1),
    "not UTF-8": (FIRST + b"  - id: bad\n    run: echo caf\xe9\n", 6),
    "UTF-16 file": ("version: 1\n".encode("utf-16"), 1),
    "NUL byte": (FIRST + b"  - id: nul\n    run: echo \x00\n", 6),
    "python object apply": (
        b'version: 1\nsteps: !!python/object/apply:os.system ["touch PWNED"]\n',
        2,
    ),
    "python object in a step": (
        FIRST + b'  - id: evil\n    run: !!python/object/apply:os.system ["touch PWNED"]\n',
        6,
    ),
    "python name": (FIRST + b"  - id: evil\n    run: !!python/name:os.system\n", 6),
    "duplicate top-level key": (FIRST + b"steps:\n  - id: other\n    run: 'true'\n", 5),
    "duplicate key in a step": (FIRST + b"    run: touch AGAIN\n", 5),
    "duplicate step id": (FIRST + b"  - id: started\n    run: 'true'\n", 5),
    "typo in a step key": (FIRST + b"  - id: b\n    run: 'true'\n    timout: 5s\n", 7),
    "typo in a top-level key": (FIRST + b"relase:\n  tag: v1\n", 5),
    "typo in a runner name": (FIRST + b"  - id: b\n    uses: comand\n", 6),
    "unknown key in with": (FIRST + b"  - id: b\n    uses: command\n    with: {rn: x}\n", 7),
    "version 2": (b"version: 2\nsteps:\n  - id: started\n    run: touch STARTED\n", 1),
    "no steps": (b"version: 1\nsteps: []\n", 2),
    "step is text": (FIRST + b"  - just text\n", 5),
    "uppercase id": (FIRST + b"  - id: Build\n    run: 'true'\n", 5),
    "needs an unknown step": (FIRST + b"  - id: b\n    run: 'true'\n    needs: [nope]\n", 7),
    "needs cycle": (
        FIRST + b"  - id: b\n    run: 'true'\n    needs: [c]\n  - id: c\n    run: 'true'\n"
        b"    needs: [b]\n",
        7,
    ),
    "merge key": (FIRST + b"  - <<: {id: m}\n    run: 'true'\n", 5),
    "mapping as a key": (FIRST + b"? {a: 1}\n: x\n", 5),
    "tab indentation": (FIRST + b"  - id: t\n\trun: 'true'\n", 6),
    "unclosed quote": (FIRST + b"  - id: q\n    run: 'true\n", 6),
    "billion laughs": (_laughs(), 1),
    "self-referencing alias": (FIRST + b"loop: &a [*a]\n", 1),
    "deep flow nesting": (_deep_flow(100_000), 5),
    "deep block nesting": (_deep_blocks(3_000), 1),
    "50 MB file": (_big(50 * 1024 * 1024), 1),
    "negative duration": (FIRST + b"    timeout: -5s\n", 5),
    "zero duration": (FIRST + b"    timeout: 0\n", 5),
    "nonsense duration": (FIRST + b"    timeout: soon\n", 5),
    "infinite duration": (FIRST + b"    timeout: .inf\n", 5),
    "NaN duration": (FIRST + b"    timeout: .nan\n", 5),
    "duration of years": (FIRST + b"    timeout: 99999h\n", 5),
    "duration as a list": (FIRST + b"    timeout: [5s]\n", 5),
    "default timeout nonsense": (FIRST + b"defaults: {timeout: '1.2.3m'}\n", 5),
    "negative retries": (FIRST + b"    retries: -1\n", 5),
    "huge retries": (FIRST + b"    retries: 99999999999999999999999\n", 5),
    "env value a mapping": (FIRST + b"    env: {A: {b: c}}\n", 5),
    "secrets as text": (FIRST + b"secrets: TOKEN\n", 5),
    "tag template with a space": (FIRST + b"release: {tag: 'v{version} x'}\n", 5),
    "tag template with a leading dash": (FIRST + b"release: {tag: '--upload-pack={version}'}\n", 5),
    "tag template placeholder": (FIRST + b"release: {tag: 'v{branch}'}\n", 5),
}


@pytest.fixture(scope="module")
def shared_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One repository for every case (each overwrites relcheck.yaml): saves a git setup
    per case."""
    repo = tmp_path_factory.mktemp("bad") / "repo"
    write(repo / "pyproject.toml", '[project]\nname = "demo"\nversion = "1.2.0"\n')
    # Module scope runs before the per-test isolated environment: isolate git here.
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Rel Check",
        "GIT_AUTHOR_EMAIL": "relcheck@example.invalid",
        "GIT_COMMITTER_NAME": "Rel Check",
        "GIT_COMMITTER_EMAIL": "relcheck@example.invalid",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "initial"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return repo


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_checklist_is_refused_before_any_step_starts(
    name: str, shared_repo: Path, run_env: dict[str, str]
) -> None:
    git_repo = shared_repo
    content, line = CASES[name]
    (git_repo / "relcheck.yaml").write_bytes(content)
    proc = run_relcheck("run", cwd=git_repo, env=run_env, timeout=60)
    FIGURES.add("bad checklists tried")
    output = proc.stdout + proc.stderr
    check_run(proc.returncode, output, git_repo)
    assert proc.returncode == 2, output
    assert not (git_repo / "STARTED").exists()
    assert not (git_repo / "PWNED").exists()
    assert not (git_repo / ".relcheck" / "runs").exists() or not any(
        (git_repo / ".relcheck" / "runs").iterdir()
    )
    lines = [int(n) for n in re.findall(r"^relcheck\.yaml:(\d+):\d+: ", proc.stderr, re.M)]
    assert lines, f"no FILE:LINE:COL in {proc.stderr!r}"
    assert lines[0] == line, proc.stderr
    assert proc.stderr.rstrip().endswith(("problem", "problems")), proc.stderr
