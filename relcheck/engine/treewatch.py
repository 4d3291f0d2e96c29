"""Catch a step that changes what it checks: tracked files, the index or HEAD.

A check that rewrites a tracked file (a formatter, a test that updates a fixture
database) judged something else than the commit, and leaves a work tree that is not the
commit. The engine takes a snapshot of the work tree's git state before and after each
step; a difference that appears while steps run is laid at the door of the steps that
were running then. A step may declare the files it writes (``writes:`` globs).

A snapshot is one ``git status`` call plus a ``stat`` of each file that was already dirty
or is hidden from git status, so a further change to those shows too: 3 to 8 ms on a
small project, 15 ms on relcheck's own repository (2 busy CPUs). Between steps nothing
runs, so a step that starts while no other step runs reuses the last snapshot. And a
boundary where the stat of every file ``git status`` reads is what it was at the last
snapshot (``relcheck.engine.treestamp``, which says why that is safe) reuses it too: a
run whose steps change nothing pays one ``git status`` call at its start, then a stat
of its tracked files per boundary, under 0.1 ms on a small project.

Ends that wait while another boundary's snapshot is taken share the next snapshot: one
that began after a step's processes had all ended holds every change the step made, as
its own would. A start takes its own snapshot, as late as it can. With many short steps
side by side this saves about a third of the snapshots.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from relcheck.engine import treestamp
from relcheck.errors import RepoStateError
from relcheck.git import worktree

HEAD = worktree.HEAD_KEY


@dataclass
class Attribution:
    """What changed while one step ran: paths nobody declared (with every step running
    when each appeared), and paths a running step declared under ``writes:``."""

    undeclared: dict[str, tuple[str, ...]] = field(default_factory=dict)
    declared: list[str] = field(default_factory=list)


class TreeWatch:
    """Snapshots of one work tree's git state, taken around the steps of a run."""

    def __init__(self, root: str, exclude: tuple[str, ...]) -> None:
        self.root = root
        self.exclude = exclude
        self._lock = threading.Lock()
        self._hidden: list[str] | None = None
        # What the stamp covers (absolute paths; None: no stamp, every boundary asks git),
        # the stamp taken just before the last snapshot, and the index's paths.
        self._paths: list[str] | None = None
        self._folders: list[str] = []  # the folders above the index's files
        self._stamped: treestamp.Stamp | None = None
        self._indexed: list[str] | None = None
        self._index_stamp: treestamp.Stamp | None = None
        self._stamps = True  # False once the stamp cannot vouch (a submodule)
        self._baseline: dict[str, str] | None = None
        self._last: dict[str, str] | None = None
        self._running: dict[str, list[re.Pattern[str]]] = {}  # step id -> its writes
        self._found: dict[str, Attribution] = {}
        # Steps that ended while git could not answer: what they did shows at the next
        # snapshot that works, and is laid at their door too (in the run's verdict).
        self._unseen: dict[str, list[re.Pattern[str]]] = {}
        # Ends in the order they were asked for, and the turn at which the last snapshot
        # began: an end asked before that is answered by it.
        self._turns = itertools.count()
        self._last_turn = -1
        self.undeclared: dict[str, set[str]] = {}  # path -> steps, over the whole run

    def begin(self, step_id: str, writes: Iterable[str]) -> None:
        """Note that ``step_id`` starts now."""
        from relcheck.checklist.globs import glob_regex

        patterns = [glob_regex(g) for g in writes]
        with self._lock:
            try:
                # Its own snapshot, taken as late as it can be: one another boundary began
                # while this start waited could miss a change made since, then laid at
                # this step's door too.
                if self._last is None or self._running or self._unseen:
                    self._advance()
            finally:
                # Watched even when git could not answer: a change of its own then shows
                # at the next snapshot (with changes before it), never not at all.
                self._running[step_id] = patterns
                self._found.setdefault(step_id, Attribution())

    def end(self, step_id: str) -> Attribution:
        """Note that ``step_id`` ended; what changed while it ran."""
        turn = next(self._turns)  # asked now: the step's processes have all ended
        with self._lock:
            try:
                if self._last is None or self._last_turn < turn:
                    self._advance()
            except BaseException:
                # git could not answer: the next snapshot that works lays what changed
                # until then at this step's door as well.
                self._unseen[step_id] = self._running.get(step_id, [])
                self._found.pop(step_id, None)
                raise
            finally:
                # No longer running: what changes from now on is not this step's doing.
                self._running.pop(step_id, None)
            return self._found.pop(step_id, Attribution())

    def settle(self) -> None:
        """Take the snapshot steps whose end git could not see are waiting for (before
        the release gate asks what the checks changed)."""
        with self._lock:
            if self._unseen:
                self._advance()

    def unseen(self) -> list[str]:
        """Steps whose changes no snapshot could see yet (git cannot answer)."""
        with self._lock:
            return sorted(self._unseen)

    def clean_at_start(self, path: str) -> bool:
        """Whether ``path`` was unchanged from HEAD when the first step started."""
        return self._baseline is None or path not in self._baseline

    def _advance(self) -> None:
        turn = next(self._turns)  # before the snapshot: it answers the turns before this
        now = self._snapshot()
        self._last_turn = turn
        if self._baseline is None:
            self._baseline = now
        before, self._last = self._last, now
        blamed, self._unseen = {**self._unseen, **self._running}, {}
        if before is None or not blamed:
            return
        changed = sorted(p for p in before.keys() | now.keys() if before.get(p) != now.get(p))
        culprits = tuple(sorted(blamed))
        for path in changed:
            declared = path != HEAD and any(
                m.fullmatch(path) for patterns in blamed.values() for m in patterns
            )
            for step_id in culprits:
                if step_id not in self._running:
                    continue  # ended unseen: named in the run's verdict below
                found = self._found.setdefault(step_id, Attribution())
                if declared:
                    if path not in found.declared:
                        found.declared.append(path)
                else:
                    found.undeclared[path] = culprits
            if not declared:
                self.undeclared.setdefault(path, set()).update(culprits)

    def _snapshot(self) -> dict[str, str]:
        # Stamped before git status runs: a change after the stamp makes the next differ.
        folders = self._folders
        stamp = treestamp.Stamp(self._paths, folders) if self._paths is not None else None
        if stamp is not None and self._last is not None and stamp.same(self._stamped):
            return self._last
        git_files = treestamp.git_files(self.root) if self._stamps else None
        if git_files is not None:
            self._read_index(git_files[0])
        if self._hidden is None:
            self._hidden = sorted(worktree.hidden_files(self.root))
        if stamp is None:
            # The first snapshot: stamp what the index lists before git status runs, so
            # that the next boundary can trust a stamp instead of asking git again.
            folders = self._folders
            self._paths = self._watched(git_files, {})
            stamp = treestamp.Stamp(self._paths, folders) if self._paths is not None else None
        state = worktree.status_entries(self.root, self.exclude)
        # A file already changed stays in git status however often it is rewritten: its
        # stat says whether it was. The same for files git status is told not to look at.
        for path in [p for p in state if p != HEAD] + self._hidden:
            state[path] = f"{state.get(path, 'hidden')} {_stat(os.path.join(self.root, path))}"
        paths = self._watched(git_files, state)
        # A stamp over other paths than these vouches for nothing: the next boundary asks.
        same = paths is not None and paths == self._paths and folders == self._folders
        self._stamped = stamp if same else None
        self._paths = paths
        return state

    def _read_index(self, index: str) -> None:
        """The index's paths and the hidden ones, re-read when the index changed."""
        seen = treestamp.Stamp([index])
        if self._indexed is not None and seen.same(self._index_stamp):
            return
        files, hidden = worktree.index_entries(self.root)
        # A file a step hides from git status is watched by its stat from then on.
        self._hidden = sorted({*(self._hidden or ()), *hidden})
        if any(meta.startswith("160000 ") for meta in files.values()):
            self._stamps = False  # a submodule's status depends on files inside it
        self._indexed = [p for p in files if not _excluded(p, self.exclude)]
        folders: set[str] = set()
        for path in self._indexed:
            parent = os.path.dirname(path)
            while parent and parent not in folders:
                folders.add(parent)
                parent = os.path.dirname(parent)
        self._folders = [os.path.join(self.root, f) for f in sorted(folders)]
        self._index_stamp = seen

    def _watched(self, git_files: list[str] | None, state: dict[str, str]) -> list[str] | None:
        """What the stamp must cover after the snapshot ``state``, or None: no stamp."""
        if git_files is None or not self._stamps or self._indexed is None:
            return None
        paths = {*self._indexed, *(self._hidden or ()), *(p for p in state if p != HEAD)}
        return git_files + [os.path.join(self.root, p) for p in sorted(paths)]


def _excluded(path: str, exclude: tuple[str, ...]) -> bool:
    return any(path == e or path.startswith(e.rstrip("/") + "/") for e in exclude)


def start(root: str, exclude: tuple[str, ...]) -> TreeWatch | None:
    """A watch over ``root``'s work tree, or None when it is not a git work tree."""
    if not os.path.exists(os.path.join(root, ".git")):
        return None
    return TreeWatch(root, exclude)


def safely(watch: TreeWatch | None, action: str, *args: object) -> Attribution | None:
    """Call ``watch.<action>``; a git that cannot answer stops the watch, not the run."""
    if watch is None:
        return None
    try:
        return getattr(watch, action)(*args)  # type: ignore[no-any-return]
    except (RepoStateError, OSError):
        return None


def _stat(path: str) -> str:
    try:
        st = os.lstat(path)
    except OSError:
        return "absent"
    # The ctime too: a same-size rewrite that puts the old mtime back moves only that.
    return f"{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_size}:{st.st_ino}:{st.st_mode:o}"
