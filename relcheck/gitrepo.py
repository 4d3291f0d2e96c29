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
    # Not --verify: it takes a single revision, so with two it printed nothing at all.
    out = git(root, "rev-parse", "HEAD", "--abbrev-ref", "HEAD", check=False)
    lines = out.splitlines()
    if len(lines) < 2 or len(lines[0]) < 40:  # no commit yet: git echoes "HEAD"
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


def tracked(root: str, paths: list[str]) -> set[str]:
    """Those of ``paths`` (absolute) that git tracks in the work tree at ``root``.

    Outside a repository, or when git cannot answer, nothing is tracked.
    """
    if not paths or not os.path.exists(os.path.join(root, ".git")):
        return set()
    found = set()
    for path in paths:  # one call each: a path outside the work tree fails only itself
        out = git(root, "ls-files", "-z", "--", path, check=False)
        if out.strip("\0"):
            found.add(path)
    return found


def show_file(root: str, rev: str, path: str) -> bytes | None:
    """The content of ``path`` (relative to the top of the tree) as committed in ``rev``,
    or None when it has no such file."""
    proc = subprocess.run(
        ["git", "show", f"{rev}:{path}"],
        cwd=root,
        capture_output=True,
        env=without_git_hook_env(os.environ),
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None


def user_identity(root: str) -> str:
    """``Name <email>`` as git would sign a commit here (user.name/user.email, or the
    GIT_AUTHOR_* variables); the login name when git knows nobody."""
    ident = git(root, "var", "GIT_AUTHOR_IDENT", check=False)
    if ">" in ident:
        return ident.rsplit(">", 1)[0] + ">"
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
