"""Which configuration values are secrets, how they are shown, and which are references.

A value is secret when any key along its path looks secret (``*password*``,
``*secret*``, ``*token*``, ``*key*`` by default; case-insensitive globs on each key name),
so everything under ``credentials:`` or ``api_keys:`` counts, and so does the password
in a URL (``postgres://app:PASSWORD@db``) under any key. A secret value is shown as
``***`` and eight hex digits of an HMAC keyed with a random key made once per
comparison: the two sides of one report can be told equal or different, but the mark
cannot be checked against a guessed password, nor matched across runs.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import hmac
import re
import secrets as _random
from collections.abc import Iterable
from typing import Any

from relcheck.configdrift.paths import segment_names, show

DEFAULT_SECRET_KEYS = ("*password*", "*passwd*", "*secret*", "*token*", "*key*", "*credential*")
# Values that point at a secret kept elsewhere rather than holding it.
DEFAULT_REFERENCES = (
    "vault:",
    "op://",  # 1Password
    "sm://",  # berglas / Google Secret Manager
    "berglas://",
    "secret://",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "env:",
    "file:",
)
MASK = "***"
# user:password@ inside a URL (a database or broker URL under an ordinary key name).
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)(?P<password>[^/\s@]+)@")
# The whole value must be the reference: "hunter2${SUFFIX}" still holds a secret.
_ENV_REFERENCE = re.compile(r"(?:\$\{[^}]+\})+|\$[A-Za-z_][A-Za-z0-9_]*")


class SecretPolicy:
    """Decides what is secret, masks it, and tells references from plain text."""

    def __init__(
        self, key_patterns: Iterable[str] = DEFAULT_SECRET_KEYS, references: Iterable[str] = ()
    ) -> None:
        self.key_patterns = tuple(p.lower() for p in key_patterns)
        self.references = (*DEFAULT_REFERENCES, *references)
        self._key = _random.token_bytes(32)
        # One regex for all patterns, and one answer per key name: a large file repeats
        # the same few names thousands of times.
        joined = "|".join(fnmatch.translate(p) for p in self.key_patterns) or "(?!)"
        self._secret_name = functools.lru_cache(maxsize=4096)(
            lambda name, regex=re.compile(joined): bool(regex.match(name.lower()))
        )

    def is_secret_path(self, path: str) -> bool:
        """True when a key along ``path`` looks secret."""
        return any(self._secret_name(name) for name in segment_names(path))

    def show(self, path: str, value: Any) -> str:
        """``value`` as the report may show it: masked when it is a secret."""
        if self.is_secret_path(path) and _maskable(value):
            if isinstance(value, str) and self.is_reference(value):
                return show(value)  # where the secret lives is not itself secret
            return self.mask(value)
        if isinstance(value, str) and _URL_PASSWORD.search(value):
            # Masked before show() shortens the text, which could cut the URL before its "@".
            return show(_URL_PASSWORD.sub(self._mask_url_password, value), width=60)
        return show(value)

    def _mask_url_password(self, match: re.Match[str]) -> str:
        password = match.group("password")
        hidden = password if self.is_reference(password) else self.mask(password)
        return f"{match.group('head')}{hidden}@"

    def mask(self, value: Any) -> str:
        """``***`` and a short keyed hash of ``value``."""
        digest = hmac.new(self._key, repr(value).encode(), hashlib.sha256).hexdigest()
        return f"{MASK}{digest[:8]}"

    def is_reference(self, value: str) -> bool:
        """True when ``value`` points at a secret instead of holding one."""
        text = value.strip()
        return bool(_ENV_REFERENCE.fullmatch(text)) or text.startswith(self.references)

    def is_plaintext(self, path: str, value: Any) -> bool:
        """True when a secret-looking key holds literal text (not empty, not a reference)."""
        # Only text: numbers and flags under such keys are lifetimes, sizes and switches
        # (token_ttl: 3600, secret_rotation: true), not credentials.
        if not isinstance(value, str):
            return False
        passwords = [m.group("password") for m in _URL_PASSWORD.finditer(value)]
        if passwords:  # postgres://app:literal@db is plain text, whatever the key is called
            return any(not self.is_reference(p) for p in passwords)
        if not self.is_secret_path(path):
            return False
        return bool(value.strip()) and not self.is_reference(value)


def _maskable(value: Any) -> bool:
    # Absence of a value is worth seeing ("staging has an empty password"); its content not.
    return value is not None and value != "" and not isinstance(value, bool)
