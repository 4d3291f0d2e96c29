"""What a step's result depends on: the content of the work tree, or of the files its
``inputs:`` globs select. Computed once per run from two git calls at most."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from functools import cache

from relcheck import gitrepo
from relcheck.errors import RepoStateError

STATE_PREFIX = ".relcheck/"  # relcheck's own records and cache never count as inputs


class Workspace:
    """Content digests of one repository's work tree, taken lazily and at most once."""

    def __init__(self, root: str, tree: str | None) -> None:
        self.root = root
        self.tree = tree
        self._changed: dict[str, str] | None = None
        self._files: dict[str, str] | None = None
        self._default: str | None = None

    def _changes(self) -> dict[str, str]:
        """Each path that differs from HEAD (or is untracked) -> an id of its content."""
        if self._changed is None:
            paths = gitrepo.changed_paths(self.root)
            self._changed = {
                p: _content_id(os.path.join(self.root, p))
                for p in paths
                if not p.startswith(STATE_PREFIX)
            }
        return self._changed

    def default_digest(self) -> str:
        """The commit's tree plus every uncommitted change, tracked or untracked."""
        if self._default is None:
            digest = hashlib.sha256(f"tree {self.tree or '-'}\0".encode())
            for path, content in sorted(self._changes().items()):
                digest.update(f"{path}\0{content}\0".encode(errors="surrogateescape"))
            self._default = digest.hexdigest()
        return self._default

    def files(self) -> dict[str, str]:
        """Every tracked or untracked-not-ignored file -> an id of its current content."""
        if self._files is None:
            files = {
                p: f"git {v}"
                for p, v in gitrepo.indexed_files(self.root).items()
                if not p.startswith(STATE_PREFIX)
            }
            for path, content in self._changes().items():
                if content == "deleted":
                    files.pop(path, None)
                else:
                    files[path] = content
            self._files = files
        return self._files

    def inputs_digest(self, patterns: Iterable[str]) -> str:
        """A digest of the files matched by ``patterns`` (paths and contents)."""
        matchers = [glob_regex(p) for p in patterns]
        digest = hashlib.sha256()
        for path, content in sorted(self.files().items()):
            if any(m.fullmatch(path) for m in matchers):
                digest.update(f"{path}\0{content}\0".encode(errors="surrogateescape"))
        return digest.hexdigest()


def workspace_or_none(root: str, tree: str | None) -> Workspace | None:
    """A Workspace when ``root`` is a git work tree, else None (nothing can be cached)."""
    if not os.path.exists(os.path.join(root, ".git")):
        return None
    return Workspace(root, tree)


def _content_id(path: str) -> str:
    """``w <sha256> <x|->`` for a file, the target for a link, ``deleted`` when gone."""
    try:
        info = os.lstat(path)
    except OSError:
        return "deleted"
    if stat.S_ISLNK(info.st_mode):
        return f"link {os.readlink(path)}"
    if stat.S_ISDIR(info.st_mode):
        return "dir"  # a submodule or nested repository: its own commit is not read
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        raise RepoStateError(f"cannot read {path} to fingerprint it: {exc.strerror}") from exc
    executable = "x" if info.st_mode & stat.S_IXUSR else "-"
    return f"w {digest.hexdigest()} {executable}"


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for an ``inputs:`` glob, relative to the repository root.

    ``*`` and ``?`` stay within one path segment, ``**`` spans any number of them, and a
    pattern that names a directory selects everything beneath it (``src`` = ``src/**``).
    """
    text = pattern.strip().removeprefix("./").strip("/")
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if text.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if text.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = text.find("]", i + 2)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = text[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + "(?:/.*)?")
