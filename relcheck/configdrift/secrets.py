"""Which configuration values are secrets, how they are shown, and which are references.

A value is secret when any key along its path looks secret by relcheck's one set of
secret-name rules (:func:`relcheck.system.redact.looks_secret`: ``*password*``, ``*secret*``,
``*token*``, ``*_key``, ...) or matches a glob the checklist adds, so everything under
``credentials:`` or ``api_keys:`` counts; so does the password in a URL
(``postgres://app:PASSWORD@db``), or a token given as its user
(``https://TOKEN@o1.ingest.sentry.io/1``), under any key. A secret value is shown as
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
from collections.abc import Callable, Iterable
from typing import Any

from relcheck.configdrift.paths import segment_names, show
from relcheck.system.redact import URL_USERINFO, looks_secret

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
# user:password@ or token@ inside a URL (a database or broker URL, a DSN, under an
# ordinary key name): the same bounded pattern the redactor uses.
_URL_USERINFO = re.compile(URL_USERINFO)
# The whole value must be the reference: "hunter2${SUFFIX}" still holds a secret.
_ENV_REFERENCE = re.compile(r"(?:\$\{[^}]+\})+|\$[A-Za-z_][A-Za-z0-9_]*")


class SecretPolicy:
    """Decides what is secret, masks it, and tells references from plain text."""

    def __init__(
        self,
        key_patterns: Iterable[str] = (),
        references: Iterable[str] = (),
        mask: Callable[[str], str] = str,
    ) -> None:
        """``key_patterns``: globs (case-insensitive) for key names that are secret too,
        beside those relcheck's rules already call secret. ``mask`` hides the run's own
        secrets (a token from the environment) in any text value before it is shown."""
        self._mask_known = mask
        self.key_patterns = tuple(p.lower() for p in key_patterns)
        self.references = (*DEFAULT_REFERENCES, *references)
        self._key = _random.token_bytes(32)
        # One regex for all patterns, and one answer per key name: a large file repeats
        # the same few names thousands of times.
        joined = "|".join(fnmatch.translate(p) for p in self.key_patterns) or "(?!)"
        self._secret_name = functools.lru_cache(maxsize=4096)(
            lambda name, regex=re.compile(joined): (
                looks_secret(name) or bool(regex.match(name.lower()))
            )
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
        if not isinstance(value, str):
            return show(value)
        # Masked before show() shortens the text: a secret cut short could no longer be
        # found, and its first characters would be shown.
        value = self._mask_known(value)
        if _URL_USERINFO.search(value):
            return show(_URL_USERINFO.sub(self._mask_userinfo, value), width=60)
        return show(value)

    def _mask_userinfo(self, match: re.Match[str]) -> str:
        """The password masked (the user shown), or a lone user (a token) masked."""
        user, password = match.group("user"), match.group("password")
        secret = user if password is None else password
        hidden = secret if self.is_reference(secret) else self.mask(secret)
        shown = hidden if password is None else f"{user}:{hidden}"
        return f"{match.group('scheme')}{shown}@"

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
        passwords = [p for m in _URL_USERINFO.finditer(value) if (p := m.group("password"))]
        if passwords:  # postgres://app:literal@db is plain text, whatever the key is called
            return any(not self.is_reference(p) for p in passwords)
        if not self.is_secret_path(path):
            return False
        return bool(value.strip()) and not self.is_reference(value)


def _maskable(value: Any) -> bool:
    # Absence of a value is worth seeing ("staging has an empty password"); its content not.
    return value is not None and value != "" and not isinstance(value, bool)
