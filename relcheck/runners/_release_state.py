"""Checks of the repository's state shared by the `git` precondition and the `git-tag`
release step: the precondition reports them all before the checks, and the release
step asks them again just before it tags, so a checklist without a `git` step (or a
repository that changed during the run) cannot be tagged in a state the precondition
would have refused."""

from __future__ import annotations

import fnmatch
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relcheck.git import repo as gitrepo
from relcheck.git.versions import committed_version
from relcheck.models import Checklist, RunInfo
from relcheck.system.cienv import detached_head_fix

if TYPE_CHECKING:
    from relcheck.system.process import OutputSink

# relcheck writes its records here before the checks run; they are never a reason to stop.
OWN_STATE = (".relcheck",)
_SHOWN = 5  # paths listed per problem


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: what was found and, for a problem, how to fix it."""

    check: str
    ok: bool
    text: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.check}: {self.text}" + (f"; fix: {self.fix}" if self.fix else "")


def own_paths(root: str, log_path: str | None, mine: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Where a run writes inside the repository: never a reason to stop it. ``mine``
    are the folders the run was given (--record-dir, --junit, --from-records)."""
    paths = list(OWN_STATE)
    found = list(mine)
    if log_path:  # <record dir>/<run id>/<step>.log, also with --record-dir
        found.append(os.path.dirname(os.path.dirname(log_path)))
    top = os.path.realpath(root)
    for path in found:
        inside = os.path.relpath(os.path.realpath(path), top)
        # Outside the work tree it cannot show up; the whole tree is never "ours".
        if not inside.startswith("..") and inside != "." and inside not in paths:
            paths.append(inside)
    return tuple(paths)


def clean(root: str, untracked: bool, own: tuple[str, ...]) -> list[Finding]:
    """Uncommitted changes to tracked files (and, with ``untracked``, untracked files)."""
    changes = gitrepo.changes(root, untracked=untracked, exclude=own)
    tracked = [c.path for c in changes if c.tracked and not c.hidden]
    hidden = [c.path for c in changes if c.hidden]
    loose = [c.path for c in changes if not c.tracked]
    found: list[Finding] = []
    if hidden:
        found.append(
            Finding(
                "clean",
                False,
                f"{count(hidden, 'tracked file')} changed but hidden from `git status` by "
                f"`git update-index --assume-unchanged` or `--skip-worktree` ({few(hidden)})",
                "show them with `git update-index --no-assume-unchanged --no-skip-worktree "
                "-- PATH`, then commit them or `git restore` them",
            )
        )
    if tracked:
        found.append(
            Finding(
                "clean",
                False,
                f"{count(tracked, 'tracked file')} changed and not committed ({few(tracked)})",
                "commit the changes, or set them aside with `git stash`",
            )
        )
    if loose:
        found.append(
            Finding(
                "untracked",
                False,
                f"{count(loose, 'untracked file')} ({few(loose)})",
                "commit them, add them to .gitignore, set them aside with `git stash -u`, "
                "or set `untracked: allow`",
            )
        )
    if not found:
        found.append(Finding("clean", True, "no uncommitted changes"))
    return found


def branch(wanted: tuple[str, ...], on: str | None, commit: str | None) -> Finding:
    """Whether HEAD is on a branch that ``release.branch`` names or matches."""
    if not wanted:  # the loader refuses this; a checklist built in code may not
        return Finding("branch", False, "release.branch names no branch", "set `release.branch`")
    shown = " or ".join(wanted)
    if on is None:
        return Finding(
            "branch",
            False,
            f"HEAD is detached at {(commit or '')[:9]}; releases are made from {shown}",
            detached_head_fix(os.environ, wanted[0]),
        )
    if not any(fnmatch.fnmatchcase(on, pattern) for pattern in wanted):
        return Finding(
            "branch",
            False,
            f"on branch {on!r}, but releases are made from {shown}",
            f"`git switch {wanted[0]}` (or change `release.branch`)",
        )
    return Finding("branch", True, f"on {on}")


def switched_off(checklist: Checklist) -> frozenset[str]:
    """The checks a `git` step of ``checklist`` switches off (``branch: false``...): a
    choice the release step respects rather than overrules."""
    off: set[str] = set()
    for step in checklist.steps:
        if step.uses == "git":
            off.update(
                name for name in ("branch", "clean", "version") if not getattr(step.params, name)
            )
    return frozenset(off)


def tag_refusal(
    root: str, checklist: Checklist, info: RunInfo, own: tuple[str, ...] = OWN_STATE
) -> str | None:
    """Why the release tag must not be made on ``info.commit`` now, or None.

    Asked by the release step itself, whatever the checklist's preconditions were; only
    a check a `git` step switches off is not asked again."""
    commit, version = info.commit or "", info.version
    off = switched_off(checklist)
    head = gitrepo.head(root)
    if head.commit != commit:
        return (
            f"HEAD moved from {commit[:9]} to {(head.commit or '-')[:9]} while the checks "
            "ran; no tag was made: run relcheck again on the new commit"
        )
    on = head.branch or _ci_branch(root, checklist, commit)
    on_branch = branch(checklist.release.branch, on, commit)
    if not on_branch.ok and "branch" not in off:
        return f"not tagging: {on_branch.line()}"
    pyproject = checklist.release.version_from == "pyproject"
    if pyproject and version is not None and "version" not in off:
        _, committed = committed_version(root, commit)
        if committed != version:
            said = f"says {committed}" if committed else "has no [project] version"
            return (
                f"not tagging: the tag names version {version} but pyproject.toml as "
                f"committed in {commit[:9]} {said}; fix: commit the version in "
                "pyproject.toml, then run relcheck again"
            )
    dirty = [] if "clean" in off else [f for f in clean(root, False, own) if not f.ok]
    if dirty:
        return f"not tagging: {dirty[0].line()}"
    # Asked last, as it may ask the remote: a release version, not released already under
    # any spelling of its tag, and (unless the `git` step switches `version` off) newer.
    from relcheck.git.releases import release_refusal

    refused = release_refusal(root, checklist, info, order="version" not in off)
    return f"not tagging: {refused}" if refused else None


def _ci_branch(root: str, checklist: Checklist, commit: str) -> str | None:
    """The branch of a detached HEAD in CI, as ``context.ci_branch_at_head`` verifies it."""
    from relcheck.engine.context import ci_branch_at_head

    return ci_branch_at_head(root, checklist.release.remote, commit).name


def not_made_by_relcheck(root: str, ref: gitrepo.TagRef) -> str | None:
    """Why ``ref`` is not a release tag relcheck made for the commit it points at, or None.

    Only such a tag proves a release: a hand-made tag (lightweight, or annotated without
    the ``Relcheck-*`` trailers) says nothing about which checks passed."""
    from relcheck.git import tagmessage

    if not ref.annotated:
        return "a lightweight tag"
    text = gitrepo.tag_message(root, ref.object)
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
    ref: gitrepo.TagRef,
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
    there, answer = gitrepo.remote_tag(
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


def count(items: list[str] | int, noun: str) -> str:
    n = items if isinstance(items, int) else len(items)
    return f"{n} {noun}{'s' * (n != 1)}"


def few(paths: list[str]) -> str:
    shown = ", ".join(paths[:_SHOWN])
    return shown + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")
