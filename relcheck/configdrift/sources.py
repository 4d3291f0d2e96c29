"""Read one side of the comparison -- a file or an HTTP(S) URL -- into flattened data."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from relcheck.configdrift.loaders import format_for, parse
from relcheck.configdrift.paths import flatten
from relcheck.errors import MissingVariable, ParseError, SourceError, TooLarge
from relcheck.system.expand import expand

MAX_FILE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class SourceSpec:
    """Where one side's configuration comes from, as the checklist gives it."""

    location: str  # a path (relative to the repository) or an http(s):// URL
    format: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Loaded:
    """One side, read and flattened."""

    label: str  # the path or (credential-free) URL, for messages
    format: str
    flat: dict[str, Any]
    file: str | None  # absolute path when the side is a file


def is_url(location: str) -> bool:
    """True when ``location`` is fetched over HTTP(S) rather than read from a file."""
    return location.startswith(("http://", "https://"))


def _expand(text: str, env: Mapping[str, str], what: str) -> str:
    """``${VAR}`` replaced from ``env`` (``$${`` is no escape here); a variable that is
    not set is a SourceError."""
    try:
        return expand(text, env, where=what, escapes=False)
    except MissingVariable as exc:
        raise SourceError(
            f"{what} uses ${{{exc.name}}}, which is not set in the environment"
        ) from None


def load(
    spec: SourceSpec, side: str, *, root: str, env: Mapping[str, str], timeout: float
) -> Loaded:
    """Read, parse and flatten one side; raises SourceError."""
    location = _expand(spec.location, env, f"`{side}`")
    if is_url(location):
        from relcheck.configdrift.fetch import fetch, safe_url
        from relcheck.errors import FetchError

        label = safe_url(location)
        headers = {k: _expand(v, env, f"`{side}` header {k}") for k, v in spec.headers.items()}
        try:
            raw = fetch(location, headers=headers, timeout=timeout)
        except FetchError as exc:
            raise SourceError(f"{side} config {label}: {exc}") from None
        return _parsed(raw, spec.format or "json", label, None)
    path = os.path.join(root, location)
    label = os.path.relpath(path, root) if not os.path.isabs(location) else location
    fmt = spec.format or format_for(location)
    if fmt is None:
        raise SourceError(
            f"{side} config {label}: cannot tell its format from the name; "
            "add `format: yaml|json|toml|env|ini`"
        )
    try:
        raw = read_file(path)
    except FileNotFoundError:
        raise SourceError(f"{side} config {label} not found") from None
    except OSError as exc:
        raise SourceError(f"{side} config {label}: cannot read: {exc.strerror or exc}") from None
    return _parsed(raw, fmt, label, path)


def read_file(path: str) -> bytes:
    """A config file's bytes: a regular file of at most MAX_FILE_BYTES (a FIFO, a device
    or /dev/zero is refused rather than waited for or read forever). Raises OSError."""
    from relcheck.system.fileio import read_regular

    return read_regular(path, MAX_FILE_BYTES)


def read_text(raw: bytes, label: str) -> str:
    """``raw`` decoded as UTF-8 (a BOM allowed); raises SourceError with the bad line."""
    if len(raw) > MAX_FILE_BYTES:
        raise SourceError(f"{label}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", path=label)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(
            f"{label}:{line}:{column}: not valid UTF-8", path=label, line=line, column=column
        ) from None


def _parsed(raw: bytes, fmt: str, label: str, file: str | None) -> Loaded:
    text = read_text(raw, label)
    try:
        flat = flatten(parse(text, fmt))
    except ParseError as exc:
        raise SourceError(exc.where(label), path=label, line=exc.line, column=exc.column) from None
    except TooLarge as exc:
        raise SourceError(f"{label}: {exc}", path=label) from None
    return Loaded(label, fmt, flat, file)
