"""Mask secret values in everything relcheck writes: terminal, logs, records, reports;
and make untrusted text (a step's output, a tag message, a record) safe to print.

Output is made printable before it is masked: a secret split by an escape sequence
(``tok\\x1b[0men``) is whole again once the sequence is gone, and is masked then.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relcheck.models import Checklist

MASK = "***"
# The one set of rules for names whose values are secrets: environment variables, keys
# in configuration files, `with:` parameters. Globs matched against the name in upper
# case, with camelCase, "-", "." and spaces turned into "_" (apiKey -> API_KEY).
SECRET_NAME_PATTERNS = (
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*PASSPHRASE*",
    "KEY",
    "KEYS",
    "*_KEY",
    "*_KEYS",
    "*_KEY_*",
    "*_KEYS_*",
    "*APIKEY*",
    "*CREDENTIAL*",
    "*PRIVATE*",
    "*AUTH*",
    "DSN",
    "*_DSN",  # SENTRY_DSN: the URL carries the project's key
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
_SECRET_NAME = re.compile("|".join(fnmatch.translate(p) for p in SECRET_NAME_PATTERNS))
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[-.\s]+")
# The userinfo of a URL: scheme://user:password@ or scheme://token@ (a token as the user,
# as in https://TOKEN@github.com and Sentry DSNs). The one pattern for URL credentials:
# the redactor masks the whole userinfo, config-drift the password (or the lone user).
# Every repetition is bounded: an unbounded scheme or userinfo made matching quadratic in
# the length of a line, so a step printing a few megabytes without a newline stalled
# relcheck for hours.
URL_USERINFO = (
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{0,31}://)"
    r"(?P<user>[^/\s:@?#]{1,256})(?::(?P<password>[^/\s@?#]{1,256}))?@"
)
_URL_USERINFO = re.compile(URL_USERINFO.encode())


def secret_name_key(name: str) -> str:
    """``name`` as the rules see it: upper case, words joined by ``_``."""
    return _SEPARATORS.sub("_", _CAMEL.sub("_", name.strip())).upper()


@functools.lru_cache(maxsize=4096)
def looks_secret(name: str) -> bool:
    """True when a variable or key name suggests its value is a secret."""
    upper = secret_name_key(name)
    if upper in NOT_SECRET_NAMES or name.upper() in NOT_SECRET_NAMES:
        return False
    if "AUTHORIZATION" in upper:  # HTTP_AUTHORIZATION holds a credential
        return True
    # "AUTHOR" is not "AUTH": GIT_AUTHOR_NAME is who commits, not a credential.
    return bool(_SECRET_NAME.match(upper.replace("AUTHOR", "")))


# Escape sequences, 7-bit (ESC ...) and 8-bit (U+009B CSI, U+009D OSC, ...): CSI with
# its parameters; OSC, DCS, SOS, PM and APC strings up to BEL or ST; other ESC sequences.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-OQ-WYZ\\`-~]"  # not [, ], P, X, ^ or _: those open the above
)
# What may start a sequence: held back at the end of a chunk until the rest arrives.
_STARTS = "\x1b\x9b\x90\x98\x9d\x9e\x9f"
# Every other C0 and C1 control and DEL; tab and newline stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_HOLD_LIMIT = 4096  # an unfinished sequence longer than this is dropped as it is


def strip_sequences(text: str) -> str:
    """``text`` without its escape sequences (colours, cursor moves, titles)."""
    return _SEQUENCE.sub("", text)


def printable(text: str) -> str:
    """``text`` safe to print at a terminal: no escape sequence, no control character
    (ESC, BEL, U+009B CSI, U+009D OSC, ...) but tab and newline; a carriage return ends
    the line (it could otherwise move the cursor back over what relcheck printed)."""
    text = text.replace("\r\n", "\n")
    if not _CONTROL.search(text):
        return text
    text = _SEQUENCE.sub("", text).replace("\r", "\n")
    return _CONTROL.sub("", text)


class StreamCleaner:
    """:func:`printable` over a stream of text: a sequence (or a CR LF) split across
    chunks is held back until it is whole, so it is removed whole."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        """Printable text safe to pass on now."""
        text = self._held + text
        cut = _unfinished(text)
        self._held = text[cut:]
        return printable(text[:cut])

    def flush(self) -> str:
        """Whatever was held back, made printable."""
        text, self._held = self._held, ""
        return printable(text)


def _unfinished(text: str) -> int:
    """Where an escape sequence (or CR LF) that may continue in the next chunk begins;
    ``len(text)`` when none does."""
    end = len(text)
    start = max(text.rfind(c, max(0, end - _HOLD_LIMIT)) for c in _STARTS)
    if start >= 0 and not _SEQUENCE.match(text, start):
        return start
    return end - 1 if text.endswith("\r") else end


def _mask_userinfo(match: re.Match[bytes]) -> bytes:
    shown = match.group("password") or match.group("user")
    if shown.startswith(MASK.encode()):  # masked already (config-drift's keyed marks)
        return match.group(0)
    return match.group("scheme") + MASK.encode() + b"@"


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
        return _URL_USERINFO.sub(_mask_userinfo, data)

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


def checklist_secrets(checklist: Checklist) -> list[str]:
    """The secret values a checklist itself holds: those of a step's or a service's
    ``env:`` under a secret-looking name or one listed under ``secrets:`` (a token
    written into the checklist is as secret as one exported)."""
    listed = set(checklist.secrets)
    envs = [s.env for s in checklist.steps]
    envs += [s.service.env for s in checklist.steps if s.service is not None]
    return [v for env in envs for k, v in env.items() if k in listed or looks_secret(k)]


def for_checklist(checklist: Checklist, environ: Mapping[str, str]) -> Redactor:
    """The redactor of a run: the secret-looking variables of ``environ``, those the
    checklist lists under ``secrets:``, and the secrets the checklist holds."""
    return Redactor.from_environ(environ, checklist.secrets, checklist_secrets(checklist))


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
        cut = len(data) - self._keep
        while cut > 0 and data[cut] & 0xC0 == 0x80:  # not inside a UTF-8 character
            cut -= 1
        self._carry = data[cut:]
        return data[:cut]

    def flush(self) -> bytes:
        """Whatever was held back."""
        data, self._carry = self._redactor.bytes(self._carry), b""
        return data
