"""A folder that many files of one run are made in (its steps' logs), held open.

Each file is made relative to the open folder, after one ``lstat`` that checks the
folder's path still leads to it, instead of a check of every folder on the path first
(about 0.1 ms a step with eight steps side by side on a 2-CPU machine). A folder that is
no longer at its path (deleted, moved, swapped for a symlink) is made again there, as
:func:`relcheck.system.fileio.make_dirs` makes folders, or refused.
"""

from __future__ import annotations

import os
import threading

from relcheck.system.fileio import create_new, make_dirs

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class OpenFolder:
    """``path``, made when its first file is, then held open until :meth:`close`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._id: tuple[int, int] = (0, 0)  # the held folder's device and inode
        # Descriptors of a folder no longer at its path, closed once no file is being
        # made with them (a number closed early could be handed to another folder).
        self._retired: list[int] = []
        self._making = 0

    def create(self, name: str, mode: int = 0o600) -> int:
        """A new file ``name`` in the folder, made by relcheck (see
        :func:`relcheck.system.fileio.create_new`), open for writing. Raises OSError
        (UnsafePath when a folder on the path is not a real folder)."""
        with self._lock:
            self._making += 1
        try:
            fd = self._folder(stale=None)
            try:
                return create_new(name, mode, dir_fd=fd)
            except FileNotFoundError:  # deleted since the check: made again
                return create_new(name, mode, dir_fd=self._folder(stale=fd))
        except OSError as exc:
            if exc.filename == name:  # said with its folder, as a path-based open would
                exc.filename = os.path.join(self.path, name)
            raise
        finally:
            self._done()

    def make(self) -> None:
        """Make the folder now rather than with its first file; an error is left for
        :meth:`create` to raise."""
        with self._lock:
            self._making += 1
        try:
            self._folder(stale=None)
        except OSError:
            pass
        finally:
            self._done()

    def close(self) -> None:
        with self._lock:
            held = [*self._retired, *([self._fd] if self._fd is not None else [])]
            self._retired, self._fd = [], None
        for fd in held:
            os.close(fd)

    def _folder(self, stale: int | None) -> int:
        """The held folder's descriptor, checked against its path; made again when the
        path no longer leads to it (or to ``stale``)."""
        with self._lock:
            fd = self._fd
            if fd is not None and fd != stale:
                try:
                    info = os.lstat(self.path)
                    if (info.st_dev, info.st_ino) == self._id:
                        return fd
                except FileNotFoundError:
                    pass
            if fd is not None:
                self._retired.append(fd)
                self._fd = None
            make_dirs(self.path)
            fd = os.open(self.path, _FOLDER)
            info = os.fstat(fd)
            self._fd, self._id = fd, (info.st_dev, info.st_ino)
            return fd

    def _done(self) -> None:
        with self._lock:
            self._making -= 1
            retired = self._retired if self._making == 0 else []
            if retired:
                self._retired = []
        for fd in retired:
            os.close(fd)
