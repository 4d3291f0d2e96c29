"""Read a release tag back: which run made it, and does what it says still hold?"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from relcheck.errors import RepoStateError, UsageError
from relcheck.git import door
from relcheck.git import refs as gitrefs
from relcheck.git import tags as gittags
from relcheck.git.tagmessage import TagSummary, parse


@dataclass(frozen=True)
class TagRecord:
    """A release tag and the run summary its message carries."""

    tag: gittags.TagObject
    summary: TagSummary


@dataclass(frozen=True)
class ReleaseRules:
    """What the checklist says a release tag is: its name template, and where the
    version comes from (``pyproject``: the tag's version must be the committed one)."""

    tag: str = "v{version}"
    version_from: str = "pyproject"


@dataclass
class Verdict:
    """What ``relcheck verify`` (and the pre-push hook) found: each fact checked, with
    whether it holds, and notes that are no failure."""

    tag: str
    record: TagRecord | None = None
    checks: list[tuple[bool, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for ok, _ in self.checks)

    @property
    def problems(self) -> list[str]:
        return [text for ok, text in self.checks if not ok]

    def add(self, ok: bool, text: str) -> None:
        self.checks.append((ok, text))


def names_tag(root: str, ref: str) -> bool:
    """Whether ``ref`` is a tag here (False outside a repository)."""
    try:
        return gittags.local_tag(root, ref) is not None
    except RepoStateError:
        return False


def read(root: str, tag: str) -> TagRecord:
    """The run summary of release tag ``tag``; UsageError when it has none."""
    ref = gittags.local_tag(root, tag)
    if ref is None:
        raise UsageError(
            f"no tag named {tag!r} in this repository",
            hint="`git fetch --tags` brings the remote's tags",
        )
    obj = gittags.read_tag(root, tag)
    if obj is None:
        raise UsageError(f"{tag} is a lightweight tag: it carries no run summary")
    summary = parse(obj.message)
    if summary is None:
        raise UsageError(f"{tag}'s message carries no relcheck run summary")
    return TagRecord(obj, summary)


def rules_at(root: str, commit: str, checklist: str | None) -> ReleaseRules:
    """The ``release:`` rules of the checklist as committed in ``commit`` (``checklist``
    is its path, else relcheck.yaml); the defaults when it cannot be read. Read as plain
    YAML: a checklist whose plugins are not installed here still names its tag."""
    import yaml

    raw = gitrefs.show_file(root, commit, checklist or "relcheck.yaml")
    try:
        data = yaml.safe_load(raw) if raw else None
    except yaml.YAMLError:
        data = None
    release = data.get("release") if isinstance(data, dict) else None
    if not isinstance(release, dict):
        return ReleaseRules()
    tag, source = release.get("tag"), release.get("version_from")
    return ReleaseRules(
        tag if isinstance(tag, str) and "{version}" in tag else ReleaseRules.tag,
        source if isinstance(source, str) else ReleaseRules.version_from,
    )


def verify(root: str, tag: str) -> Verdict:
    """Check the local tag ``tag`` (see :func:`check`)."""
    ref = gittags.local_tag(root, tag)
    if ref is None:
        verdict = Verdict(tag)
        verdict.add(False, f"no tag named {tag!r} in this repository (`git fetch --tags`)")
        return verdict
    from relcheck.git.checklistpath import checklist_path_at, folder_at

    # The release rules of the project whose checklist made the tag (a repository of
    # several packages has one a package).
    made = gittags.read_tag_object(root, ref.object, tag)
    summary = parse(made.message) if made else None
    folder = folder_at(root, ref.commit, summary.checklist) if summary else ""
    path = checklist_path_at(root, ref.commit, folder)
    return check(root, tag, ref.object, rules_at(root, ref.commit, path))


def check(
    root: str, name: str, obj: str, rules: ReleaseRules | None, *, signature: bool = True
) -> Verdict:
    """Check that ``obj``, as tag ``name``, is a release tag relcheck made for a run in
    which every required step passed: on the commit it points at, under this name, for
    the project's version, with the project's checklist as committed there (the hash it
    carries), and signed well when signed. ``relcheck verify``, the pre-push hook and
    "already released" all ask this."""
    verdict = Verdict(name)
    made = gittags.read_tag_object(root, obj, name)
    commit = made.commit if made else door.git(root, "rev-parse", "--verify", "-q", obj)
    summary = parse(made.message) if made else None
    if made is None:
        verdict.add(False, f"maker: {name} is a lightweight tag: it carries no run summary")
    elif summary is None:
        verdict.add(False, f"maker: {name}'s message carries no relcheck run summary")
    else:
        verdict.record = TagRecord(made, summary)
        verdict.add(
            True, f"maker: the message carries the summary of relcheck run {summary.run_id}"
        )
    if rules is not None:
        _check_version(verdict, root, name, commit, rules, summary)
    if made is None or summary is None:
        return verdict
    short = commit[:9]
    if summary.commit == commit:
        verdict.add(True, f"commit: the run checked {short}, the commit the tag points at")
    else:
        verdict.add(
            False,
            f"commit: the tag points at {short} but the run checked {summary.commit[:9]}",
        )
    if summary.tag is None:
        verdict.add(False, "name: the summary does not say which tag the run made")
    elif summary.tag != name:
        verdict.add(False, f"name: the run made {summary.tag}, not {name}")
    else:
        verdict.add(True, f"name: the run made {name}")
    _check_steps(verdict, summary)
    _check_checklist(verdict, root, summary, commit)
    if made.signed and not signature:
        verdict.add(True, "signature: signed (not checked here)")
    elif made.signed:
        good, said = gittags.verify_tag(root, obj)
        verdict.add(good, f"signature: {'good' if good else 'does not verify'}: {said}")
    else:
        verdict.add(True, "signature: none (the tag is not signed)")
        verdict.notes.append(
            "an unsigned tag's Relcheck-* trailers say what a run found, but anyone can "
            "write them: they prove nothing about who made the tag (`sign: true` makes "
            "tags whose maker `git verify-tag` can check)"
        )
    return verdict


def _check_version(
    verdict: Verdict,
    root: str,
    name: str,
    commit: str,
    rules: ReleaseRules,
    summary: TagSummary | None,
) -> None:
    """The version ``name`` spells is the run's, and (``version_from: pyproject``) the
    one ``pyproject.toml`` has in the tagged commit."""
    from relcheck.git.versions import committed_version, same_version, tag_version

    parsed = tag_version(name, rules.tag)
    if parsed is None:
        verdict.add(False, f"version: {name} names no version under {rules.tag!r}")
        return
    spelled = str(parsed)
    if summary is not None and summary.version and not same_version(spelled, summary.version):
        verdict.add(False, f"version: {name} names {spelled}, the run released {summary.version}")
        return
    if rules.version_from != "pyproject":
        verdict.add(True, f"version: {name} names {spelled}, the run's version")
        return
    from relcheck.git.checklistpath import folder_at

    folder = folder_at(root, commit, summary.checklist) if summary is not None else ""
    named = f"{folder}/pyproject.toml" if folder else "pyproject.toml"
    _, declared = committed_version(root, commit, folder)
    if declared is None:
        verdict.add(False, f"version: {named} at {commit[:9]} has no [project] version")
    elif not same_version(spelled, declared):
        verdict.add(
            False,
            f"version: {name} names {spelled}, but the project's version ({named} at "
            f"{commit[:9]}) is {declared}",
        )
    else:
        verdict.add(True, f"version: {name} names {spelled}, {named}'s version at {commit[:9]}")


def _check_steps(verdict: Verdict, summary: TagSummary) -> None:
    required = [s for s in summary.steps if not s.optional]
    if not summary.steps:
        verdict.add(True, "steps: the run had no steps before the release step")
        return
    for step in summary.blocking:
        verdict.add(False, f"steps: required step {step.id!r} {step.status.words}: {step.summary}")
    if not summary.blocking:
        optional = len(summary.steps) - len(required)
        extra = f" ({optional} optional)" if optional else ""
        plural = "s" * (len(required) != 1)
        verdict.add(True, f"steps: all {len(required)} required step{plural} passed{extra}")


def _check_checklist(verdict: Verdict, root: str, summary: TagSummary, commit: str) -> None:
    """The run used the project's checklist as committed in ``commit``: at the path
    `relcheck run` and the hook find there, with the sha256 the tag carries. A run of
    any other checklist (a file outside the repository, another committed file) says
    nothing about the project's checks."""
    from relcheck.git.checklistpath import checklist_path_at, folder_at, same_path

    folder = folder_at(root, commit, summary.checklist)
    path, carried, short = (
        checklist_path_at(root, commit, folder),
        summary.checklist_sha256,
        commit[:9],
    )
    committed = gitrefs.show_file(root, commit, path)
    same = committed is not None and hashlib.sha256(committed).hexdigest() == carried
    # The content decides: a run that named the project's checklist another way (a
    # symlinked folder, `-c ../relcheck.yaml` from a subfolder) ran the same checks.
    if not same and not same_path(summary.checklist, path):
        verdict.add(
            False,
            f"checklist: the run used {summary.checklist or 'an unnamed checklist'}, not "
            f"{path} as committed in {short}, the project's checklist: a tag made with "
            "another checklist proves nothing about the project's checks; release with the "
            "committed checklist (`relcheck run` without --checklist)",
        )
        return
    if committed is None:
        verdict.add(
            False,
            f"checklist: {short} has no {path}: nothing shows which checks the run made",
        )
        return
    digest = hashlib.sha256(committed).hexdigest()
    if digest != carried:
        verdict.add(
            False,
            f"checklist: {path} at {short} has sha256 {digest[:12]}, the tag carries "
            f"{carried[:12]}: the run did not use the committed checklist",
        )
        return
    verdict.add(True, f"checklist: {path} at {short} has the sha256 the tag carries")
    current_path = os.path.join(root, path)
    if os.path.isfile(current_path):
        with open(current_path, "rb") as fh:
            if hashlib.sha256(fh.read()).hexdigest() != digest:
                verdict.add(True, f"checklist: note: {path} has changed since {short}")
