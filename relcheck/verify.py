"""Read a release tag back: which run made it, and does what it says still hold?"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from relcheck import gitrepo
from relcheck.errors import RepoStateError, UsageError
from relcheck.tagmessage import TagSummary, parse


@dataclass(frozen=True)
class TagRecord:
    """A release tag and the run summary its message carries."""

    tag: gitrepo.TagObject
    summary: TagSummary


@dataclass
class Verdict:
    """What ``relcheck verify`` found: each check with whether it holds."""

    tag: str
    record: TagRecord | None = None
    checks: list[tuple[bool, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for ok, _ in self.checks)

    def add(self, ok: bool, text: str) -> None:
        self.checks.append((ok, text))


def names_tag(root: str, ref: str) -> bool:
    """Whether ``ref`` is a tag here (False outside a repository)."""
    try:
        return gitrepo.local_tag(root, ref) is not None
    except RepoStateError:
        return False


def read(root: str, tag: str) -> TagRecord:
    """The run summary of release tag ``tag``; UsageError when it has none."""
    ref = gitrepo.local_tag(root, tag)
    if ref is None:
        raise UsageError(
            f"no tag named {tag!r} in this repository",
            hint="`git fetch --tags` brings the remote's tags",
        )
    obj = gitrepo.read_tag(root, tag)
    if obj is None:
        raise UsageError(f"{tag} is a lightweight tag: it carries no run summary")
    summary = parse(obj.message)
    if summary is None:
        raise UsageError(f"{tag}'s message carries no relcheck run summary")
    return TagRecord(obj, summary)


def verify(root: str, tag: str) -> Verdict:
    """Check that ``tag`` was made by a run in which every required step passed, on the
    commit it points at, with the checklist whose hash it carries."""
    verdict = Verdict(tag)
    try:
        record = read(root, tag)
    except UsageError as exc:
        verdict.add(False, exc.message + (f" ({exc.hint})" if exc.hint else ""))
        return verdict
    verdict.record = record
    summary, obj = record.summary, record.tag
    short = obj.commit[:9]
    if summary.commit == obj.commit:
        verdict.add(True, f"commit: the run checked {short}, the commit the tag points at")
    else:
        verdict.add(
            False,
            f"commit: the tag points at {short} but the run checked {summary.commit[:9]}",
        )
    if summary.tag and summary.tag != tag:
        verdict.add(False, f"name: the run made {summary.tag}, not {tag}")
    _check_steps(verdict, summary)
    _check_checklist(verdict, root, summary, obj.commit)
    if obj.signed:
        good, said = gitrepo.verify_tag(root, tag)
        verdict.add(good, f"signature: {'good' if good else 'does not verify'}: {said}")
    else:
        verdict.add(True, "signature: none (the tag is not signed)")
    return verdict


def _check_steps(verdict: Verdict, summary: TagSummary) -> None:
    required = [s for s in summary.steps if not s.optional]
    if not summary.steps:
        verdict.add(True, "steps: the run had no steps before the release step")
        return
    for step in summary.blocking:
        verdict.add(False, f"steps: required step {step.id!r} {step.status}: {step.summary}")
    if not summary.blocking:
        optional = len(summary.steps) - len(required)
        extra = f" ({optional} optional)" if optional else ""
        verdict.add(True, f"steps: all {len(required)} required steps passed{extra}")


def _check_checklist(verdict: Verdict, root: str, summary: TagSummary, commit: str) -> None:
    path = summary.checklist
    carried = summary.checklist_sha256
    committed = gitrepo.show_file(root, commit, path) if path and not os.path.isabs(path) else None
    current_path = os.path.join(root, path)
    current: bytes | None = None
    if os.path.isfile(current_path):
        with open(current_path, "rb") as fh:
            current = fh.read()
    if committed is not None:
        digest = hashlib.sha256(committed).hexdigest()
        if digest == carried:
            verdict.add(True, f"checklist: {path} at {commit[:9]} has the sha256 the tag carries")
        else:
            verdict.add(
                False,
                f"checklist: {path} at {commit[:9]} has sha256 {digest[:12]}, the tag carries "
                f"{carried[:12]}: the run did not use the committed checklist",
            )
        if current is not None and hashlib.sha256(current).hexdigest() != digest:
            verdict.add(True, f"checklist: note: {path} has changed since {commit[:9]}")
        return
    if current is None:
        verdict.add(False, f"checklist: {path} is neither in {commit[:9]} nor here to compare")
        return
    digest = hashlib.sha256(current).hexdigest()
    if digest == carried:
        verdict.add(True, f"checklist: {path} has the sha256 the tag carries")
    else:
        verdict.add(
            False,
            f"checklist: {path} has sha256 {digest[:12]}, the tag carries {carried[:12]}: "
            "it differs from the checklist of the run",
        )
