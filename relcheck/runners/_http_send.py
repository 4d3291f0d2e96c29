"""Send one request of the ``http`` runner: retries, redirects, timeouts, cancellation."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from relcheck.api import Status, StepResult
from relcheck.runners._http_expect import status_ok

if TYPE_CHECKING:
    import httpx

    from relcheck.api import StepContext
    from relcheck.runners._http_params import HttpParams
    from relcheck.runners.http import Prepared

MAX_BODY = 10 * 1024 * 1024  # enough for any health or API answer; more is not read
MAX_REDIRECTS = 10


@dataclass(frozen=True)
class Exchange:
    """One answered request: what came back and how long it took."""

    status: int
    headers: dict[str, str]
    body: str
    latency_ms: float
    attempts: int
    redirect_to: str | None = None  # a redirect that was not followed


@dataclass
class Outcome:
    """A request's answers over its repeats, or why it got none."""

    exchanges: list[Exchange] = field(default_factory=list)
    failure: str | None = None  # no answer: connection refused, timeout, TLS, redirect
    attempts: int = 0  # every send, answered or not
    stopped: StepResult | None = None  # the step ran out of time or was interrupted


class _Refused(Exception):
    """A redirect relcheck will not follow."""


@contextmanager
def client(verify: Any) -> Iterator[httpx.Client]:
    """An httpx client that never follows redirects by itself."""
    import httpx

    from relcheck import __version__

    with httpx.Client(
        verify=verify,
        follow_redirects=False,
        headers={"User-Agent": f"relcheck/{__version__}"},
    ) as c:
        yield c


def send_all(
    http: httpx.Client, request: Prepared, params: HttpParams, ctx: StepContext
) -> Outcome:
    """Send ``request`` ``repeat`` times; stop at the first that gets no answer."""
    outcome = Outcome()
    for _ in range(request.spec.repeat):
        exchange, failure, stopped = _with_retries(http, request, params, ctx, outcome)
        if failure is not None and request.spec.name:  # the label has no URL: add it
            failure = f"{request.url}: {failure}"
        if exchange is not None:
            outcome.exchanges.append(exchange)
        if stopped is not None:
            outcome.stopped = stopped
            break
        if failure is not None:
            outcome.failure = failure
            break
    return outcome


def _with_retries(
    http: httpx.Client, request: Prepared, params: HttpParams, ctx: StepContext, outcome: Outcome
) -> tuple[Exchange | None, str | None, StepResult | None]:
    """Send once, retrying connection errors and `retry_on` statuses while allowed."""
    import httpx

    started = time.monotonic()
    deadline = started + params.retry_deadline if params.retry_deadline is not None else None
    delay = float(params.retry_delay)
    expected = request.spec.expect.statuses()
    attempt = 0
    while True:
        attempt += 1
        if ctx.cancel.is_set():
            return None, None, StepResult(Status.INTERRUPTED, "interrupted")
        remaining = ctx.remaining()
        if remaining <= 0:
            return None, None, _timed_out(ctx)
        timeout = min(float(request.spec.timeout), remaining)
        outcome.attempts += 1
        exchange: Exchange | None = None
        failure: str
        try:
            exchange = _send(http, request, params, timeout, attempt)
        except _Refused as exc:
            return None, f"{exc}", None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            if isinstance(exc, httpx.TimeoutException) and ctx.remaining() <= 0:
                return None, None, _timed_out(ctx)
            failure, retryable = _describe(exc, timeout)
        else:
            retryable = exchange.status in params.retry_on and not status_ok(
                exchange.status, expected
            )
            failure = f"status {exchange.status}"
        last = None if exchange is not None else failure
        if last is not None and attempt > 1:
            last = f"{last} (after {attempt} attempts)"
        if not retryable or attempt > params.retries:
            return exchange, last, None
        wait = min(delay, float(params.retry_max_delay))
        if deadline is not None and time.monotonic() + wait > deadline:
            ctx.sink.note(f"{request.label}: retry deadline reached after {attempt} attempts")
            return exchange, last, None
        if wait >= ctx.remaining():
            ctx.sink.note(f"{request.label}: no time left in the step for another attempt")
            return exchange, last, None
        ctx.sink.note(f"{request.label}: attempt {attempt}: {failure}; retrying in {wait:g}s")
        if ctx.cancel.wait(wait):
            return None, None, StepResult(Status.INTERRUPTED, "interrupted")
        delay *= params.retry_backoff


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host.lower(), url.port)


def _drop_credentials(request: httpx.Request, params: HttpParams) -> None:
    """Remove credential headers from a redirect that leaves the origin.

    httpx drops Authorization (and Cookie) by itself, but not an API key or token sent
    in a header of its own, which would otherwise go along to another port or to a host
    allow_hosts names only as a place the request may land.
    """
    from relcheck.runners._http_params import SECRET_HEADERS

    secret = SECRET_HEADERS | {h.lower() for h in params.secret_headers}
    for name in [n for n in request.headers if n.lower() in secret]:
        del request.headers[name]


def _send(
    http: httpx.Client, request: Prepared, params: HttpParams, timeout: float, attempt: int
) -> Exchange:
    """One exchange, following allowed redirects; the latency includes reading the body."""
    spec = request.spec
    outgoing = http.build_request(
        spec.method.upper(),
        request.url,
        headers=request.headers,
        params=request.query or None,
        json=spec.json,
        content=request.body,
        timeout=timeout,
    )
    origin = outgoing.url.host.lower()
    allowed = {origin, *(h.lower() for h in params.allow_hosts)}
    start = time.perf_counter()
    response = http.send(outgoing, stream=True)
    hops = 0
    try:
        while params.follow_redirects and response.next_request is not None:
            nxt = response.next_request
            if nxt.url.host.lower() not in allowed:
                raise _Refused(
                    f"redirect to {nxt.url} refused: host {nxt.url.host!r} is not "
                    f"{origin!r} and not listed in allow_hosts"
                )
            hops += 1
            if hops > MAX_REDIRECTS:
                raise _Refused(f"more than {MAX_REDIRECTS} redirects, last to {nxt.url}")
            if _origin(nxt.url) != _origin(response.request.url):
                _drop_credentials(nxt, params)
            response.close()
            response = http.send(nxt, stream=True)
        # httpx's timeouts are per read: a server sending a byte a second would never
        # trip them. The whole body must arrive within the request's timeout.
        body = _read(response, start + timeout)
    finally:
        response.close()
    latency = (time.perf_counter() - start) * 1000
    redirect = response.next_request
    return Exchange(
        status=response.status_code,
        headers=dict(response.headers),
        body=body,
        latency_ms=latency,
        attempts=attempt,
        redirect_to=str(redirect.url) if redirect is not None else None,
    )


def _read(response: httpx.Response, until: float) -> str:
    """The body (up to MAX_BODY), read by ``until`` (time.perf_counter()) or ReadTimeout."""
    import httpx

    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY:
            break
        if time.perf_counter() > until:
            raise httpx.ReadTimeout("the body did not arrive in time", request=response.request)
    encoding = response.charset_encoding or "utf-8"
    try:
        return b"".join(chunks)[:MAX_BODY].decode(encoding, errors="replace")
    except LookupError:
        return b"".join(chunks)[:MAX_BODY].decode("utf-8", errors="replace")


def _describe(exc: Exception, timeout: float) -> tuple[str, bool]:
    """A failure line naming the exception type (the caller names the URL); and whether
    to retry it."""
    import httpx

    kind = type(exc).__name__
    verify_error = _cause(exc, ssl.SSLCertVerificationError)
    if verify_error is not None:
        reason = getattr(verify_error, "verify_message", None) or str(verify_error)
        return (
            f"TLS certificate verification failed ({kind}: {reason}); "
            "for a private CA set `ca_bundle`",
            False,
        )
    if isinstance(exc, httpx.TimeoutException):
        what = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for a response"
        return f"{kind}: no answer within {timeout:g}s ({what})", isinstance(
            exc, httpx.ConnectTimeout
        )
    retryable = isinstance(exc, httpx.ConnectError | httpx.RemoteProtocolError | httpx.ReadError)
    return f"{kind}: {exc or 'no detail'}", retryable


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _timed_out(ctx: StepContext) -> StepResult:
    return StepResult(
        Status.TIMED_OUT, f"timed out after {ctx.step.timeout:g}s (the step's timeout)"
    )
