"""The baseline of a run: the previous release, as its record or its tag's trailers.

The record of the run that made the previous release tag holds every fact (metrics,
durations, statuses). When that record is not on this machine (a fresh CI checkout),
the annotated tag's trailers still say which steps passed and how long each took, but
no metrics: ``Baseline.source`` is then ``"tag"`` and ``Baseline.note`` says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relcheck.models import Outcome, RunInfo, RunResult, StepResult, is_release_run

if TYPE_CHECKING:
    from relcheck.git.tagmessage import TagSummary

RECORD = "record"
TAG = "tag"


@dataclass(frozen=True)
class Baseline:
    """A run to compare with, and where its facts came from."""

    run: RunResult
    source: str  # RECORD | TAG
    tag: str | None = None

    @property
    def label(self) -> str:
        """``v1.1.0`` or ``run 20261126T...``: how messages name the baseline."""
        return self.tag or f"run {self.run.info.run_id}"

    @property
    def note(self) -> str | None:
        """What the baseline cannot say, when it came from the tag's trailers."""
        if self.source == TAG:
            return (
                f"the record of {self.label} (run {self.run.info.run_id}) is not on this "
                "machine: its tag's trailers stand in (statuses and durations, "
                "no metrics)"
            )
        return None


def for_tag(root: str, record_dir: str, tag: str) -> Baseline | None:
    """The run that made ``tag``: its record when here, else its trailers; None when
    the tag names no relcheck run and no record released it."""
    from relcheck import record
    from relcheck.errors import RepoStateError, UsageError
    from relcheck.git import tagmessage
    from relcheck.git import tags as gittags

    summary, when = None, 0.0
    try:
        ref = gittags.local_tag(root, tag)
        # The raw tag object, read with git itself: gitpython would cost every run ~0.1 s.
        raw = gittags.tag_message(root, ref.object) if ref and ref.annotated else None
    except RepoStateError:
        raw = None
    if raw is not None:
        summary = tagmessage.parse(raw)
        when = _tagged_at(raw)
    if summary is not None:
        path = record.record_path(record_dir, summary.run_id)
        if os.path.exists(path):
            try:
                return Baseline(record.read(path), RECORD, tag)
            except UsageError:
                pass
        return Baseline(_from_trailers(summary, when), TAG, tag)
    # A lightweight tag, or one made by hand: a passed release run that names it.
    for run in record.iter_runs(record_dir):
        if run.info.tag == tag and is_release_run(run):
            return Baseline(run, RECORD, tag)
    return None


def find(root: str, record_dir: str, template: str, current: str | None) -> Baseline | None:
    """The previous release of the run that would make ``current``; None on the first
    release (or outside a repository)."""
    from relcheck.git.describe import previous_release_tag

    tag = previous_release_tag(root, template, current)
    return for_tag(root, record_dir, tag) if tag else None


def _tagged_at(raw: str) -> float:
    """The time in a raw tag object's ``tagger`` header (0 when it has none)."""
    for line in raw.splitlines():
        if not line:
            break  # the headers end at the first empty line
        if line.startswith("tagger "):
            parts = line.rsplit(" ", 2)
            try:
                return float(parts[-2])
            except (IndexError, ValueError):
                return 0.0
    return 0.0


def _from_trailers(summary: TagSummary, when: float) -> RunResult:
    info = RunInfo(
        run_id=summary.run_id,
        root="",
        checklist_path=summary.checklist,
        checklist_sha256=summary.checklist_sha256,
        commit=summary.commit,
        branch=None,
        version=summary.version,
        tag=summary.tag,
        relcheck_version=summary.relcheck_version,
    )
    steps = tuple(
        StepResult(
            status=s.status,
            summary=s.summary,
            step_id=s.id,
            optional=s.optional,
            duration=s.duration,  # when each step started, the trailers do not say
        )
        for s in summary.steps
    )
    return RunResult(info, Outcome.PASSED, when, when, steps)
