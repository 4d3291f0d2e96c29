"""relcheck's file doors: read an input that must be a regular file of sane size, make
folders under ``.relcheck/`` that are real folders, write a file atomically.

Inputs come from the repository, which anyone may have committed anything to: a FIFO
would block ``open()`` forever, ``/dev/zero`` or a sparse 2 GB file would fill memory.
The state folder is written by every run: a committed symlink there (``.relcheck/lock``
to ``.git/config``) must never make relcheck write outside it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from relcheck.errors import NotARegularFile, UnsafePath, UsageError

STATE_NAME = ".relcheck"  # relcheck's own folder in a repository (record.STATE_DIR)
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit // (1024 * 1024)} MiB"
    return f"{limit // 1024} KiB"


def read_regular(path: str, limit: int) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    Opened non-blocking (a FIFO with no writer would block ``open``) and checked with
    ``fstat`` on the open descriptor, so what is checked is what is read; at most
    ``limit + 1`` bytes are ever read, whatever the size says (``/proc`` files say 0).
    Raises FileNotFoundError, NotARegularFile or another OSError.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        kind = stat.S_IFMT(info.st_mode)
        if kind != stat.S_IFREG:
            code = errno.EISDIR if kind == stat.S_IFDIR else errno.EINVAL
            what = _KINDS.get(kind, "not a regular file")
            raise NotARegularFile(code, f"is {what}, not a regular file", path)
        if info.st_size > limit:
            raise NotARegularFile(errno.EFBIG, f"is larger than {_size(limit)}", path)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise NotARegularFile(errno.EFBIG, f"is larger than {_size(limit)}", path)
    return data


def make_dirs(path: str, mode: int = 0o700) -> str:
    """Create folder ``path`` (and its parents); return it.

    From a ``.relcheck`` component down, every component must be a real folder, never a
    symlink, so nothing relcheck writes there lands outside it (UnsafePath otherwise).
    Above that, and for folders that are not under ``.relcheck``, this is
    ``os.makedirs``: a path a person chose (``--record-dir``) may go through a link.
    """
    full = os.path.abspath(path)
    parts = full.split(os.sep)
    if STATE_NAME not in parts:
        os.makedirs(full, mode=mode, exist_ok=True)
        return path
    start = parts.index(STATE_NAME)
    above = os.sep.join(parts[:start]) or os.sep
    if not os.path.isdir(above):  # one stat where it is (every step's log asks)
        os.makedirs(above, exist_ok=True)
    current = above
    for name in parts[start:]:
        current = os.path.join(current, name)
        _real_dir(current, mode)
    return path


def read_tail(path: str, limit: int) -> tuple[bytes, bool]:
    """The last ``limit`` bytes of ``path`` and whether more came before them. Only a
    regular file is read, never through a symlink and never blocking: a step may have left
    a FIFO or a link to a secret where relcheck reads its own file back. Raises OSError
    (NotARegularFile for anything but a regular file)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise NotARegularFile(errno.EINVAL, f"is {what}, not a regular file", path)
        start = max(0, info.st_size - limit)
        chunks: list[bytes] = []
        at = start
        while at - start < limit and (chunk := os.pread(fd, limit - (at - start), at)):
            chunks.append(chunk)
            at += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks), start > 0


def _real_dir(path: str, mode: int) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        with contextlib.suppress(FileExistsError):  # another run made it meanwhile
            os.mkdir(path, mode)
        info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(
            errno.ELOOP,
            "is a symbolic link; relcheck writes nothing through links in its state "
            "folder (remove the link: relcheck recreates the folder)",
            path,
        )
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafePath(
            errno.ENOTDIR,
            "is not a folder; relcheck keeps its state there (move or remove the file)",
            path,
        )


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def create_new(path: str, mode: int = 0o600, dir_fd: int | None = None) -> int:
    """A file at ``path`` (relative to ``dir_fd`` when given) that relcheck itself made,
    open for writing. Whatever a step left at that name (a symlink, a FIFO that would
    block the open, a hard link to a tracked file that a truncation would empty) is
    removed, never opened. Raises OSError."""
    try:
        return os.open(path, _NEW_FILE, mode, dir_fd=dir_fd)
    except FileExistsError:
        os.unlink(path, dir_fd=dir_fd)
        return os.open(path, _NEW_FILE, mode, dir_fd=dir_fd)


def describe(exc: OSError) -> str:
    """``exc`` as ``PATH: why``, for messages."""
    why = exc.strerror or str(exc)
    return f"{exc.filename}: {why}" if exc.filename else why


def make_temp(directory: str, prefix: str) -> tuple[int, str]:
    """A new file in ``directory``, open for reading and writing, mode 0600, a symlink
    never followed: what ``tempfile.mkstemp`` makes, without importing tempfile (and
    random) on every run. Returns its descriptor and path. Raises OSError."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        path = os.path.join(directory, prefix + os.urandom(6).hex())
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue  # 48 random bits: taken only by a file made to collide
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", directory)


def write_atomic(path: str, data: bytes, *, mode: int = 0o600, durable: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: a reader sees the
    old content or the new, never half; a symlink at ``path`` is replaced, not followed.
    ``durable`` also fsyncs the file and its folder. Raises OSError."""
    directory = os.path.dirname(os.path.abspath(path))
    make_dirs(directory, 0o700 if mode & 0o077 == 0 else 0o755)
    fd, tmp = make_temp(directory, ".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (parents created); a failure leaves no half-written file."""
    try:
        write_atomic(path, text.encode("utf-8"), mode=0o644)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_or_echo(text: str, output: str | None) -> None:
    """``text`` to the file ``output`` (saying so on stderr), or to stdout when None."""
    import click

    if output is None:
        click.echo(text, nl=False)
        return
    write_text(output, text)
    click.echo(f"wrote {output}", err=True)
