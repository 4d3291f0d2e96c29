"""Checks of the repository's state shared by the `git` precondition and the `git-tag`
release step: the precondition reports them all before the checks, and the release
step asks them again just before it tags, so a checklist without a `git` step (or a
repository that changed during the run) cannot be tagged in a state the precondition
would have refused."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass

from relcheck.api import Checklist, RunInfo
from relcheck.git import refs as gitrefs
from relcheck.git import worktree
from relcheck.git.versions import committed_version, without_v
from relcheck.system.cienv import detached_head_fix

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
    # Whether the fix still helps when the release is only refused (the checks ran on
    # another branch): "git switch main" does not, on a feature branch; a detached
    # HEAD's fix does, as in CI it says how the job's checkout gets onto the branch.
    keep_fix_on_refusal: bool = True

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
    changes = worktree.changes(root, untracked=untracked, exclude=own)
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
        return Finding(
            "branch",
            False,
            "release.branch names no branch",
            "set `release.branch`",
            keep_fix_on_refusal=False,
        )
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
            keep_fix_on_refusal=False,
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
    head = gitrefs.head(root)
    if head.commit != commit:
        return (
            f"HEAD moved from {commit[:9]} to {(head.commit or '-')[:9]} while the checks "
            "ran; no tag was made: run relcheck again on the new commit"
        )
    on = head.branch or _ci_branch(root, checklist, commit)
    on_branch = branch(checklist.release.branch, on, commit)
    if not on_branch.ok and "branch" not in off:
        return f"not tagging: {on_branch.line()}"
    from relcheck.git.checklistpath import not_the_projects

    stray = not_the_projects(root, commit, info.checklist_path, info.checklist_sha256)
    if stray is not None:
        return f"not tagging: {stray[0]}; fix: {stray[1]}"
    pyproject = checklist.release.version_from == "pyproject"
    if pyproject and version is not None and "version" not in off:
        from relcheck.git.checklistpath import folder_here

        _, committed = committed_version(root, commit, folder_here(root, info.checklist_path))
        if committed is None or without_v(committed) != version:
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
    """The branch of a detached HEAD in CI, as ``cibranch.ci_branch_at_head`` verifies it."""
    from relcheck.git.cibranch import ci_branch_at_head

    return ci_branch_at_head(root, checklist.release.remote, commit).name


def count(items: list[str] | int, noun: str) -> str:
    n = items if isinstance(items, int) else len(items)
    return f"{n} {noun}{'s' * (n != 1)}"


def few(paths: list[str]) -> str:
    shown = ", ".join(paths[:_SHOWN])
    return shown + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")
