"""A folder that many files of one run are made in (its steps' logs), held open.

Each file is made relative to the open folder, not through its path: a folder on the
path swapped for a symlink while the run goes on cannot redirect a file, and a file
costs one system call instead of a check of every folder on its path first (about
0.1 ms a step with eight steps side by side on a 2-CPU machine).
"""

from __future__ import annotations

import os
import threading

from relcheck.system.fileio import make_dirs

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class OpenFolder:
    """``path``, made as :func:`relcheck.system.fileio.make_dirs` makes folders when its
    first file is, then held open until :meth:`close`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        # Descriptors of a folder deleted during the run, closed only at the end: another
        # thread may still be making a file with one, and a number closed early could be
        # handed to another folder meanwhile.
        self._retired: list[int] = []

    def create(self, name: str, mode: int = 0o600) -> int:
        """A new (or emptied) file ``name`` in the folder, open for writing, never through
        a symlink. A folder deleted meanwhile (``git clean -fdx``) is made again. Raises
        OSError (UnsafePath when a folder on the path is not a real folder)."""
        try:
            fd = self._open(stale=None)
            try:
                return os.open(name, _NEW_FILE, mode, dir_fd=fd)
            except FileNotFoundError:
                return os.open(name, _NEW_FILE, mode, dir_fd=self._open(stale=fd))
        except OSError as exc:
            if exc.filename == name:  # said with its folder, as a path-based open would
                exc.filename = os.path.join(self.path, name)
            raise

    def close(self) -> None:
        with self._lock:
            for fd in [*self._retired, *([self._fd] if self._fd is not None else [])]:
                os.close(fd)
            self._retired, self._fd = [], None

    def _open(self, stale: int | None) -> int:
        with self._lock:
            if self._fd is not None and self._fd != stale:
                return self._fd
            if self._fd is not None:
                self._retired.append(self._fd)
                self._fd = None
            make_dirs(self.path)
            self._fd = os.open(self.path, _FOLDER)
            return self._fd
