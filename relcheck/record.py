"""Run records on disk: one TOML file per run under ``.relcheck/runs/``, written
atomically, read back, listed and found (their content: relcheck.record_format)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from relcheck.errors import UnsafePath, UsageError
from relcheck.models import Outcome, RunResult
from relcheck.record_format import digest, from_dict, to_dict
from relcheck.system.fileio import STATE_NAME, describe, make_dirs, make_temp, write_atomic

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
    fd, tmp = make_temp(directory, ".probe-")
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
