"""Whether a work tree's git state may have changed: the stat of what ``git status`` reads.

The tree watch asks ``git status`` at every step boundary (3 to 8 ms each). Between two
boundaries nothing changes in most runs, and a stat of the files ``git status`` reads says
so for a few microseconds each: every file in the index (the list re-read when the index
changes), every other path the last snapshot looked at, and git's own files (the index,
``HEAD``, the ref it names, ``packed-refs``, the reftable list, the config files,
``info/attributes``, ``info/grafts`` and the ``refs/replace`` folder). A stamp is
``(mtime_ns, ctime_ns, size, inode, mode)`` per path, and ``(inode, mode)`` of each folder
above an index file (swapped for a symlink, it hides nothing from ``lstat`` of the files,
but git no longer sees them).
When two stamps are equal the watch keeps its last snapshot; when they differ, it runs
``git status`` again, so a verdict never rests on a stat that changed.

Equal stamps over a changed file: any change to a file sets its ctime to the time of the
change, and no program can set a ctime back (``touch -d`` and ``cp -p`` set the mtime and
change the ctime). So a change after a stamp shows in its ctime, unless it lands in the
same tick of the file system's clock as the ctime the stamp holds. This is git's "racy
git" problem, and the answer is git's: a stamp whose newest ctime is not clearly before
the moment the stamp was taken is racy, and a racy stamp is never trusted, the next
boundary runs ``git status`` whatever the stat says. "Clearly before" is
:data:`RACY_NS` (100 ms: the tick of the kernel's file clock is at most 10 ms on Linux,
and file systems that keep milliseconds round to them) or, for a ctime in whole seconds
(ext3, HFS+, FAT, which rounds to 2 s), :data:`RACY_COARSE_NS` (2 s). Within that margin
the tree watch behaves as it did before stamps: one ``git status`` per boundary. Left to
chance: a network file server whose clock lags this machine's by more than the margin,
and a step that rewrites a file in place, same size, within one tick of the stamp. Not
watched: git's global and system config, and an untracked ``.gitattributes`` a step
creates (they can change what ``git status`` says only of a file whose stat already
differs from the index's).

The stamp gives up (every boundary runs ``git status``, as before) when it cannot tell:
a submodule in the index (its status depends on files inside it), or a ``.git`` that is
neither a folder nor a ``gitdir:`` file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

RACY_NS = 100_000_000
RACY_COARSE_NS = 2_000_000_000
_Stat = tuple[int, int, int, int, int]  # mtime_ns, ctime_ns, size, inode, mode


class Stamp:
    """The stat of every path of a work tree that ``git status`` reads, at one moment."""

    __slots__ = ("folders", "racy", "stats")

    def __init__(self, paths: list[str], folders: Sequence[str] = ()) -> None:
        now = time.time_ns()
        stats: list[_Stat | None] = []
        racy = False
        lstat = os.lstat
        for path in paths:
            try:
                st = lstat(path)
            except OSError:
                stats.append(None)
                continue
            ctime = st.st_ctime_ns
            stats.append((st.st_mtime_ns, ctime, st.st_size, st.st_ino, st.st_mode))
            # A ctime within the margin of now (or later) may share its tick with a
            # change still to come: then the stamp is never compared as equal.
            if ctime >= now - (RACY_NS if ctime % 1_000_000_000 else RACY_COARSE_NS):
                racy = True
        self.stats = stats
        self.racy = racy
        # The folders above the files: only what they are (a folder swapped for a symlink
        # makes git see its files as deleted, while lstat follows it to the same files),
        # not their times, which every new untracked file in them moves.
        self.folders = [_kind(folder) for folder in folders]

    def same(self, other: Stamp | None) -> bool:
        """Whether nothing ``git status`` reads can have changed from ``other`` to this."""
        return (
            other is not None
            and not other.racy
            and other.stats == self.stats
            and other.folders == self.folders
        )


def _kind(path: str) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mode


def git_files(root: str) -> list[str] | None:
    """git's own files that ``git status --branch`` reads for the work tree at ``root``;
    None when its git directory cannot be found without asking git."""
    dot = os.path.join(root, ".git")
    if os.path.isdir(dot):
        git_dir = dot
    else:
        try:
            with open(dot, encoding="utf-8") as f:
                line = f.readline().strip()
        except (OSError, UnicodeDecodeError):
            return None
        if not line.startswith("gitdir: "):
            return None
        git_dir = os.path.join(root, line.removeprefix("gitdir: "))
    common = git_dir
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as f:
            common = os.path.join(git_dir, f.read().strip())  # a linked work tree
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        return None
    files = [os.path.join(git_dir, name) for name in ("index", "HEAD", "config.worktree")]
    files += [
        os.path.join(common, name)
        for name in (
            "packed-refs",
            "config",
            "info/attributes",
            "reftable/tables.list",
            # What HEAD's commit is, to git status: a replace ref or a graft swaps it.
            "refs/replace",
            "info/grafts",
        )
    ]
    # The ref HEAD names (and any symbolic ref that one names), loose in either folder.
    ref = os.path.join(git_dir, "HEAD")
    for _ in range(5):
        try:
            with open(ref, encoding="utf-8") as f:
                content = f.read().strip()
        except (OSError, UnicodeDecodeError):
            break
        if not content.startswith("ref: "):
            break
        name = content.removeprefix("ref: ")
        files += [os.path.join(git_dir, name), os.path.join(common, name)]
        ref = os.path.join(common, name)
    return list(dict.fromkeys(files))  # once each: in a main work tree the two folders are one
