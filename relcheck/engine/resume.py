"""Where a release stands when its tag exists: which release steps after the tag earlier
runs completed, and which are left. A release is made only when all of them completed;
until then the next run resumes with the ones left, without making the tag again."""

from __future__ import annotations

from dataclasses import dataclass, field

from relcheck import record
from relcheck.git import tags as gittags
from relcheck.models import Checklist, RunInfo, Status, StepKind


@dataclass(frozen=True)
class Progress:
    """The release steps after the tag: done (step id -> the run that did it) and left."""

    tag: str
    completed: dict[str, str] = field(default_factory=dict)
    left: tuple[str, ...] = ()


def progress(root: str, checklist: Checklist, info: RunInfo, directory: str) -> Progress | None:
    """How far the release of ``info.tag`` got, when relcheck made that tag for a
    passing run of ``info.commit``; None otherwise (no tag yet, or one the release
    steps refuse: they say why). The records in ``directory`` say which release steps
    after the tag completed; one no record shows completed is left to do."""
    tag, commit = info.tag, info.commit
    if not tag or not commit:
        return None
    releases = [s for s in checklist.steps if s.kind is StepKind.RELEASE]
    first = next((i for i, s in enumerate(releases) if s.uses == "git-tag"), None)
    if first is None:
        return None  # no tag step: nothing to resume, and the modules below stay unloaded
    from relcheck.git import tagmessage
    from relcheck.runners._release_tags import not_made_by_relcheck

    ref = gittags.local_tag(root, tag)
    if ref is None or ref.commit != commit or not_made_by_relcheck(root, ref) is not None:
        return None
    after = {s.id for s in releases[first + 1 :]}
    message = gittags.tag_message(root, ref.object) or ""
    summary = tagmessage.parse(message)
    # The steps before the tag passed in the run that made it, or there were no tag. The
    # tag step itself runs again: it checks that the remote has the tag.
    made_by = summary.run_id if summary else "-"
    completed = {s.id: made_by for s in releases[:first]}
    if after:
        for run in record.iter_runs(directory):
            if run.info.tag != tag or run.info.commit != commit or run.info.dry_run:
                continue
            for result in run.steps:
                if result.step_id in after and result.status is Status.PASSED:
                    completed.setdefault(result.step_id, run.info.run_id)
    left = tuple(s.id for s in releases[first + 1 :] if s.id not in completed)
    return Progress(tag, completed, left)
