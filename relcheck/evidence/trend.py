"""Release runs of the recent past, for trends: one record per release tag."""

from __future__ import annotations

from relcheck.models import RunResult, is_release_run


def releases(
    directory: str, *, limit: int = 10, before: RunResult | None = None
) -> list[RunResult]:
    """The newest passed release run of each tag recorded here, oldest first; at most
    ``limit``, and only those that started before ``before`` (when given)."""
    from relcheck import record

    seen: set[str] = set()
    found: list[RunResult] = []
    runs = sorted(record.iter_runs(directory), key=lambda r: r.started_at, reverse=True)
    for run in runs:
        if not is_release_run(run) or run.info.tag in seen:
            continue
        if before is not None and (
            run.started_at >= before.started_at or run.info.run_id == before.info.run_id
        ):
            continue
        seen.add(run.info.tag or "")
        found.append(run)
        if len(found) >= limit:
            break
    return found[::-1]
