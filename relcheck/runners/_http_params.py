"""The parameters of the ``http`` runner, validated when the checklist is loaded."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from relcheck.api import Duration

_FORBID: dict[str, Any] = {"extra": "forbid"}
_TEN_SECONDS = Duration(10)
_ONE_SECOND = Duration(1)
_THIRTY_SECONDS = Duration(30)
_STATUS_CLASS = re.compile(r"^[1-5]xx$")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Request headers whose values are credentials, whatever the checklist's `secrets:` say.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
    }
)


def _as_list(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list | tuple) else (value,)


@dataclass(frozen=True)
class Expect:
    """What a response must look like; each failed expectation is reported on its own."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID

    # A code (200), a class ("2xx"), or a list of them.
    status: int | str | tuple[int | str, ...] = "2xx"
    json: Any = None  # a subset the response JSON must contain (nested)
    json_path: dict[str, Any] | None = None  # RFC 9535 JSONPath -> the single value there
    body_contains: str | tuple[str, ...] | None = None
    body_matches: str | tuple[str, ...] | None = None  # regular expressions (re.search)
    # name -> true (present), false (absent), or the exact value; names ignore case.
    headers: dict[str, bool | str] | None = None
    max_ms: float | None = None  # response time bound; the p95 when `repeat` > 1

    def __post_init__(self) -> None:
        for status in _as_list(self.status):
            if isinstance(status, int) and not 100 <= status <= 599:
                raise ValueError(f"`status` {status} is not an HTTP status code")
            if isinstance(status, str) and not _STATUS_CLASS.match(status):
                raise ValueError(f"`status` {status!r}: expected a code or a class like 2xx")
        for pattern in _as_list(self.body_matches):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"`body_matches` {pattern!r} is not a valid regex: {exc}") from exc
        for path in self.json_path or {}:
            _compile_json_path(path)
        if self.max_ms is not None and self.max_ms <= 0:
            raise ValueError("`max_ms` must be greater than 0")

    def statuses(self) -> tuple[int | str, ...]:
        return _as_list(self.status)


def _compile_json_path(path: str) -> Any:
    import jsonpath

    try:
        return jsonpath.compile(path)
    except jsonpath.JSONPathError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"`json_path` {path!r} is not a valid JSONPath: {first}") from exc


@dataclass(frozen=True)
class Request:
    """One request of a step (sent `repeat` times)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID

    url: str
    name: str | None = None  # how details name this request; default "METHOD URL"
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str | int | float | bool] = field(default_factory=dict)
    json: Any = None
    body: str | None = None
    timeout: Duration = _TEN_SECONDS
    repeat: int = 1
    expect: Expect = field(default_factory=Expect)

    def __post_init__(self) -> None:
        _check_request(self.url, self.method, self.json, self.body, self.repeat)

    def label(self) -> str:
        return self.name or f"{self.method.upper()} {self.url}"


def _check_request(url: str, method: str, json: Any, body: str | None, repeat: int) -> None:
    if "{port}" in url:
        raise ValueError(
            "`url` has `{port}`, which only a service's `run` and `ready` fill in; "
            "use ${RELCHECK_SERVICE_URL}, e.g. url: ${RELCHECK_SERVICE_URL}/health"
        )
    if not url.startswith(("http://", "https://", "${")):
        raise ValueError(f"`url` must start with http:// or https:// (or ${{VAR}}), got {url!r}")
    if method.upper() not in _METHODS:
        raise ValueError(f"`method` {method!r}: expected one of {', '.join(_METHODS)}")
    if json is not None and body is not None:
        raise ValueError("give either `json` or `body`, not both")
    if not 1 <= repeat <= 1000:
        raise ValueError("`repeat` must be between 1 and 1000")


_SHORTHAND = ("url", "name", "method", "headers", "query", "json", "body", "timeout", "repeat")


@dataclass(frozen=True)
class HttpParams:
    """``requests:`` (a list), or one request written inline (``url:`` and its keys)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID

    requests: tuple[Request, ...] | None = None
    # The single-request shorthand: the keys of one entry of `requests`.
    url: str | None = None
    name: str | None = None
    method: str | None = None
    headers: dict[str, str] | None = None
    query: dict[str, str | int | float | bool] | None = None
    json: Any = None
    body: str | None = None
    timeout: Duration | None = None
    repeat: int | None = None
    expect: Expect | None = None
    # Waiting for a deploy: connection errors and these statuses are retried.
    retries: int = 0
    retry_delay: Duration = _ONE_SECOND
    retry_backoff: float = 2.0  # each wait is this many times the one before
    retry_max_delay: Duration = _THIRTY_SECONDS
    retry_deadline: Duration | None = None  # total time for the retries of one request
    retry_on: tuple[int, ...] = (502, 503, 504)
    # Safe by default.
    verify: bool = True
    ca_bundle: str | None = None  # PEM file of a private CA, relative to the repository
    follow_redirects: bool = False
    allow_hosts: tuple[str, ...] = ()  # other hosts a followed redirect may go to
    secret_headers: tuple[str, ...] = ()  # more header names whose values are masked

    def __post_init__(self) -> None:
        given = [k for k in _SHORTHAND if getattr(self, k) is not None]
        if self.requests is not None:
            if given or self.expect is not None:
                keys = ", ".join(f"`{k}`" for k in [*given, *(["expect"] * bool(self.expect))])
                raise ValueError(f"{keys} belong inside an entry of `requests`, not beside it")
            if not self.requests:
                raise ValueError("`requests` must list at least one request")
        elif self.url is None:
            raise ValueError("give `url` (one request) or `requests` (a list)")
        else:
            _check_request(self.url, self.method or "GET", self.json, self.body, self.repeat or 1)
        if not 0 <= self.retries <= 100:
            raise ValueError("`retries` must be between 0 and 100")
        if self.retry_backoff < 1:
            raise ValueError("`retry_backoff` must be 1 or more")
        if self.ca_bundle is not None and not self.verify:
            raise ValueError("`ca_bundle` has no effect with `verify: false`")
        for code in self.retry_on:
            if not 100 <= code <= 599:
                raise ValueError(f"`retry_on` {code} is not an HTTP status code")

    def all_requests(self) -> tuple[Request, ...]:
        """The requests to send, the shorthand turned into a one-entry list."""
        if self.requests is not None:
            return self.requests
        assert self.url is not None
        return (
            Request(
                url=self.url,
                name=self.name,
                method=self.method or "GET",
                headers=self.headers or {},
                query=self.query or {},
                json=self.json,
                body=self.body,
                timeout=self.timeout if self.timeout is not None else _TEN_SECONDS,
                repeat=self.repeat or 1,
                expect=self.expect or Expect(),
            ),
        )
