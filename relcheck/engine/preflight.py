"""What a run refuses or decides before any step runs: the steps it names, the tag it
would make, whether its branch may release, and which steps ``--failed`` runs again."""

from __future__ import annotations

import sys
from collections.abc import Collection

from relcheck import record
from relcheck.errors import UsageError
from relcheck.models import Checklist, Outcome, RunInfo, StepKind


def branch_refusal(checklist: Checklist, info: RunInfo) -> str | None:
    """ "the release would be refused: branch: ..." when HEAD is not on a release branch
    (the `git` step's own `branch` check, asked whether or not the checklist has that
    step), unless a `git` step switches the branch check off; else None."""
    if not any(s.kind is StepKind.RELEASE for s in checklist.steps):
        return None
    from relcheck.runners._release_state import branch, switched_off

    if "branch" in switched_off(checklist):
        return None
    finding = branch(checklist.release.branch, info.branch, info.commit)
    return None if finding.ok else f"the release would be refused: branch: {finding.text}"


def check_selection(
    checklist: Checklist,
    *,
    only: Collection[str],
    skip: Collection[str],
    confirmations: Collection[str],
) -> None:
    """Refuse step ids the checklist does not have, and a release step left out."""
    known = {s.id for s in checklist.steps}
    releases = {s.id for s in checklist.steps if s.kind is StepKind.RELEASE}
    selections = (
        ("--only", tuple(only)),
        ("--skip", tuple(skip)),
        ("--confirm", tuple(confirmations)),
    )
    for flag, ids in selections:
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UsageError(
                f"{flag} names unknown step(s): {', '.join(unknown)}",
                hint=f"steps are: {', '.join(sorted(known))}",
            )
    for step_id in only:
        if step_id in releases:
            raise UsageError(
                f"--only cannot select release step {step_id!r}: release steps run only "
                "in a full run (`relcheck run`) or `relcheck release --from-records`"
            )
    # A skipped release step would still leave a run that passed, looking like a
    # release: running the checks without releasing is what --dry-run is for.
    for step_id in skip:
        if step_id in releases:
            raise UsageError(
                f"--skip cannot skip release step {step_id!r}: "
                "use --dry-run to run the checks without releasing"
            )


def check_tag(tag: str | None, version: str | None, *, mode: str, from_cli: bool) -> None:
    """Refuse, before any step runs, a version that makes an invalid or unsafe tag name
    (``1;rm -rf ~``, ``--upload-pack=x``, ``1..0``) when the checklist has a release
    step: it could not make the tag, and such a value should never reach git, even as an
    argument. Without a release step the version is only data for the steps."""
    from relcheck.git.refname import tag_name_problem

    if mode not in ("run", "release") or tag is None:
        return
    problem = tag_name_problem(tag)
    if problem:
        source = "--version" if from_cli else "the version"
        raise UsageError(
            f"{source} {version!r} makes the tag {tag!r}, which git cannot take: {problem}",
            hint="pass a plain version such as --version 1.2.3",
        )


def not_passed_last_time(info: RunInfo, checklist: Checklist, directory: str) -> set[str]:
    """Steps that did not pass in the last finished run of this checklist, steps new
    since, and what needs them."""
    unreadable: list[str] = []
    last = next(
        (
            r
            for r in record.iter_runs(directory, unreadable)
            if r.outcome is not Outcome.RUNNING and r.info.checklist_path == info.checklist_path
        ),
        None,
    )
    for problem in unreadable:  # passed over, as `relcheck history` does, and said so
        sys.stderr.write(f"relcheck: skipped {problem}\n")
    if last is None:
        raise UsageError(
            f"--failed needs an earlier run of {info.checklist_path} to compare with, "
            "and none is recorded",
            hint="run `relcheck run` first",
        )
    passed = {r.step_id for r in last.steps if r.status.ok}
    rerun = {s.id for s in checklist.steps if s.id not in passed}
    grew = True
    while grew:  # add dependents until nothing new needs a rerun step
        grew = False
        for step in checklist.steps:
            if step.id not in rerun and any(n in rerun for n in step.needs):
                rerun.add(step.id)
                grew = True
    return rerun
