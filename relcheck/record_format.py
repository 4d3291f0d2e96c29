"""What a run record holds: a RunResult as plain data and back, and the data's digest."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from relcheck.models import Annotation, Outcome, RunInfo, RunResult, Status, StepResult

FORMAT = 1


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="microseconds")


def _epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def _clean_table(table: Mapping[Any, Any]) -> dict[str, Any]:
    """A table TOML can hold: no None, keys as text (see _clean)."""
    return {str(k): _clean(v) for k, v in table.items() if v is not None}


def _clean(value: Any) -> Any:
    """Data TOML can hold: no None, keys as text, tuples as lists."""
    if isinstance(value, Mapping):
        return _clean_table(value)
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value if v is not None]
    return value


def step_to_dict(r: StepResult) -> dict[str, Any]:
    return {
        "id": r.step_id,
        "runner": r.runner,
        "status": str(r.status),
        "summary": r.summary,
        "optional": r.optional,
        "started_at": _iso(r.started_at),
        "ended_at": _iso(r.ended_at),
        "duration": round(r.duration, 6),
        "exit_code": r.exit_code,
        "attempts": r.attempts,
        "output_bytes": r.output_bytes,
        "owner": r.owner,
        "expect": r.expect,
        "rollback": r.rollback,
        "reason": r.reason,
        "cached_from": r.cached_from,
        "log": r.log_path,
        "metrics": dict(r.metrics),
        "details": list(r.details),
        "annotations": [vars(a) for a in r.annotations],
        "output_tail": r.output_tail,
    }


def to_dict(run: RunResult) -> dict[str, Any]:
    """The run as plain data: the record's content, and the JSON output."""
    i = run.info
    return _clean_table(
        {
            "format": FORMAT,
            "run_id": i.run_id,
            "outcome": str(run.outcome),
            "message": run.message,
            "checklist": i.checklist_path,
            "checklist_sha256": i.checklist_sha256,
            "commit": i.commit,
            "tree": i.tree,
            "branch": i.branch,
            "version": i.version,
            "tag": i.tag,
            "relcheck_version": i.relcheck_version,
            "mode": i.mode,
            "command": i.command,
            "dry_run": i.dry_run,
            "root": i.root,
            "only": list(i.only),
            "skipped": dict(i.skipped),
            "release_steps": list(i.release_steps),
            "resume": list(i.resume),
            "started_at": _iso(run.started_at),
            "ended_at": _iso(run.ended_at),
            "duration": round(run.duration, 6),
            "steps": [step_to_dict(r) for r in run.steps],
            "baseline": dict(run.baseline) or None,
        }
    )


_REQUIRED = object()
_TEXT = (str,)
_MAYBE_TEXT = (str, type(None))
_NUMBER = (int, float)


def _get(
    data: Mapping[str, Any], key: str, kinds: tuple[type, ...], default: Any, where: str
) -> Any:
    """``data[key]`` when it has one of ``kinds``; ValueError naming the field otherwise,
    so a hand-edited or forged record is reported, never a crash where it is used."""
    if key not in data:
        if default is _REQUIRED:
            raise ValueError(f"{where}{key}: missing")
        return default
    value = data[key]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        wanted = " or ".join("none" if k is type(None) else k.__name__ for k in kinds)
        raise ValueError(f"{where}{key}: expected {wanted}, got {type(value).__name__}")
    return value


def _texts(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    items = _get(data, key, (list,), [], where)
    if not all(isinstance(i, str) for i in items):
        raise ValueError(f"{where}{key}: expected a list of text")
    return tuple(items)


def _annotation(a: Any, where: str) -> Annotation:
    if not isinstance(a, Mapping):
        raise ValueError(f"{where}annotations: expected tables, got {type(a).__name__}")
    return Annotation(
        message=_get(a, "message", _TEXT, _REQUIRED, where),
        path=_get(a, "path", _MAYBE_TEXT, None, where),
        line=_get(a, "line", (int, type(None)), None, where),
        column=_get(a, "column", (int, type(None)), None, where),
        level=_get(a, "level", _TEXT, "error", where),
    )


def _step(s: Any, index: int) -> StepResult:
    if not isinstance(s, Mapping):
        raise ValueError(f"steps[{index}]: expected a table, got {type(s).__name__}")
    w = f"steps[{index}]."
    return StepResult(
        status=Status(_get(s, "status", _TEXT, _REQUIRED, w)),
        summary=_get(s, "summary", _TEXT, "", w),
        exit_code=_get(s, "exit_code", (int, type(None)), None, w),
        metrics=dict(_get(s, "metrics", (dict,), {}, w)),
        details=_texts(s, "details", w),
        annotations=tuple(_annotation(a, w) for a in _get(s, "annotations", (list,), [], w)),
        output_tail=_get(s, "output_tail", _TEXT, "", w),
        step_id=_get(s, "id", _TEXT, _REQUIRED, w),
        runner=_get(s, "runner", _TEXT, "", w),
        started_at=_epoch(_get(s, "started_at", _TEXT, _REQUIRED, w)),
        duration=float(_get(s, "duration", _NUMBER, 0.0, w)),
        log_path=_get(s, "log", _MAYBE_TEXT, None, w),
        attempts=_get(s, "attempts", (int,), 1, w),
        output_bytes=_get(s, "output_bytes", (int,), 0, w),
        cached_from=_get(s, "cached_from", _MAYBE_TEXT, None, w),
        reason=_get(s, "reason", _MAYBE_TEXT, None, w),
        optional=_get(s, "optional", (bool,), False, w),
        owner=_get(s, "owner", _MAYBE_TEXT, None, w),
        expect=_get(s, "expect", _MAYBE_TEXT, None, w),
        rollback=_get(s, "rollback", _MAYBE_TEXT, None, w),
    )


def from_dict(data: Mapping[str, Any]) -> RunResult:
    """A RunResult read back from a record; ValueError naming the first field that is
    missing or of the wrong type."""
    skipped = _get(data, "skipped", (dict,), {}, "")
    if not all(isinstance(v, str) for v in skipped.values()):
        raise ValueError("skipped: expected text for each step")
    info = RunInfo(
        run_id=_get(data, "run_id", _TEXT, _REQUIRED, ""),
        root=_get(data, "root", _TEXT, "", ""),
        checklist_path=_get(data, "checklist", _TEXT, "", ""),
        checklist_sha256=_get(data, "checklist_sha256", _TEXT, "", ""),
        commit=_get(data, "commit", _MAYBE_TEXT, None, ""),
        branch=_get(data, "branch", _MAYBE_TEXT, None, ""),
        version=_get(data, "version", _MAYBE_TEXT, None, ""),
        tag=_get(data, "tag", _MAYBE_TEXT, None, ""),
        relcheck_version=_get(data, "relcheck_version", _TEXT, "", ""),
        dry_run=_get(data, "dry_run", (bool,), False, ""),
        only=_texts(data, "only", ""),
        skipped=dict(skipped),
        tree=_get(data, "tree", _MAYBE_TEXT, None, ""),
        mode=_get(data, "mode", _TEXT, "run", ""),
        command=_get(data, "command", _MAYBE_TEXT, None, ""),
        release_steps=_texts(data, "release_steps", ""),
        resume=_texts(data, "resume", ""),
    )
    steps = _get(data, "steps", (list,), [], "")
    return RunResult(
        info=info,
        outcome=Outcome(_get(data, "outcome", _TEXT, _REQUIRED, "")),
        started_at=_epoch(_get(data, "started_at", _TEXT, _REQUIRED, "")),
        ended_at=_epoch(_get(data, "ended_at", _TEXT, _REQUIRED, "")),
        steps=tuple(_step(s, i) for i, s in enumerate(steps)),
        message=_get(data, "message", _MAYBE_TEXT, None, ""),
        baseline=dict(_get(data, "baseline", (dict,), {}, "")),
    )


def digest(data: Mapping[str, Any]) -> str:
    """A digest of a record's content (all but its ``digest`` field).

    It makes a hand-edited record detectable. With ``RELCHECK_RECORD_KEY`` set (a CI
    secret shared by the jobs of a fan-out), it is an HMAC, which cannot be recomputed
    without the key.
    """
    import hashlib
    import hmac
    import json

    body = {k: v for k, v in data.items() if k != "digest"}
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    key = os.environ.get("RELCHECK_RECORD_KEY")
    if key:
        return "hmac-sha256:" + hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(payload).hexdigest()
