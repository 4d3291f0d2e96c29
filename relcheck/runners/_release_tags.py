"""Whether a release tag at the checked commit proves a release: made by relcheck (its
trailers and run summary hold), and with ``release.push`` on the remote too."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from relcheck.git import remotes as gitremotes
from relcheck.git import tags as gittags
from relcheck.models import Checklist, RunInfo
from relcheck.runners._release_state import Finding

if TYPE_CHECKING:
    from relcheck.system.process_output import OutputSink


def not_made_by_relcheck(root: str, ref: gittags.TagRef) -> str | None:
    """Why ``ref`` is not a release tag relcheck made for the commit it points at, or None.

    Only such a tag proves a release: a hand-made tag (lightweight, or annotated without
    the ``Relcheck-*`` trailers) says nothing about which checks passed."""
    from relcheck.git import tagmessage

    if not ref.annotated:
        return "a lightweight tag"
    text = gittags.tag_message(root, ref.object)
    if text is None:
        return "a tag whose object is not here"
    summary = tagmessage.parse(text)
    if summary is None:
        return "an annotated tag without relcheck's Relcheck-* trailers"
    if summary.commit != ref.commit or (summary.tag and summary.tag != ref.name):
        return f"a tag relcheck made for {summary.tag or 'another tag'} at {summary.commit[:9]}"
    from relcheck.git.verify import check

    # The rest of what `relcheck verify` asks: every required step passed, with the
    # checklist committed there: a tag is a release only if its run passed.
    verdict = check(root, ref.name, ref.object, None, signature=False)
    if not verdict.ok:
        return f"a tag whose run summary does not hold ({verdict.problems[0]})"
    return None


def foreign(tag: str, why: str, where: str = "") -> Finding:
    """The finding for a tag at the checked commit that relcheck did not make."""
    if where:
        fix = (
            f"delete it there with `git push --delete {where} {tag}` and let relcheck make "
            "it, or release another version"
        )
        where = f" on {where}"
    else:
        fix = f"delete it with `git tag -d {tag}` and let relcheck make it"
    return Finding(
        "tag",
        False,
        f"{tag}{where} is at the checked commit but is {why}: only a tag relcheck made "
        "counts as released",
        fix,
    )


def local_release(
    root: str,
    checklist: Checklist,
    info: RunInfo,
    ref: gittags.TagRef,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> tuple[str | None, Finding | None]:
    """What the release tag ``ref``, here at the checked commit, means: ``(released,
    None)`` when the release is made, else ``(None, problem)``.

    With ``release.push``, a release is made only when the remote has the tag too. A tag
    relcheck made but never pushed is not pushed now: that is a decision for a person
    (the push may have failed for a reason still true), so the problem says how."""
    tag, commit = ref.name, ref.commit
    why = not_made_by_relcheck(root, ref)
    if why is not None:
        return None, foreign(tag, why)
    release = checklist.release
    if not release.push:
        return _made(tag, commit, "", info), None
    there, answer = gitremotes.remote_tag(
        root, release.remote, tag, timeout=timeout, cancel=cancel, log=log
    )
    if not answer.ok:
        return None, Finding(
            "tag",
            False,
            f"{tag} is here; could not ask {release.remote!r} whether it has it: {answer.error}",
            "check the network and `git remote -v`",
        )
    if there is None:
        return None, Finding(
            "tag",
            False,
            f"{tag} was made at {commit[:9]} but is not on {release.remote}: the release "
            "is half made",
            f"push it with `git push {release.remote} refs/tags/{tag}`, or delete it with "
            f"`git tag -d {tag}` and run relcheck again",
        )
    if there.commit != commit:
        return None, elsewhere(tag, there.commit, commit, f" on {release.remote}")
    return _made(tag, commit, f", here and on {release.remote}", info), None


def _made(tag: str, commit: str, where: str, info: RunInfo) -> str:
    """ "Already released", or, with release steps after the tag left, what resumes."""
    if info.resume:
        return (
            f"{tag} is made at {commit[:9]}{where}; the release resumes with "
            f"{', '.join(info.resume)}, which did not complete"
        )
    return f"{tag} is already released at {commit[:9]}{where}: nothing to do"


def elsewhere(tag: str, tagged: str, commit: str, where: str) -> Finding:
    """The finding for a tag that exists at another commit than the checked one."""
    return Finding(
        "tag",
        False,
        f"{tag} already exists{where} at {tagged[:9]}, not at the checked commit {commit[:9]}; "
        "an existing tag is never moved",
        "bump the version for a new release (a tag made by mistake can be deleted with "
        f"`git tag -d {tag}`)",
    )


def made_by_another_run(
    root: str, remote: str, there: gittags.TagRef, commit: str, *, timeout: float
) -> bool:
    """Whether ``there``, ``remote``'s tag, is a release tag relcheck made for ``commit``:
    another run of the same commit (a second CI job) released it first. Its object is
    fetched without making a ref here when this clone does not have it."""
    if there.commit != commit or not there.annotated:
        return False
    if gittags.tag_message(root, there.object) is None:
        gitremotes.fetch_tag_object(
            root, remote, there.name, timeout=timeout, cancel=threading.Event()
        )
    return not_made_by_relcheck(root, there) is None
