"""Checks of the repository's state shared by the `git` precondition and the `git-tag`
release step: the precondition reports them all before the checks, and the release
step asks them again just before it tags, so a checklist without a `git` step (or a
repository that changed during the run) cannot be tagged in a state the precondition
would have refused."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass

from relcheck import gitrepo
from relcheck.models import Checklist, RunInfo

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


def own_paths(root: str, log_path: str | None) -> tuple[str, ...]:
    """Where a run writes inside the repository: never a reason to stop it."""
    paths = list(OWN_STATE)
    if log_path:  # <record dir>/<run id>/<step>.log, also with --record-dir
        records = os.path.relpath(os.path.dirname(os.path.dirname(log_path)), root)
        if not records.startswith(".."):
            paths.append(records)
    return tuple(paths)


def clean(root: str, untracked: bool, own: tuple[str, ...]) -> list[Finding]:
    """Uncommitted changes to tracked files (and, with ``untracked``, untracked files)."""
    changes = gitrepo.changes(root, untracked=untracked, exclude=own)
    tracked = [c.path for c in changes if c.tracked]
    loose = [c.path for c in changes if not c.tracked]
    found: list[Finding] = []
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
            f"check out the release branch: `git switch {wanted[0]}`",
        )
    if not any(fnmatch.fnmatchcase(on, pattern) for pattern in wanted):
        return Finding(
            "branch",
            False,
            f"on branch {on!r}, but releases are made from {shown}",
            f"`git switch {wanted[0]}` (or change `release.branch`)",
        )
    return Finding("branch", True, f"on {on}")


def committed_version(root: str, commit: str) -> tuple[bool, str | None]:
    """Whether ``commit`` has a pyproject.toml, and its ``[project] version``."""
    import tomllib

    raw = gitrepo.show_file(root, commit, "pyproject.toml")
    if raw is None:
        return False, None
    try:
        data = tomllib.loads(raw.decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError:
        return True, None
    version = data.get("project", {}).get("version")
    return True, str(version) if version is not None else None


def tag_refusal(
    root: str, checklist: Checklist, info: RunInfo, own: tuple[str, ...] = OWN_STATE
) -> str | None:
    """Why the release tag must not be made on ``info.commit`` now, or None.

    Asked by the release step itself, whatever the checklist's preconditions were."""
    commit, version = info.commit or "", info.version
    head = gitrepo.head(root)
    if head.commit != commit:
        return (
            f"HEAD moved from {commit[:9]} to {(head.commit or '-')[:9]} while the checks "
            "ran; no tag was made: run relcheck again on the new commit"
        )
    on_branch = branch(checklist.release.branch, head.branch, commit)
    if not on_branch.ok:
        return f"not tagging: {on_branch.line()}"
    if checklist.release.version_from == "pyproject" and version is not None:
        _, committed = committed_version(root, commit)
        if committed != version:
            said = f"says {committed}" if committed else "has no [project] version"
            return (
                f"not tagging: the tag names version {version} but pyproject.toml as "
                f"committed in {commit[:9]} {said}; fix: commit the version in "
                "pyproject.toml, then run relcheck again"
            )
    dirty = [f for f in clean(root, False, own) if not f.ok]
    if dirty:
        return f"not tagging: {dirty[0].line()}"
    return None


def count(items: list[str] | int, noun: str) -> str:
    n = items if isinstance(items, int) else len(items)
    return f"{n} {noun}{'s' * (n != 1)}"


def few(paths: list[str]) -> str:
    shown = ", ".join(paths[:_SHOWN])
    return shown + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")
