"""The ``http`` runner: send requests to a service and check what it answers."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from relcheck.api import Annotation, Runner, RunnerError, Status, StepContext, StepResult
from relcheck.runners._http_expect import check_response, latency_problem, percentile
from relcheck.runners._http_params import SECRET_HEADERS, HttpParams, Request
from relcheck.system.expand import expand
from relcheck.system.redact import Redactor, looks_secret

if TYPE_CHECKING:
    from relcheck.runners._http_send import Exchange


@dataclass
class Prepared:
    """A request with its ``${VAR}``s expanded, ready to send."""

    spec: Request
    url: str
    headers: dict[str, str]
    query: dict[str, str]
    body: str | None

    @property
    def label(self) -> str:
        return self.spec.name or f"{self.spec.method.upper()} {self.url}"


@dataclass
class _Secrets:
    """Values never to show: secret headers, and values of secret variables."""

    names: frozenset[str]  # environment variable names declared secret
    values: set[str] = field(default_factory=set)

    def variable_used(self, name: str, value: str) -> None:
        if name in self.names or looks_secret(name):
            self.values.add(value)

    def header(self, name: str, value: str, extra: frozenset[str]) -> None:
        lowered = name.lower()
        if lowered in SECRET_HEADERS or lowered in extra or looks_secret(name):
            self.values.add(value)
            scheme, _, credential = value.partition(" ")
            if credential and scheme.isalpha():  # "Bearer abc": the token alone, too
                self.values.add(credential)


class HttpRunner(Runner):
    """Sends each request (with retries while a deploy comes up) and checks `expect:`."""

    name = "http"
    Params = HttpParams
    cacheable = False  # a service's answer is not a function of the repository's files
    description = "Check a service over HTTP: status, JSON, headers, response time."

    def run(self, params: HttpParams, ctx: StepContext) -> StepResult:
        from relcheck.runners import _http_send

        secrets = _Secrets(frozenset(ctx.checklist.secrets))
        prepared = [
            _prepare(spec, index, params, ctx, secrets)
            for index, spec in enumerate(params.all_requests())
        ]
        ctx.sink.add_secrets(secrets.values)
        redactor = Redactor(secrets.values)
        verify = _verify(params, ctx, secrets)
        annotations: tuple[Annotation, ...] = ()
        if not params.verify:
            warning = "TLS verification is off (verify: false): certificates are not checked"
            ctx.sink.note(f"warning: {warning}")
            annotations = (Annotation(warning, level="warning"),)
        problems: list[str] = []
        exchanges: list[Exchange] = []
        by_request: dict[str, dict[str, float]] = {}  # each request's latencies
        attempts = 0
        stopped: StepResult | None = None
        with _http_send.client(verify) as client:
            for request in prepared:
                outcome = _http_send.send_all(client, request, params, ctx)
                exchanges.extend(outcome.exchanges)
                if outcome.exchanges:
                    by_request[redactor.text(request.label)] = _latencies(outcome.exchanges)
                attempts += outcome.attempts
                problems.extend(
                    f"{request.label}: {p}" for p in _problems(request, outcome, redactor.text)
                )
                if outcome.stopped is not None:
                    stopped = outcome.stopped
                    break
        metrics = _metrics(exchanges, attempts, params)
        if len(prepared) > 1 and by_request:
            metrics["by_request"] = by_request
        if stopped is not None:
            result = StepResult(stopped.status, stopped.summary, metrics=metrics)
        elif problems:
            count = len(problems)
            summary = problems[0] if count == 1 else f"{count} problems; first: {problems[0]}"
            result = StepResult(Status.FAILED, summary, metrics=metrics, details=tuple(problems))
        else:
            result = StepResult(
                Status.PASSED, _passed_summary(prepared, exchanges), metrics=metrics
            )
        if not params.verify:
            result = _with_warning(result, annotations)
        return _redacted(result, redactor)


def _prepare(
    spec: Request, index: int, params: HttpParams, ctx: StepContext, secrets: _Secrets
) -> Prepared:
    where = f"step {ctx.step.id!r}: " + (f"requests[{index}]." if params.requests else "")

    def exp(text: str, key: str) -> str:
        return expand(text, ctx.env, where=where + key, on_use=secrets.variable_used)

    extra = frozenset(h.lower() for h in params.secret_headers)
    headers: dict[str, str] = {}
    for name, value in spec.headers.items():
        headers[name] = exp(value, f"headers.{name}")
        secrets.header(name, headers[name], extra)
    query: dict[str, str] = {}
    for name, given in spec.query.items():
        text = str(given).lower() if isinstance(given, bool) else str(given)
        query[name] = exp(text, f"query.{name}")
        if looks_secret(name):
            secrets.values.add(query[name])
    body = exp(spec.body, "body") if spec.body is not None else None
    url = exp(spec.url, "url")
    if not url.startswith(("http://", "https://")):
        raise RunnerError(f"{where}url: expected http:// or https://, got {url!r} after expansion")
    return Prepared(spec, url, headers, query, body)


def _verify(params: HttpParams, ctx: StepContext, secrets: _Secrets) -> Any:
    """What httpx gets as ``verify``: True, False, or an SSL context for ``ca_bundle``."""
    if not params.verify:
        return False
    if params.ca_bundle is None:
        return True
    import ssl

    where = f"step {ctx.step.id!r}: ca_bundle"
    path = expand(params.ca_bundle, ctx.env, where=where, on_use=secrets.variable_used)
    path = os.path.join(ctx.workdir, path)
    if not os.path.isfile(path):
        raise RunnerError(f"{where}: no file at {path}")
    try:
        return ssl.create_default_context(cafile=path)
    except (ssl.SSLError, ValueError) as exc:
        raise RunnerError(f"{where}: {path} is not a PEM certificate bundle: {exc}") from exc


def _problems(request: Prepared, outcome: Any, mask: Callable[[str], str]) -> list[str]:
    """Failed expectations of one request over its repeats, each said once."""
    lines: list[str] = []
    if outcome.failure is not None:
        lines.append(outcome.failure)
    for exchange in outcome.exchanges:
        for problem in check_response(
            request.spec.expect, exchange.status, exchange.headers, exchange.body, mask
        ):
            line = problem
            if exchange.redirect_to and problem.startswith("status:"):
                line += f"; redirect to {exchange.redirect_to} not followed"
            if line not in lines:
                lines.append(line)
    slow = latency_problem(request.spec.expect, [e.latency_ms for e in outcome.exchanges])
    if slow is not None and outcome.failure is None:
        lines.append(slow)
    return lines


def _latencies(exchanges: list[Exchange]) -> dict[str, float]:
    """One request's p50 and p95 over its repeats, in milliseconds."""
    latencies = [e.latency_ms for e in exchanges]
    return {
        "latency_p50_ms": round(percentile(latencies, 50), 1),
        "latency_p95_ms": round(percentile(latencies, 95), 1),
    }


def _metrics(exchanges: list[Exchange], attempts: int, params: HttpParams) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "attempts": attempts,
        "responses": len(exchanges),
    }
    if exchanges:
        statuses = [e.status for e in exchanges]
        metrics["status"] = statuses[-1] if len(set(statuses)) == 1 else sorted(set(statuses))
        latencies = [e.latency_ms for e in exchanges]
        metrics["latency_p50_ms"] = round(percentile(latencies, 50), 1)
        metrics["latency_p95_ms"] = round(percentile(latencies, 95), 1)
    if not params.verify:
        metrics["tls_verify"] = False
    return metrics


def _passed_summary(prepared: list[Prepared], exchanges: list[Exchange]) -> str:
    latencies = [e.latency_ms for e in exchanges]
    timing = f"{percentile(latencies, 50):.0f} ms"
    if len(exchanges) > 1:
        timing = f"p50 {timing}, p95 {percentile(latencies, 95):.0f} ms"
    if len(prepared) == 1:
        return f"{prepared[0].label} -> {exchanges[-1].status} ({timing})"
    return f"{len(prepared)} requests as expected ({timing})"


def _with_warning(result: StepResult, annotations: tuple[Annotation, ...]) -> StepResult:
    from dataclasses import replace

    return replace(
        result,
        summary=f"{result.summary} [warning: TLS verification off]",
        annotations=result.annotations + annotations,
    )


def _redacted(result: StepResult, redactor: Redactor) -> StepResult:
    from dataclasses import replace

    return replace(
        result,
        summary=redactor.text(result.summary),
        details=tuple(redactor.text(d) for d in result.details),
    )


__all__ = ["HttpParams", "HttpRunner"]
