"""What a step's result depends on: the content of the work tree, or of the files its
``inputs:`` globs select. Computed once per run from two git calls at most."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from relcheck.checklist.globs import glob_regex
from relcheck.errors import RepoStateError
from relcheck.git import worktree
from relcheck.system.fileio import STATE_NAME

T = TypeVar("T")
STATE_PREFIX = f"{STATE_NAME}/"  # relcheck's own records and cache never count as inputs


class Workspace:
    """Content digests of one repository's work tree, taken lazily and at most once.

    Every file is named by its git blob id and mode, whether git read it from the index
    (unchanged files) or relcheck hashed it from the disk (changed and untracked files),
    so committing a change does not change the digest: a pass before ``git commit``
    still counts in the pre-push hook after it.
    """

    def __init__(self, root: str, tree: str | None) -> None:
        self.root = root
        self.tree = tree  # kept for records; the digests name content, not commits
        self._files: dict[str, str] | None = None
        self._default: str | None = None

    def files(self) -> dict[str, str]:
        """Every tracked or untracked-not-ignored file -> ``<mode> <blob id>``."""
        if self._files is None:
            changed = _in_background(worktree.changed_paths, self.root)  # both git calls at once
            indexed, hidden = worktree.index_entries(self.root)
            files = {p: v for p, v in indexed.items() if not p.startswith(STATE_PREFIX)}
            for path in changed():
                if path.startswith(STATE_PREFIX):
                    continue
                content = content_id(os.path.join(self.root, path))
                if content is None:
                    files.pop(path, None)
                else:
                    files[path] = content
            # Files git status is told not to look at are read from the disk too; one that
            # is absent keeps its index entry (a sparse checkout leaves such files out).
            for path in hidden:
                content = content_id(os.path.join(self.root, path))
                if content is not None and path in files:
                    files[path] = content
            self._files = files
        return self._files

    def default_digest(self) -> str:
        """Every file's path and content: the commit's tree plus uncommitted changes."""
        if self._default is None:
            self._default = _digest(sorted(self.files().items()))
        return self._default

    def inputs_digest(self, patterns: Iterable[str]) -> str:
        """A digest of the files matched by ``patterns`` (paths and contents)."""
        matchers = [glob_regex(p) for p in patterns]
        return _digest(
            (path, content)
            for path, content in sorted(self.files().items())
            if any(m.fullmatch(path) for m in matchers)
        )


def _in_background(func: Callable[[str], T], arg: str) -> Callable[[], T]:
    """Start ``func(arg)`` in a thread; the returned function waits for its result."""
    result: list[T] = []
    error: list[BaseException] = []

    def work() -> None:
        try:
            result.append(func(arg))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()

    def wait() -> T:
        thread.join()
        if error:
            raise error[0]
        return result[0]

    return wait


def _digest(items: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for path, content in items:
        digest.update(f"{path}\0{content}\0".encode(errors="surrogateescape"))
    return digest.hexdigest()


def workspace_or_none(root: str, tree: str | None) -> Workspace | None:
    """A Workspace when ``root`` is a git work tree, else None (nothing can be cached)."""
    if not os.path.exists(os.path.join(root, ".git")):
        return None
    return Workspace(root, tree)


def content_id(path: str) -> str | None:
    """``<mode> <blob id>`` as git would store the file now; None when it is gone."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return f"120000 {_blob_id(os.fsencode(os.readlink(path)))}"
    if stat.S_ISDIR(info.st_mode):
        return "160000 dir"  # a submodule or nested repository: its commit is not read
    if not stat.S_ISREG(info.st_mode):
        # A FIFO would block the open for ever, a device never end: git cannot add
        # either, so its kind stands for its content.
        return f"000000 {stat.S_IFMT(info.st_mode):o}"
    try:
        blob = _file_blob_id(path)
    except OSError as exc:
        raise RepoStateError(f"cannot read {path} to fingerprint it: {exc.strerror}") from exc
    mode = "100755" if info.st_mode & stat.S_IXUSR else "100644"
    return f"{mode} {blob}"


def _file_blob_id(path: str) -> str:
    """:func:`_blob_id` of a file's content, read in chunks (an untracked 2 GB file must
    not be held in memory); opened non-blocking in case it became a FIFO meanwhile."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return f"special {stat.S_IFMT(info.st_mode):o}"
        os.set_blocking(fd, True)
        digest = hashlib.sha1(b"blob %d\0" % info.st_size, usedforsecurity=False)
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _blob_id(data: bytes) -> str:
    """git's object id for a blob holding ``data`` (SHA-1 repositories)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
