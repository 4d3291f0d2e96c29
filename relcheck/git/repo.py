"""What relcheck asks of git. The only module that talks to git.

Questions on the hot path (commit, branch) use one ``git`` subprocess each, which costs
a couple of milliseconds; gitpython (whose import alone costs ~70 ms, as it runs
``git version``) is imported lazily, only by operations that need it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relcheck.errors import RepoStateError, RunnerError

if TYPE_CHECKING:
    from relcheck.system.process_output import OutputSink

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


def git_dir(root: str) -> str | None:
    """The work tree's own git folder (a linked worktree's ``.git`` file points to it),
    found without running git; None outside a repository."""
    dot_git = os.path.join(root, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    try:
        with open(dot_git, "rb") as fh:
            first = fh.readline(4096).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if first.startswith("gitdir:"):
        found = os.path.join(root, first.removeprefix("gitdir:").strip())
        return found if os.path.isdir(found) else None
    return None


def git(
    root: str, *args: str, check: bool = True, input: str | None = None, strip: bool = True
) -> str:
    """Run ``git args`` in ``root`` (argv, never a shell) and return its stdout."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            errors="replace",
            env=without_git_hook_env(os.environ),
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        raise RepoStateError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise RepoStateError(f"git {args[0]} did not answer within 60s") from None
    if check and proc.returncode != 0:
        raise _failure(root, args[0], proc.stderr)
    return proc.stdout.strip() if strip else proc.stdout


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


def describe_version(root: str, template: str, *, exact: bool) -> tuple[str, str] | None:
    """``(tag, version)`` of the newest release tag reachable from HEAD, or, with
    ``exact``, of a release tag on HEAD itself. Only tags the ``release.tag`` template
    makes count (``v{version}`` matches ``v1.2.0``, not ``deploy-42``)."""
    prefix, _, suffix = template.partition("{version}")
    args = ["describe", "--tags", "--abbrev=0", f"--match={prefix}*{suffix}"]
    out = git(root, *args, *(["--exact-match"] if exact else []), "HEAD", check=False)
    if not out or not out.startswith(prefix) or not out.endswith(suffix):
        return None
    version = out[len(prefix) : len(out) - len(suffix)]
    return (out, version) if version else None


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


HEAD_KEY = "\0HEAD"  # HEAD's commit in status_entries: no path can hold a NUL


def status_entries(root: str, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """Tracked paths that differ from HEAD or the index, each with its ``git status
    --porcelain=v2`` line (modes and blob ids of HEAD and the index), and HEAD's commit
    under HEAD_KEY. One ``git status`` call that takes no lock, so it never rewrites the
    index a running step may be using."""
    args = ["--no-optional-locks", "status", "--porcelain=v2", "-z", "--branch"]
    args += ["--untracked-files=no", "--", ".", *(f":(exclude){path}" for path in exclude)]
    out = _git_bytes(root, *args)
    found: dict[str, str] = {}
    fields = iter(out.split(b"\0"))
    for entry in fields:
        text = os.fsdecode(entry)
        if text.startswith("# branch.oid "):
            found[HEAD_KEY] = text.removeprefix("# branch.oid ")
            continue
        kind = text[:1]
        if kind not in ("1", "2", "u"):
            continue
        # Fields before the path: 8 for ordinary, 9 for renamed, 10 for unmerged entries.
        meta_fields = {"1": 8, "2": 9, "u": 10}[kind]
        parts = text.split(" ", meta_fields)
        if len(parts) <= meta_fields:
            continue
        found[parts[meta_fields]] = " ".join(parts[:meta_fields])
        if kind == "2":
            next(fields, None)  # the rename's source follows as its own field
    return found


def indexed_files(root: str) -> dict[str, str]:
    """Every path in the index with its mode and blob id (``100644 <sha>``)."""
    return index_entries(root)[0]


def index_entries(root: str) -> tuple[dict[str, str], list[str]]:
    """:func:`indexed_files`, and the paths git status does not look at (marked
    ``update-index --assume-unchanged`` or ``--skip-worktree``), from one call."""
    out = _git_bytes(root, "ls-files", "-z", "-s", "-v")
    files: dict[str, str] = {}
    hidden: list[str] = []
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, raw = entry.partition(b"\t")
        tag, mode, sha, _stage = meta.split(b" ")
        path = os.fsdecode(raw)
        files[path] = f"{mode.decode()} {sha.decode()}"
        if tag.islower() or tag.upper() == b"S":
            hidden.append(path)
    return files, hidden


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


# -- working tree and branch ----------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One entry of ``git status``: a two-letter code and a path."""

    code: str
    path: str
    hidden: bool = False  # changed, though git status is told not to look (see hidden_changes)

    @property
    def tracked(self) -> bool:
        return self.code != "??"


def changes(root: str, *, untracked: bool, exclude: tuple[str, ...] = ()) -> list[Change]:
    """Uncommitted changes (and untracked files when asked), less the ``exclude`` folders;
    files hidden from ``git status`` by their index flags count too."""
    args = [
        "status",
        "--porcelain=v1",
        "-z",
        f"--untracked-files={'normal' if untracked else 'no'}",
    ]
    args += ["--", ".", *(f":(exclude){path}" for path in exclude)]
    out = git(root, *args, strip=False)  # the status code may start with a space
    found: list[Change] = []
    entries = iter(out.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if "R" in code or "C" in code:
            next(entries, None)  # a rename is followed by its old path
        found.append(Change(code, path))
    seen = {c.path for c in found}
    found += [
        Change(" M", path, hidden=True)
        for path in hidden_changes(root, exclude)
        if path not in seen
    ]
    return found


def hidden_files(root: str) -> dict[str, tuple[str, str, bool]]:
    """Tracked files git status does not look at: marked ``update-index
    --assume-unchanged`` or ``--skip-worktree``. Path -> (mode, blob id, skip-worktree)."""
    out = _git_bytes(root, "ls-files", "-v", "-s", "-z")
    found: dict[str, tuple[str, str, bool]] = {}
    for entry in out.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        parts = meta.split(b" ")
        if len(parts) != 4:
            continue
        tag, mode, sha, _stage = parts
        # -v writes an assume-unchanged file's tag in lowercase; S is skip-worktree.
        if tag.islower() or tag.upper() == b"S":
            found[os.fsdecode(path)] = (mode.decode(), sha.decode(), tag.upper() == b"S")
    return found


def hidden_changes(root: str, exclude: tuple[str, ...] = ()) -> list[str]:
    """Hidden files (see :func:`hidden_files`) whose work-tree content is not the index's.

    Such a file slips past ``git status``, so a release could be tagged from a work tree
    that is not the commit. Content is hashed as git would store it (filters applied).
    A skip-worktree file that is absent is not a change: sparse checkouts leave them out.
    """
    hidden = {
        path: meta
        for path, meta in hidden_files(root).items()
        if not any(path == e or path.startswith(e.rstrip("/") + "/") for e in exclude)
    }
    changed: list[str] = []
    regular: list[tuple[str, str]] = []
    for path, (mode, sha, skip) in sorted(hidden.items()):
        full = os.path.join(root, path)
        if mode == "160000":  # a submodule: its own repository says what changed
            continue
        if not os.path.lexists(full):
            if not skip:
                changed.append(path)
        elif mode == "120000":
            link = os.readlink(full) if os.path.islink(full) else None
            stored = (
                git(root, "hash-object", "--no-filters", "--stdin", input=link)
                if link is not None
                else None
            )
            if stored != sha:
                changed.append(path)
        elif "\n" in path or not os.path.isfile(full):
            changed.append(path)  # a name --stdin-paths cannot carry, or not a file now
        else:
            regular.append((path, sha))
    if regular:
        ids = git(
            root, "hash-object", "--stdin-paths", input="\n".join(p for p, _ in regular) + "\n"
        ).split()
        changed += [path for (path, sha), now in zip(regular, ids, strict=True) if now != sha]
    return sorted(changed)


def upstream_of(root: str) -> str | None:
    """The upstream of the current branch (``origin/main``), or None when it has none."""
    out = git(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}", check=False)
    return out or None


def ahead_behind(root: str, upstream: str) -> tuple[int, int]:
    """How many commits HEAD is ahead of and behind ``upstream`` (local tracking refs)."""
    out = git(root, "rev-list", "--left-right", "--count", f"HEAD...{upstream}", "--")
    ahead, behind = out.split()
    return int(ahead), int(behind)


def remote_of(root: str, branch: str) -> str | None:
    """The remote the upstream of ``branch`` comes from (``origin``)."""
    out = git(root, "config", "--get", f"branch.{branch}.remote", check=False)
    return out or None


def remotes(root: str) -> list[str]:
    """The configured remote names."""
    out = git(root, "remote", check=False)
    return out.split() if out else []


# -- tags -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TagRef:
    """A tag: the tag object (or the commit, for a lightweight tag) and the commit."""

    name: str
    object: str
    commit: str
    annotated: bool


def local_tag(root: str, tag: str) -> TagRef | None:
    """The local tag named ``tag``, or None."""
    fmt = "%(refname)%00%(objectname)%00%(objecttype)%00%(*objectname)"
    out = git(root, "for-each-ref", f"--format={fmt}", f"refs/tags/{tag}")
    for line in out.splitlines():
        ref, obj, kind, peeled = line.split("\0")
        if ref == f"refs/tags/{tag}":
            annotated = kind == "tag"
            return TagRef(tag, obj, peeled if annotated else obj, annotated)
    return None


def previous_tag(root: str, match: str | tuple[str, ...], exclude: str) -> str | None:
    """The nearest tag matching a glob of ``match`` reachable from HEAD, except ``exclude``."""
    globs = (match,) if isinstance(match, str) else match
    out = git(
        root,
        "describe",
        "--tags",
        "--abbrev=0",
        *(f"--match={glob}" for glob in globs),
        f"--exclude={exclude}",
        "HEAD",
        check=False,
    )
    return out or None


def is_shallow(root: str) -> bool:
    """Whether the repository is a shallow clone (CI checkouts often are: depth 1)."""
    return git(root, "rev-parse", "--is-shallow-repository", check=False) == "true"


def tag_commits(root: str) -> dict[str, str]:
    """Every local tag with the commit it points at (tags of trees or blobs left out)."""
    fmt = "%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)"
    out = git(root, "for-each-ref", f"--format={fmt}", "refs/tags")
    found: dict[str, str] = {}
    for line in out.splitlines():
        name, kind, obj, peeled_kind, peeled = line.split("\0")
        if kind == "commit":
            found[name] = obj
        elif peeled_kind == "commit":
            found[name] = peeled
    return found


def is_ancestor(root: str, commit: str, of: str) -> bool | None:
    """Whether ``commit`` is ``of`` or one of its ancestors; None when git cannot say
    (``commit`` is not here)."""
    proc = subprocess.run(
        ["git", "merge-base", "--is-ancestor", commit, of],
        cwd=root,
        capture_output=True,
        env=without_git_hook_env(os.environ),
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    return {0: True, 1: False}.get(proc.returncode)


def ref_commit(root: str, ref: str) -> str | None:
    """The commit ``ref`` (``refs/remotes/origin/main``) names here, or None."""
    return git(root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False) or None


def count_commits(root: str, since: str, until: str = "HEAD") -> int:
    """Commits in ``until`` that are not in ``since``."""
    return int(git(root, "rev-list", "--count", f"{since}..{until}", "--"))


def create_tag(root: str, tag: str, commit: str, message: str, *, sign: bool) -> TagRef:
    """Create the annotated (or signed) tag ``tag`` on ``commit``; never moves a tag."""
    # --cleanup=verbatim keeps lines that start with '#' (a step summary may).
    git(
        root,
        "tag",
        "-s" if sign else "-a",
        "--cleanup=verbatim",
        "-F",
        "-",
        "--",
        tag,
        commit,
        input=message,
    )
    made = local_tag(root, tag)
    if made is None:  # pragma: no cover - git said it made it
        raise RepoStateError(f"git tag reported success but {tag} does not exist")
    if sign:
        # Some git versions (2.39) report success when ssh-keygen could not sign, and
        # store its error message where the signature belongs: check, and undo.
        body = git(root, "cat-file", "tag", made.object)
        if "-----BEGIN" not in body.split(message.rstrip("\n"), 1)[-1]:
            said = body.split(message.rstrip("\n"), 1)[-1].strip() or "no signature"
            delete_tag(root, made)
            raise RepoStateError(f"git tag -s made no signature ({said})")
    return made


def delete_tag(root: str, tag: TagRef) -> str | None:
    """Delete ``tag`` only if it still is the object we made; None, or why it failed."""
    try:
        git(root, "update-ref", "-d", f"refs/tags/{tag.name}", tag.object)
    except RepoStateError as exc:
        return exc.message
    return None


def verify_tag(root: str, tag: str) -> tuple[bool, str]:
    """``git verify-tag``: whether the signature of the tag (a name, or a tag object's
    id) is good, and what git said."""
    proc = subprocess.run(
        ["git", "verify-tag", "--", tag],
        cwd=root,
        capture_output=True,
        text=True,
        errors="replace",
        env=without_git_hook_env(os.environ),
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    # git prints the tag on stdout and its verdict on stderr; when the signature is sound
    # but its signer is not trusted, the last line says so ("No principal matched.").
    said = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode == 0:
        good = [line for line in said if line.startswith("Good")]
        return True, (good or said or ["signature verified"])[0]
    return False, "; ".join(said[-2:]) or f"git verify-tag exited {proc.returncode}"


@dataclass(frozen=True)
class TagObject:
    """An annotated tag read back: what it points at, who made it, and its message."""

    name: str
    commit: str
    tagger: str
    tagged_at: float
    message: str  # without the signature
    signed: bool


def read_tag(root: str, tag: str) -> TagObject | None:
    """The annotated tag ``tag``; None when there is no such tag or it is lightweight."""
    ref = local_tag(root, tag)
    if ref is None or not ref.annotated:
        return None
    import git as gitpython  # parses tag objects (tagger, dates, message) for us

    try:
        repo = gitpython.Repo(root)
        obj = repo.tags[tag].tag
    except (gitpython.exc.GitError, IndexError, ValueError) as exc:
        raise RepoStateError(f"cannot read tag {tag}: {exc}") from exc
    if obj is None:
        return None
    message, _, signature = obj.message.partition("-----BEGIN ")
    tagger = f"{obj.tagger.name} <{obj.tagger.email}>" if obj.tagger else ""
    return TagObject(tag, ref.commit, tagger, float(obj.tagged_date), message, bool(signature))


def read_tag_object(root: str, obj: str, name: str) -> TagObject | None:
    """The annotated tag object ``obj`` (an object id, as a pre-push hook gets it, or a
    ref), read as ``name``; None when ``obj`` is not a tag object (a lightweight tag
    names a commit)."""
    kind = git(root, "cat-file", "-t", obj, check=False)
    if kind != "tag":
        return None
    raw = git(root, "cat-file", "tag", obj, strip=False)
    head, _, body = raw.partition("\n\n")
    tagger, when = "", 0.0
    for line in head.splitlines():
        if line.startswith("tagger "):
            who, _, stamp = line[len("tagger ") :].rpartition("> ")
            tagger = who + ">"
            with contextlib.suppress(ValueError, IndexError):
                when = float(stamp.split()[0])
    message, _, signature = body.partition("-----BEGIN ")
    commit = git(root, "rev-parse", "--verify", "-q", f"{obj}^{{commit}}", check=False)
    return TagObject(name, commit, tagger, when, message, bool(signature))


# -- the network: every call bounded by a timeout, never prompting --------------------


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
    from relcheck.system import process
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


def fetch(
    root: str,
    remote: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> NetworkResult:
    """``git fetch`` the remote's branches (not its tags), bounded by ``timeout``."""
    args = ["fetch", "--quiet", "--no-tags", "--", remote]
    return network(root, args, timeout=timeout, cancel=cancel, log=log)


def remote_tag(
    root: str,
    remote: str,
    tag: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> tuple[TagRef | None, NetworkResult]:
    """``tag`` as ``remote`` has it (None if it has no such tag)."""
    ref = f"refs/tags/{tag}"
    args = ["ls-remote", "--tags", "--", remote, ref, f"{ref}^{{}}"]
    result = network(root, args, timeout=timeout, cancel=cancel, log=log)
    if not result.ok:
        return None, result
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        sha, _, name = line.partition("\t")
        found[name.strip()] = sha.strip()
    if ref not in found:
        return None, result
    # An annotated tag is listed twice: the tag object, then ``^{}``, the commit.
    peeled = found.get(f"{ref}^{{}}")
    return TagRef(tag, found[ref], peeled or found[ref], peeled is not None), result


def remote_refs(
    root: str,
    remote: str,
    kind: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
    pattern: str | None = None,
) -> tuple[dict[str, str] | None, NetworkResult]:
    """``remote``'s ``kind`` of refs (``tags`` or ``heads``), by short name, each with the
    commit it points at (an annotated tag's ``^{}`` line); None when it could not be asked."""
    args = ["ls-remote", f"--{kind}", "--", remote, *([pattern] if pattern else [])]
    result = network(root, args, timeout=timeout, cancel=cancel, log=log)
    if not result.ok:
        return None, result
    found: dict[str, str] = {}
    prefix = f"refs/{kind}/"
    for line in result.stdout.splitlines():
        sha, _, ref = line.strip().partition("\t")
        if not ref.startswith(prefix):
            continue
        name = ref.removeprefix(prefix)
        if name.endswith("^{}"):
            found[name.removesuffix("^{}")] = sha  # the commit wins over the tag object
        else:
            found.setdefault(name, sha)
    return found, result


def remote_tag_commit(
    root: str,
    remote: str,
    tag: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> tuple[str | None, NetworkResult]:
    """The commit ``tag`` points at on ``remote`` (None if it has no such tag)."""
    there, result = remote_tag(root, remote, tag, timeout=timeout, cancel=cancel, log=log)
    return (there.commit if there else None), result


def fetch_tag_object(
    root: str,
    remote: str,
    tag: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> NetworkResult:
    """Bring the objects of ``remote``'s ``tag`` here without making or moving any ref."""
    args = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", remote]
    args.append(f"refs/tags/{tag}")
    return network(root, args, timeout=timeout, cancel=cancel, log=log)


def tag_message(root: str, obj: str) -> str | None:
    """The raw text of the annotated tag object ``obj``; None when it is not here."""
    out = git(root, "cat-file", "tag", obj, check=False)
    return out or None


def push_tag(
    root: str,
    remote: str,
    tag: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> NetworkResult:
    """Push ``tag`` (only that ref) to ``remote``; a tag already there is never overwritten."""
    ref = f"refs/tags/{tag}"
    return network(
        root,
        ["push", "--porcelain", "--no-verify", "--", remote, f"{ref}:{ref}"],
        timeout=timeout,
        cancel=cancel,
        log=log,
    )


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
