"""The work tree and the index: what differs from HEAD, what git tracks, what it hides."""

from __future__ import annotations

import os
from dataclasses import dataclass

from relcheck.git.door import git, git_bytes


def changed_paths(root: str) -> list[str]:
    """Paths that differ from HEAD in the index or the work tree, and untracked files not
    ignored (renames give both names). One ``git status`` call."""
    out = git_bytes(
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
    out = git_bytes(root, *args)
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
    out = git_bytes(root, "ls-files", "-z", "-s", "-v")
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
    out = git_bytes(root, "ls-files", "-v", "-s", "-z")
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
