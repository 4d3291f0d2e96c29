"""Write a text file the user will keep, atomically (temp file + rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile

from relcheck.errors import UsageError


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (parents created); a failure leaves no half-written file."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
