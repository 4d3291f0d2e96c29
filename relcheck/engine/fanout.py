"""Release from the records of several CI jobs: verify them, then run the release steps.

A fan-out splits a checklist over CI jobs (`relcheck plan --format github-matrix`); each
job runs `relcheck run --only ... --record-dir DIR` and uploads its record. The release
job gathers the records and calls :func:`gather`, which refuses anything that is not a
complete, consistent set of passes for the commit at HEAD; the release steps then run
through the engine's ordinary gate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from relcheck import record, record_format
from relcheck.errors import RecordsError, UsageError
from relcheck.models import Checklist, Status, StepResult


@dataclass(frozen=True)
class JobRecord:
    """One job's record, as read from disk."""

    path: str
    data: dict[str, Any]


def find_records(directories: tuple[str, ...]) -> list[JobRecord]:
    """Every run record under ``directories`` (artifact downloads nest them)."""
    found: list[JobRecord] = []
    for directory in directories:
        if not os.path.isdir(directory):
            raise RecordsError([f"{directory}: no such folder"])
        for base, _dirs, files in os.walk(directory):
            for name in sorted(files):
                if name.endswith(".toml") and not name.startswith("."):
                    path = os.path.join(base, name)
                    try:
                        found.append(JobRecord(path, record.load_data(path)))
                    except UsageError as exc:
                        raise RecordsError([exc.message]) from None
    return found


def gather(
    checklist: Checklist,
    records: list[JobRecord],
    *,
    head: str | None,
    tree: str | None,
    check_ids: list[str],
) -> dict[str, StepResult]:
    """The result of every check, from the records; RecordsError if any is amiss.

    An optional check no record has is SKIPPED "not in the records": the release job
    never runs a check itself.

    ``check_ids`` are the steps the records must cover (neither preconditions nor release
    steps, which the release job runs itself).
    """
    reasons: list[str] = []
    if not records:
        raise RecordsError(["no run records found"])
    seen: dict[str, list[tuple[str, StepResult]]] = {}  # step id -> (record name, result)
    for job in records:
        name = os.path.relpath(job.path)
        data = job.data
        if data.get("digest") != record_format.digest(data):
            reasons.append(f"{name}: digest mismatch: the record was changed after it was written")
            continue
        theirs = str(data.get("checklist_sha256"))[:12]
        if data.get("checklist_sha256") != checklist.sha256:
            reasons.append(
                f"{name}: made with another checklist (sha256 {theirs}, "
                f"this one is {checklist.sha256[:12]})"
            )
        made_on = str(data.get("commit"))[:12]
        if data.get("commit") != head:
            reasons.append(f"{name}: stale: made on commit {made_on}, HEAD is {str(head)[:12]}")
        elif tree is not None and data.get("tree") not in (None, tree):
            reasons.append(f"{name}: made on a different tree for the same commit")
        if data.get("outcome") in ("running", "error"):
            reasons.append(f"{name}: the run did not finish (outcome {data.get('outcome')})")
        try:
            run = record_format.from_dict(data)
        except (KeyError, ValueError, TypeError) as exc:
            reasons.append(f"{name}: not a readable run record: {exc}")
            continue
        for result in run.steps:
            marked = _from_job(result, run.info.run_id)
            seen.setdefault(result.step_id, []).append((name, marked))
    prior: dict[str, StepResult] = {}
    for step_id in check_ids:
        step = checklist.step(step_id)
        found = seen.get(step_id, [])
        if not found:
            if not step.optional:
                reasons.append(f"step {step_id!r}: no record has it (missing job?)")
            # The release job only gathers results: a check it has none for is not run.
            prior[step_id] = _not_recorded(step_id, step.uses)
            continue
        if len(found) > 1:
            where = ", ".join(f"{n}: {r.status.words}" for n, r in found)
            reasons.append(f"step {step_id!r}: recorded {len(found)} times ({where})")
            continue
        name, result = found[0]
        if not result.status.ok and not step.optional:
            reasons.append(f"step {step_id!r}: {result.status.words} in {name}: {result.summary}")
        prior[step_id] = result
    for step_id in sorted(set(seen) - set(check_ids)):
        if step_id not in {s.id for s in checklist.steps}:
            reasons.append(f"step {step_id!r}: recorded, but not in this checklist")
    if reasons:
        raise RecordsError(reasons)
    return prior


def _not_recorded(step_id: str, runner: str) -> StepResult:
    reason = "not in the records"
    return StepResult(Status.SKIPPED, reason, step_id=step_id, runner=runner, reason=reason)


def _from_job(result: StepResult, run_id: str) -> StepResult:
    """A job's result, marked with the run that produced it."""
    import dataclasses

    return dataclasses.replace(result, cached_from=result.cached_from or run_id)
