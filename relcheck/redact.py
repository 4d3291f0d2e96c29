"""Mask secret values in everything relcheck writes: terminal, logs, records, reports."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping

MASK = "***"
# Names whose values are treated as secrets (case-insensitive globs).
SECRET_NAME_PATTERNS = (
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*_KEY",
    "*_KEY_*",
    "*APIKEY*",
    "*CREDENTIAL*",
    "*PRIVATE*",
    "*AUTH*",
)
# Names that match a pattern above but never hold a secret; masking their values only
# mangles output (every "false", the commit author's name).
NOT_SECRET_NAMES = frozenset(
    {
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_AUTHOR_DATE",
        "SSH_AUTH_SOCK",
        "TOKENIZERS_PARALLELISM",
    }
)
_MIN_SECRET_LEN = 4  # shorter values would mask ordinary words and digits
# A flag is never a secret, and masking it would hide every true/false in the output.
_NOT_SECRET_VALUES = frozenset({"true", "false", "yes", "no", "none", "null", "on", "off"})
# user:password@ in URLs. Every repetition is bounded: an unbounded scheme or userinfo
# made matching quadratic in the length of a line, so a step printing a few megabytes
# without a newline stalled relcheck for hours.
_URL_USERINFO = re.compile(
    rb"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{0,31}://)[^/\s:@]{1,256}:[^/\s@]{1,256}@"
)


def looks_secret(name: str) -> bool:
    """True when a variable or key name suggests its value is a secret."""
    upper = name.upper()
    if upper in NOT_SECRET_NAMES:
        return False
    if "AUTHORIZATION" in upper:  # HTTP_AUTHORIZATION holds a credential
        return True
    # "AUTHOR" is not "AUTH": GIT_AUTHOR_NAME is who commits, not a credential.
    upper = upper.replace("AUTHOR", "")
    return any(fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_NAME_PATTERNS)


class Redactor:
    """Replaces known secret values (and URL passwords) with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {
            s
            for s in secrets
            if s and len(s) >= _MIN_SECRET_LEN and s.lower() not in _NOT_SECRET_VALUES
        }
        # Longest first, so a secret containing another is masked whole.
        self._values = sorted((v.encode() for v in values), key=len, reverse=True)
        self._pattern = (
            re.compile(b"|".join(re.escape(v) for v in self._values)) if self._values else None
        )
        self.max_len = max((len(v) for v in self._values), default=0)

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], extra_names: Iterable[str] = (), values: Iterable[str] = ()
    ) -> Redactor:
        """A redactor for the secret-looking variables of ``environ`` and the named ones."""
        named = set(extra_names)
        found = [v for k, v in environ.items() if k in named or looks_secret(k)]
        return cls([*found, *values])

    def with_values(self, values: Iterable[str]) -> Redactor:
        """A redactor that also masks ``values``."""
        return Redactor([v.decode() for v in self._values] + list(values))

    def bytes(self, data: bytes) -> bytes:
        """``data`` with every secret masked."""
        if self._pattern is not None:
            data = self._pattern.sub(MASK.encode(), data)
        if b"://" not in data:
            return data
        return _URL_USERINFO.sub(rb"\g<scheme>" + MASK.encode() + b"@", data)

    def text(self, text: str) -> str:
        """``text`` with every secret masked."""
        return self.bytes(text.encode("utf-8", "surrogateescape")).decode(
            "utf-8", "surrogateescape"
        )

    def value(self, obj: object) -> object:
        """Mask secrets inside nested data (dicts, lists, strings)."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {k: self.value(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.value(v) for v in obj]
        return obj


class StreamRedactor:
    """Masks secrets in a byte stream even when one is split across chunks."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._keep = max(redactor.max_len - 1, 256)  # URL credentials may straddle too
        self._carry = b""

    def feed(self, chunk: bytes) -> bytes:
        """Masked bytes safe to emit now; a short tail is held back until more arrives."""
        data = self._redactor.bytes(self._carry + chunk)
        if len(data) <= self._keep:
            self._carry = data
            return b""
        self._carry = data[-self._keep :]
        return data[: -self._keep]

    def flush(self) -> bytes:
        """Whatever was held back."""
        data, self._carry = self._redactor.bytes(self._carry), b""
        return data
