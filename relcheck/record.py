"""Run records: one TOML file per run under ``.relcheck/runs/``, written atomically."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

from relcheck.errors import UsageError
from relcheck.models import Annotation, Outcome, RunInfo, RunResult, Status, StepResult
from relcheck.system.fileio import STATE_NAME, UnsafePath, describe, make_dirs, write_atomic

FORMAT = 1
STATE_DIR = STATE_NAME  # relcheck's folder in the repository
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
            "command": i.command,
            "dry_run": i.dry_run,
            "root": i.root,
            "only": list(i.only),
            "skipped": dict(i.skipped),
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


def write(directory: str, run: RunResult, *, durable: bool = True) -> str:
    """Write ``run``'s record atomically (temp file, fsync, rename); return its path.

    ``durable=False`` skips the fsyncs (~5 ms each on a disk), for the record a run
    writes when it starts, which its final record replaces moments later.
    """
    import tomli_w

    path = record_path(directory, run.info.run_id)
    data = to_dict(run)
    if run.outcome is Outcome.RUNNING:
        # Who writes the final record: see _ended_unfinished.
        data["pid"] = os.getpid()
        data["host"] = os.uname().nodename
    lost = lost_logs(run)
    if lost:
        data["lost_logs"] = lost
    data["digest"] = digest(data)
    payload = tomli_w.dumps(data).encode()
    try:
        write_atomic(path, payload, mode=0o600, durable=durable)
    except OSError as exc:
        # A full disk or a vanished folder is the machine's state, not a bug: say what
        # happened; the previous content of ``path`` is untouched.
        raise _cannot_write(path, exc) from exc
    return path


def lost_logs(run: RunResult) -> list[str]:
    """Step logs the run kept that are gone now: a step ran ``git clean -fdx`` or removed
    ``.relcheck/``. The record, written again in a folder made anew, says so."""
    mine = [r.log_path for r in run.steps if r.log_path]  # not a job's, from its record
    mine = [p for p in mine if os.path.basename(os.path.dirname(p)) == run.info.run_id]
    return [p for p in mine if not os.path.lexists(p)]


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
            f"cannot write run records to {directory}: {describe(exc)}",
            hint="make the folder writable, or pass --record-dir",
        ) from exc


def load_data(path: str) -> dict[str, Any]:
    """One record file as plain data: a regular file of at most MAX_BYTES holding UTF-8
    TOML (a FIFO, a folder or a binary file named ``*.toml`` is refused, not read)."""
    import tomllib

    from relcheck.system.fileio import read_regular

    try:
        return tomllib.loads(read_regular(path, MAX_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no run record at {path}") from None
    except OSError as exc:
        raise UsageError(f"{path}: not a readable run record: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a readable run record: not UTF-8 text") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise UsageError(f"{path}: not a readable run record: {exc}") from None


def read(path: str) -> RunResult:
    """Read one record."""
    data = load_data(path)
    try:
        return _ended_unfinished(data, from_dict(data))
    except (KeyError, ValueError, TypeError) as exc:
        raise UsageError(f"{path}: not a readable run record: {exc}") from exc


def _ended_unfinished(data: Mapping[str, Any], run: RunResult) -> RunResult:
    """A record still 'running' whose relcheck process is gone (killed with SIGKILL, the
    machine lost power) reads as interrupted: nothing will ever finish it."""
    import dataclasses

    pid, host = data.get("pid"), data.get("host")
    if run.outcome is not Outcome.RUNNING or not isinstance(pid, int) or pid <= 0:
        return run
    if host != os.uname().nodename:
        return run  # another machine's run (a shared folder): cannot tell
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        message = f"relcheck (process {pid}) ended before it finished this record"
        return dataclasses.replace(run, outcome=Outcome.INTERRUPTED, message=message)
    except PermissionError:
        pass  # the process exists (another user's)
    return run


def list_records(directory: str) -> list[str]:
    """Record paths, newest first."""
    try:
        names = [n for n in os.listdir(directory) if n.endswith(".toml") and not n.startswith(".")]
    except FileNotFoundError:
        return []
    except OSError as exc:  # a file, or a folder relcheck may not read, where runs go
        raise UsageError(
            f"cannot list run records in {directory}: {exc.strerror or exc}",
            hint="relcheck keeps its records in .relcheck/runs; move what is there aside",
        ) from None
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
