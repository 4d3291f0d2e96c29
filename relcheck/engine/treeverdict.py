"""What the tree watch found means for a step and for the release: a step that changed
what it checks fails, and no release step runs after checks that changed the tree (or
that git could not see)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from relcheck.engine.treewatch import HEAD, Attribution, TreeWatch, safely
from relcheck.models import Status, StepResult

_SHOWN = 5


def what(paths: list[str]) -> str:
    """``changed tracked file app.db``, ``changed tracked files a, b and moved HEAD``."""
    files = [p for p in paths if p != HEAD]
    parts = []
    if files:
        parts.append(f"changed tracked file{'s' * (len(files) != 1)} {few(files)}")
    if HEAD in paths:
        parts.append("moved HEAD")
    return " and ".join(parts)


def fix(paths: list[str]) -> str:
    """The advice for an undeclared change."""
    files = [p for p in paths if p != HEAD]
    steps = []
    if files:
        steps.append(
            "make the step leave tracked files alone (write to a temporary folder), "
            f"`git restore {' '.join(files[:_SHOWN])}`, or declare the files under the "
            "step's `writes:`"
        )
    if HEAD in paths:
        steps.append("switch back to the commit to release (a check must not commit)")
    return "; ".join(steps)


def few(paths: list[str]) -> str:
    shown = ", ".join(paths[:_SHOWN])
    return shown + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")


def names(steps: Iterable[str]) -> str:
    quoted = [repr(s) for s in steps]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def verdict(step_id: str, result: StepResult, watch: TreeWatch, found: Attribution) -> StepResult:
    """``result`` judged by what changed while the step ran: an undeclared change fails
    it; declared writes are listed under the ``writes`` metric (those the release may
    leave uncommitted: the files that were unchanged when the run began)."""
    metrics = dict(result.metrics)
    if found.declared:
        metrics["writes"] = [p for p in found.declared if watch.clean_at_start(p)]
    if not found.undeclared:
        return dataclasses.replace(result, metrics=metrics) if found.declared else result
    paths = sorted(found.undeclared)
    others = sorted({s for steps in found.undeclared.values() for s in steps} - {step_id})
    summary = f"{what(paths)} during this run"
    if others:
        summary += f" (or {names(others)}, running at the same time)"
    metrics["changed_tracked"] = [_shown(p) for p in paths]
    own = f"the step itself {result.status}: {result.summary}"
    return dataclasses.replace(
        result,
        status=Status.FAILED if result.status.ok else result.status,
        summary=f"{summary}; fix: {fix(paths)}",
        details=(own, *result.details),
        metrics=metrics,
    )


def blocker(watch: TreeWatch | None) -> str | None:
    """Why no release step may run after this run's checks changed the tree (or may have:
    git could not say), or None."""
    if watch is None:
        return None
    safely(watch, "settle")
    unseen = watch.unseen()
    if unseen:
        return (
            f"git could not say what step{'s' * (len(unseen) > 1)} {names(unseen)} changed "
            "in the work tree (git status failed); fix: check that `git status` works in "
            "this repository, then run again"
        )
    if not watch.undeclared:
        return None
    by_steps: dict[tuple[str, ...], list[str]] = {}
    for path, changed_by in sorted(watch.undeclared.items()):
        by_steps.setdefault(tuple(sorted(changed_by)), []).append(path)
    said = []
    for steps, paths in by_steps.items():
        if len(steps) == 1:
            said.append(f"step {steps[0]!r} {what(paths)} during this run")
        else:
            said.append(f"{what(paths)} during this run, while steps {names(steps)} ran")
    every = sorted(watch.undeclared)
    return f"{'; '.join(said)}; fix: {fix(every)}"


def _shown(path: str) -> str:
    return "HEAD" if path == HEAD else path
