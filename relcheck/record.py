"""Run records: one TOML file per run under ``.relcheck/runs/``, written atomically."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

from relcheck.errors import UsageError
from relcheck.fileio import UnsafePath, describe, make_dirs, write_atomic
from relcheck.models import Annotation, Outcome, RunInfo, RunResult, Status, StepResult

FORMAT = 1
STATE_DIR = ".relcheck"
MAX_BYTES = 32 * 1024 * 1024  # output tails are bounded: a record of 1000 steps is < 10 MiB


def runs_dir(root: str) -> str:
    """Where a repository's run records live."""
    return os.path.join(root, STATE_DIR, "runs")


def record_path(directory: str, run_id: str) -> str:
    return os.path.join(directory, f"{run_id}.toml")


def log_dir(directory: str, run_id: str) -> str:
    """Where the full logs of a run's steps go, beside its record."""
    return os.path.join(directory, run_id)


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="microseconds")


def _epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def _clean(value: Any) -> Any:
    """Data TOML can hold: no None, keys as text, tuples as lists."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items() if v is not None}
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
    return _clean(
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
            "dry_run": i.dry_run,
            "root": i.root,
            "only": list(i.only),
            "skipped": dict(i.skipped),
            "started_at": _iso(run.started_at),
            "ended_at": _iso(run.ended_at),
            "duration": round(run.duration, 6),
            "steps": [step_to_dict(r) for r in run.steps],
        }
    )


def from_dict(data: Mapping[str, Any]) -> RunResult:
    """A RunResult read back from a record."""
    info = RunInfo(
        run_id=data["run_id"],
        root=data.get("root", ""),
        checklist_path=data.get("checklist", ""),
        checklist_sha256=data.get("checklist_sha256", ""),
        commit=data.get("commit"),
        branch=data.get("branch"),
        version=data.get("version"),
        tag=data.get("tag"),
        relcheck_version=data.get("relcheck_version", ""),
        dry_run=data.get("dry_run", False),
        only=tuple(data.get("only", ())),
        skipped=dict(data.get("skipped", {})),
        tree=data.get("tree"),
        mode=data.get("mode", "run"),
    )
    steps = tuple(
        StepResult(
            status=Status(s["status"]),
            summary=s.get("summary", ""),
            exit_code=s.get("exit_code"),
            metrics=s.get("metrics", {}),
            details=tuple(s.get("details", ())),
            annotations=tuple(Annotation(**a) for a in s.get("annotations", ())),
            output_tail=s.get("output_tail", ""),
            step_id=s["id"],
            runner=s.get("runner", ""),
            started_at=_epoch(s["started_at"]),
            duration=s.get("duration", 0.0),
            log_path=s.get("log"),
            attempts=s.get("attempts", 1),
            output_bytes=s.get("output_bytes", 0),
            cached_from=s.get("cached_from"),
            reason=s.get("reason"),
            optional=s.get("optional", False),
            owner=s.get("owner"),
            expect=s.get("expect"),
            rollback=s.get("rollback"),
        )
        for s in data.get("steps", ())
    )
    return RunResult(
        info=info,
        outcome=Outcome(data["outcome"]),
        started_at=_epoch(data["started_at"]),
        ended_at=_epoch(data["ended_at"]),
        steps=steps,
        message=data.get("message"),
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


def write(directory: str, run: RunResult, *, durable: bool = True) -> str:
    """Write ``run``'s record atomically (temp file, fsync, rename); return its path.

    ``durable=False`` skips the fsyncs (~5 ms each on a disk), for the record a run
    writes when it starts, which its final record replaces moments later.
    """
    import tomli_w

    path = record_path(directory, run.info.run_id)
    data = to_dict(run)
    data["digest"] = digest(data)
    payload = tomli_w.dumps(data).encode()
    try:
        write_atomic(path, payload, mode=0o600, durable=durable)
    except OSError as exc:
        # A full disk or a vanished folder is the machine's state, not a bug: say what
        # happened; the previous content of ``path`` is untouched.
        raise _cannot_write(path, exc) from exc
    return path


def _cannot_write(path: str, exc: OSError) -> UsageError:
    where = f" ({describe(exc)})" if isinstance(exc, UnsafePath) else ""
    return UsageError(
        f"cannot write the run record {path}: {exc.strerror or exc}{where}",
        hint="free some space or make the folder writable, or pass --record-dir",
    )


def probe_writable(directory: str, mode: int = 0o700) -> None:
    """Create ``directory`` if needed and prove a file can be made in it (OSError if not)."""
    make_dirs(directory, mode)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".probe-")
    os.close(fd)
    os.unlink(tmp)


def check_writable(directory: str) -> None:
    """Fail before any step runs if records cannot be written to ``directory``."""
    try:
        probe_writable(directory)
    except OSError as exc:
        raise UsageError(
            f"cannot write run records to {directory}: {exc.strerror or exc}",
            hint="make the folder writable, or pass --record-dir",
        ) from exc


def read(path: str) -> RunResult:
    """Read one record."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            return from_dict(tomllib.load(fh))
    except FileNotFoundError:
        raise UsageError(f"no run record at {path}") from None
    except (OSError, tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable run record: {exc}") from exc


def list_records(directory: str) -> list[str]:
    """Record paths, newest first."""
    try:
        names = [n for n in os.listdir(directory) if n.endswith(".toml") and not n.startswith(".")]
    except FileNotFoundError:
        return []
    return [os.path.join(directory, n) for n in sorted(names, reverse=True)]


def iter_runs(directory: str, unreadable: list[str] | None = None) -> Iterator[RunResult]:
    """Readable records, newest first; unreadable ones are passed over (and their
    problems appended to ``unreadable``, when given)."""
    for path in list_records(directory):
        try:
            yield read(path)
        except UsageError as exc:
            if unreadable is not None:
                unreadable.append(exc.message)
            continue


def find(directory: str, ref: str) -> str:
    """The record path for a run id (or a unique prefix of one) or ``latest``."""
    paths = list_records(directory)
    if not paths:
        raise UsageError(f"no runs recorded in {directory}", hint="run `relcheck run` first")
    if ref == "latest":
        return paths[0]
    matches = [p for p in paths if os.path.basename(p).startswith(ref)]
    if len(matches) != 1:
        what = "no run" if not matches else f"{len(matches)} runs"
        raise UsageError(f"{what} matching {ref!r} in {directory}", hint="see `relcheck history`")
    return matches[0]
