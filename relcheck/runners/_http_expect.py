"""Compare an HTTP response with a request's ``expect:``; one line per failed expectation."""

from __future__ import annotations

import json as jsonlib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from relcheck.runners._http_params import Expect

_SHOW = 120  # characters of a value shown in a failure line


def status_ok(status: int, expected: Sequence[int | str]) -> bool:
    """True when ``status`` is one of the codes or classes (``2xx``) expected."""
    for want in expected:
        if isinstance(want, int) and status == want:
            return True
        if isinstance(want, str) and str(status)[0] == want[0]:
            return True
    return False


Mask = Callable[[str], str]


def _same(text: str) -> str:
    return text


def check_response(
    expect: Expect, status: int, headers: Mapping[str, str], body: str, mask: Mask = _same
) -> list[str]:
    """What is wrong with one response (empty when it matches), without the request name.

    ``mask`` hides secrets in what a line shows; it runs before values are shortened, so a
    secret cut in half cannot slip past it.
    """

    def _short(text: str) -> str:
        return _shorten(mask(text))

    problems: list[str] = []
    statuses = expect.statuses()
    if not status_ok(status, statuses):
        want = " or ".join(str(s) for s in statuses)
        hint = f" (body: {_short(body)})" if body.strip() else ""
        problems.append(f"status: expected {want}, got {status}{hint}")
    problems.extend(_check_headers(expect.headers or {}, headers, mask))
    for text in _as_list(expect.body_contains):
        if text not in body:
            problems.append(f"body: expected to contain {text!r}, got {_short(body)}")
    for pattern in _as_list(expect.body_matches):
        if re.search(pattern, body) is None:
            problems.append(f"body: expected to match /{pattern}/, got {_short(body)}")
    if expect.json is not None or expect.json_path:
        try:
            data = jsonlib.loads(body)
        except ValueError as exc:
            problems.append(f"json: expected a JSON body, got invalid JSON ({exc}): {_short(body)}")
            return problems
        if expect.json is not None:
            problems.extend(f"json: {p}" for p in subset_problems(expect.json, data, "$", mask))
        for path, want in (expect.json_path or {}).items():
            problems.extend(_check_json_path(path, want, data, mask))
    return problems


def subset_problems(expected: Any, actual: Any, where: str, mask: Mask = _same) -> list[str]:
    """Where ``actual`` does not contain ``expected``: mappings may hold more keys, lists
    must match item by item, scalars must be equal."""

    def _show(value: Any) -> str:
        return _shown(value, mask)

    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{where}: expected an object, got {_show(actual)}"]
        out: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{where}.{key}: expected {_show(value)}, got nothing (key missing)")
            else:
                out.extend(subset_problems(value, actual[key], f"{where}.{key}", mask))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {_show(expected)}, got {_show(actual)}"]
        out = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            out.extend(subset_problems(want, got, f"{where}[{index}]", mask))
        return out
    if not _equal(expected, actual):
        return [f"{where}: expected {_show(expected)}, got {_show(actual)}"]
    return []


def _equal(expected: Any, actual: Any) -> bool:
    # YAML `1` must not equal JSON `true`; 1 and 1.0 are the same number.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def _check_json_path(path: str, want: Any, data: Any, mask: Mask) -> list[str]:
    import jsonpath

    def _show(value: Any) -> str:
        return _shown(value, mask)

    matches = jsonpath.findall(path, data)
    if not matches:
        return [f"json_path {path}: expected {_show(want)}, got nothing (no match)"]
    if len(matches) > 1:
        return [f"json_path {path}: expected one value, got {len(matches)}: {_show(matches)}"]
    if not _equal(want, matches[0]):
        return [f"json_path {path}: expected {_show(want)}, got {_show(matches[0])}"]
    return []


def _check_headers(
    expected: Mapping[str, bool | str], headers: Mapping[str, str], mask: Mask
) -> list[str]:
    lowered = {k.lower(): v for k, v in headers.items()}
    out = []
    for name, want in expected.items():
        got = lowered.get(name.lower())
        if got is not None:
            got = mask(got)
        if want is True and got is None:
            out.append(f"header {name}: expected present, got absent")
        elif want is False and got is not None:
            out.append(f"header {name}: expected absent, got {got!r}")
        elif isinstance(want, str) and got != want:
            shown = "absent" if got is None else repr(got)
            out.append(f"header {name}: expected {want!r}, got {shown}")
    return out


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of ``values`` (which must not be empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_problem(expect: Expect, latencies_ms: Sequence[float]) -> str | None:
    """The ``max_ms`` failure line, if the bound is not met (p95 over repeats)."""
    if expect.max_ms is None or not latencies_ms:
        return None
    if len(latencies_ms) == 1:
        got = latencies_ms[0]
        if got > expect.max_ms:
            return f"time: expected at most {expect.max_ms:g} ms, got {got:.0f} ms"
        return None
    p95 = percentile(latencies_ms, 95)
    if p95 > expect.max_ms:
        return (
            f"time: expected p95 at most {expect.max_ms:g} ms, got p95 {p95:.0f} ms "
            f"over {len(latencies_ms)} requests (max {max(latencies_ms):.0f} ms)"
        )
    return None


def _as_list(value: str | Sequence[str] | None) -> Sequence[str]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


def _shown(value: Any, mask: Mask) -> str:
    text = mask(jsonlib.dumps(value, ensure_ascii=False, default=str))
    return text if len(text) <= _SHOW else text[: _SHOW - 1] + "…"


def _shorten(body: str) -> str:
    text = " ".join(body.split())
    if not text:
        return "an empty body"
    return repr(text if len(text) <= _SHOW else text[: _SHOW - 1] + "…")
