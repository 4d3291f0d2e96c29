"""What relcheck asks of git. The only module that talks to git.

Questions on the hot path (commit, branch) use one ``git`` subprocess each, which costs
a couple of milliseconds; gitpython (whose import alone costs ~70 ms, as it runs
``git version``) is imported lazily, only by operations that need it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from relcheck.errors import RepoStateError

# Variables git sets inside hooks; a step that runs git in another directory must not
# inherit them (pre-commit does the same).
_GIT_HOOK_VARS = (
    "GIT_DIR",
    "GIT_INDEX_FILE",
    "GIT_WORK_TREE",
    "GIT_PREFIX",
    "GIT_OBJECT_DIRECTORY",
)


def without_git_hook_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` less the variables git sets for a hook."""
    return {k: v for k, v in env.items() if k not in _GIT_HOOK_VARS}


def find_root(start: str | None = None) -> str:
    """The top of the git work tree containing ``start``, else ``start`` itself."""
    here = os.path.abspath(start or os.getcwd())
    probe = here
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return here
        probe = parent


def git(root: str, *args: str, check: bool = True) -> str:
    """Run ``git args`` in ``root`` (argv, never a shell) and return its stdout."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            errors="replace",
            env=without_git_hook_env(os.environ),
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        raise RepoStateError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise RepoStateError(f"`git {' '.join(args)}` did not answer within 60s") from None
    if check and proc.returncode != 0:
        raise RepoStateError(f"`git {' '.join(args)}` failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


@dataclass(frozen=True)
class Head:
    """Where HEAD is: the commit, and the branch (None when detached)."""

    commit: str | None
    branch: str | None


def head(root: str) -> Head:
    """HEAD's commit and branch, or Nones outside a repository or before a first commit."""
    if not os.path.exists(os.path.join(root, ".git")):
        return Head(None, None)
    # No --verify: with two revisions it fails, and HEAD would always read as unknown.
    out = git(root, "rev-parse", "HEAD", "--abbrev-ref", "HEAD", check=False)
    lines = out.splitlines()
    if len(lines) < 2:
        return Head(None, None)
    branch = lines[1] if lines[1] != "HEAD" else None
    return Head(lines[0], branch)


def tree_of(root: str, commit: str) -> str | None:
    """The tree id of ``commit``."""
    out = git(root, "rev-parse", "--verify", "-q", f"{commit}^{{tree}}", check=False)
    return out or None


def describe_version(root: str) -> str | None:
    """The version from the newest tag reachable from HEAD (``v1.2.0`` -> ``1.2.0``)."""
    out = git(root, "describe", "--tags", "--abbrev=0", check=False)
    return out.removeprefix("v") if out else None


def changed_paths(root: str) -> list[str]:
    """Paths that differ from HEAD in the index or the work tree, and untracked files not
    ignored (renames give both names). One ``git status`` call."""
    out = _git_bytes(
        root, "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all"
    )
    paths: list[str] = []
    fields = out.split(b"\0")
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        paths.append(os.fsdecode(entry[3:]))
        if entry[:1] in (b"R", b"C"):  # the source of a rename follows as its own field
            paths.append(os.fsdecode(fields[i]))
            i += 1
    return paths


def indexed_files(root: str) -> dict[str, str]:
    """Every path in the index with its mode and blob id (``100644 <sha>``)."""
    out = _git_bytes(root, "ls-files", "-z", "-s")
    files: dict[str, str] = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, sha, _stage = meta.split(b" ")
        files[os.fsdecode(path)] = f"{mode.decode()} {sha.decode()}"
    return files


def _git_bytes(root: str, *args: str) -> bytes:
    """Like :func:`git`, for output with NUL separators and file names in any encoding."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            env=without_git_hook_env(os.environ),
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        raise RepoStateError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise RepoStateError(f"`git {' '.join(args)}` did not answer within 60s") from None
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        raise RepoStateError(f"`git {' '.join(args)}` failed: {err}")
    return proc.stdout
