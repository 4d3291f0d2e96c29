"""The door to git: the only module in relcheck that starts git.

Every git command runs here, in the work tree it is about, with the variables git sets
for hooks removed, a timeout, and git's failure put in a sentence. Git starts through
relcheck.system.process (the one place relcheck starts processes): a local question with
:func:`git` or :func:`git_bytes` (one ``git`` process each, a couple of milliseconds), a
command that talks to a remote with :func:`network`, which can neither hang nor prompt.
gitpython (whose import alone costs ~70 ms, as it runs ``git version``) is imported only
by :func:`gitpython_tag`, which needs its parser.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relcheck.errors import RepoStateError, RunnerError
from relcheck.system import process

if TYPE_CHECKING:
    from git import TagObject

    from relcheck.system.process_output import OutputSink
    from relcheck.system.process_result import Captured

LOCAL_TIMEOUT = 60  # seconds for a git command that stays on this machine
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


def run_git(root: str, *args: str, input: str | None = None) -> Captured[str]:
    """Run ``git args`` in ``root`` (argv, never a shell) and return how it ended, whatever
    its exit status; RepoStateError only when git is missing or does not answer."""
    try:
        done = process.capture_text(
            ["git", *args],
            cwd=root,
            env=without_git_hook_env(os.environ),
            timeout=LOCAL_TIMEOUT,
            input=input,
        )
    except FileNotFoundError:
        raise RepoStateError("git is not installed or not on PATH") from None
    if done.timed_out:
        raise RepoStateError(f"git {args[0]} did not answer within {LOCAL_TIMEOUT}s")
    return done


def git(
    root: str, *args: str, check: bool = True, input: str | None = None, strip: bool = True
) -> str:
    """Run ``git args`` in ``root`` (argv, never a shell) and return its stdout."""
    done = run_git(root, *args, input=input)
    if check and done.returncode != 0:
        raise _failure(root, args[0], done.stderr)
    return done.stdout.strip() if strip else done.stdout


def git_status(root: str, *args: str) -> int:
    """Only the exit status of ``git args`` (for a question git answers with it)."""
    code = run_git(root, *args).returncode
    assert code is not None  # run_git raised when git did not end in time
    return code


def git_bytes(root: str, *args: str) -> bytes:
    """Like :func:`git`, for output with NUL separators and file names in any encoding."""
    done = _run_bytes(root, *args)
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip()
        raise RepoStateError(f"`git {' '.join(args)}` failed: {err}")
    return done.stdout


def git_bytes_if_ok(root: str, *args: str) -> bytes | None:
    """:func:`git_bytes`, or None when git fails (``git show`` of a file not there)."""
    done = _run_bytes(root, *args)
    return done.stdout if done.returncode == 0 else None


def _run_bytes(root: str, *args: str) -> Captured[bytes]:
    try:
        done = process.capture(
            ["git", *args],
            cwd=root,
            env=without_git_hook_env(os.environ),
            timeout=LOCAL_TIMEOUT,
        )
    except FileNotFoundError:
        raise RepoStateError("git is not installed or not on PATH") from None
    if done.timed_out:
        raise RepoStateError(f"`git {' '.join(args)}` did not answer within {LOCAL_TIMEOUT}s")
    return done


def _failure(root: str, command: str, stderr: str) -> RepoStateError:
    """What went wrong, in a sentence: git's ``fatal:``/``error:`` line without the
    command line around it, and "not in a git repository" in those words."""
    said = [line.strip() for line in stderr.splitlines() if line.strip()]
    if any("not a git repository" in line for line in said):
        return RepoStateError(
            f"{root} is not in a git repository",
            hint="run relcheck inside the repository's folder",
        )
    for line in said:
        if line.startswith(("fatal:", "error:")):
            return RepoStateError(f"git {command} failed: {line.split(':', 1)[1].strip()}")
    return RepoStateError(f"git {command} failed: {said[-1] if said else 'no reason given'}")


def gitpython_tag(root: str, tag: str) -> TagObject | None:
    """gitpython's reading of the annotated tag ``tag`` (tagger, date, message), or None
    for a lightweight tag. gitpython is imported here, and only when asked, for its cost."""
    import git as gitpython

    try:
        return gitpython.Repo(root).tags[tag].tag
    except (gitpython.exc.GitError, IndexError, ValueError) as exc:
        raise RepoStateError(f"cannot read tag {tag}: {exc}") from exc


@dataclass(frozen=True)
class NetworkResult:
    """How a git command that talks to a remote ended."""

    ok: bool
    stdout: str
    error: str  # git's own words, or why it was stopped
    stopped: bool = False  # git did not end by itself: a timeout or a signal stopped it


def network(
    root: str,
    args: list[str],
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> NetworkResult:
    """Run a git command that talks to a remote, so it can neither hang nor prompt.

    The whole process group (git and its ssh or credential helpers) is stopped after
    ``timeout`` seconds; git is told never to ask for a password.
    """
    from relcheck.system.process_output import OutputSink

    env = without_git_hook_env(os.environ)
    # No prompts: git's own are off, ssh gets no askpass program, and process.run starts
    # git in a new session, without a terminal ssh could open to ask for a passphrase.
    # (GIT_SSH_COMMAND is left alone: it would override the user's core.sshCommand.)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["SSH_ASKPASS_REQUIRE"] = "never"
    own = OutputSink(None)
    try:
        result = process.run(
            ["git", *args],
            cwd=root,
            env=env,
            timeout=timeout,
            cancel=cancel or threading.Event(),
            sink=own,
            capture_stdout=True,
        )
    except RunnerError as exc:
        return NetworkResult(False, "", str(exc))
    said = "\n".join(
        line for line in own.tail().splitlines() if line and not line.startswith("[relcheck]")
    )
    if log is not None:
        log.write(own.tail().encode() + b"\n")
    stdout = result.stdout.decode("utf-8", errors="replace")
    if result.timed_out:
        return NetworkResult(False, stdout, f"no answer within {timeout:g}s", stopped=True)
    if result.cancelled:
        return NetworkResult(False, stdout, "interrupted", stopped=True)
    if result.returncode != 0:
        return NetworkResult(False, stdout, said or result.describe())
    return NetworkResult(True, stdout, said)
