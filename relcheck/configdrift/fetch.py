"""Fetch a configuration over HTTP(S): certificate checks on, a timeout, a size limit,
and redirects followed only within the same origin (scheme, host, port).

Kept in one function so it can share client settings with the ``http`` runner.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from relcheck.errors import FetchError

if TYPE_CHECKING:
    import httpx

MAX_BYTES = 16 * 1024 * 1024
MAX_REDIRECTS = 5


def fetch(url: str, *, headers: Mapping[str, str], timeout: float) -> bytes:
    """The body of a 2xx answer to ``GET url``, all of it within ``timeout`` seconds
    (httpx's own timeouts are per read: a server sending a byte a second never trips
    them)."""
    import httpx

    until = time.monotonic() + timeout
    try:
        with httpx.Client(verify=True, timeout=timeout, follow_redirects=False) as client:
            current = httpx.URL(url)
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", current, headers=dict(headers)) as response:
                    if response.is_redirect:
                        target = current.join(response.headers["location"])
                        if (target.scheme, target.host, target.port) != (
                            current.scheme,
                            current.host,
                            current.port,
                        ):
                            raise FetchError(
                                f"redirect to another origin refused ({safe_url(target)})"
                            )
                        current = target
                        continue
                    if not response.is_success:
                        raise FetchError(f"HTTP {response.status_code} from {safe_url(current)}")
                    return _read_limited(response, until, timeout)
            raise FetchError(f"more than {MAX_REDIRECTS} redirects from {safe_url(url)}")
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__} fetching {safe_url(url)}: {exc}") from exc


def _read_limited(response: httpx.Response, until: float, timeout: float) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_BYTES:
            raise FetchError(f"answer larger than {MAX_BYTES // (1024 * 1024)} MiB")
        if time.monotonic() > until:
            raise FetchError(f"the answer did not arrive within {timeout:g}s")
    return bytes(body)


def safe_url(url: object) -> str:
    """``url`` without user:password and query (either may hold a token)."""
    import httpx

    parsed = httpx.URL(str(url))
    return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))
