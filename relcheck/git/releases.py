"""Which versions were released: every release tag of the whole history, however spelled.

A tag is a release tag when its name parses as a version (PEP 440, by ``packaging``):
``1.2.0``, ``v1.2.0``, or the spelling of the ``release.tag`` pattern. So a version is
released once: with tags ``1.1.0`` and ``1.2.0``, 1.2.0 is not released again as
``v1.2.0``. A shallow clone (CI checkouts fetch one commit and no tags by default) lacks
the earlier tags, so the remote is asked (``git ls-remote --tags``); when it cannot be,
nothing is known, and nothing is released.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relcheck.git import describe as gitdescribe
from relcheck.git import refs as gitrefs
from relcheck.git import remotes as gitremotes
from relcheck.git import tags as gittags
from relcheck.git.versions import Fact, parse_version, tag_version, version_refusal
from relcheck.system import cienv

if TYPE_CHECKING:
    from packaging.version import Version

    from relcheck.models import Checklist, RunInfo
    from relcheck.system.process_output import OutputSink

NETWORK_TIMEOUT = 10.0  # seconds for ls-remote, as the `git` runner's network_timeout


@dataclass(frozen=True)
class ReleaseTag:
    """A tag whose name is a version, and the commit it points at."""

    name: str
    version: Version
    commit: str
    here: bool  # a local tag; else only the remote has it


@dataclass(frozen=True)
class History:
    """The release tags of the whole history, newest version first."""

    tags: tuple[ReleaseTag, ...]
    shallow: bool
    remote: str | None  # the remote whose tags were read too
    problem: str | None = None  # why the release tags are not known

    def brief(self) -> str:
        """The last release in a few words, and where the tags were read, for a summary."""
        last = f"last release {self.tags[0].name}" if self.tags else "no earlier release"
        return last + (f" (shallow clone: tags read from {self.remote})" if self.shallow else "")

    def others(self, tag: str | None) -> list[ReleaseTag]:
        """Every release tag but ``tag`` (the one this release would make)."""
        return [t for t in self.tags if t.name != tag]


def usable_remote(root: str, remote: str) -> str | None:
    """``remote`` when git can ask it (a configured remote, or a URL or path)."""
    if remote in gitremotes.remotes(root):
        return remote
    url = "://" in remote or remote.startswith(("/", "./", "../")) or ":" in remote
    return remote if url else None


def read(
    root: str,
    template: str,
    remote: str | None,
    *,
    ask_remote: bool = True,
    timeout: float = NETWORK_TIMEOUT,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> History:
    """The release tags here and, when asked or when this is a shallow clone, on ``remote``."""
    shallow = gitrefs.is_shallow(root)
    found = {name: (commit, True) for name, commit in gittags.tag_commits(root).items()}
    asked, problem = None, None
    if ask_remote or shallow:
        if remote is None:
            problem = "this is a shallow clone, and no remote to read the release tags from"
        else:
            there, answer = gitremotes.remote_refs(
                root, remote, "tags", timeout=timeout, cancel=cancel, log=log
            )
            if there is not None:
                asked = remote
                for name, commit in there.items():
                    found.setdefault(name, (commit, False))
            else:
                problem = (
                    f"this is a shallow clone, and {remote!r} could not be asked for the "
                    f"release tags ({reason(answer.error)})"
                )
        if not shallow:
            problem = None  # the whole history is here; the remote only adds to it
    tags = []
    for name, (commit, here) in found.items():
        version = tag_version(name, template)
        if version is not None:
            tags.append(ReleaseTag(name, version, commit, here))
    tags.sort(key=lambda t: (t.version, t.here, t.name), reverse=True)
    return History(tuple(tags), shallow, asked, problem)


def reason(error: str) -> str:
    """git's ``fatal:`` line (or its first) from a multi-line complaint."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["no reason given"])[0]


def history_fact(history: History, environ: Mapping[str, str] = os.environ) -> Fact:
    """What relcheck knows of the earlier releases, and from where."""
    if history.problem:
        return Fact(
            False,
            f"{history.problem}; relcheck cannot tell which versions were released",
            cienv.full_history_fix(environ),
        )
    count = len(history.tags)
    tags = f"{count} release tag{'s' * (count != 1)}"
    last = f"the last release is {history.tags[0].name}" if history.tags else "no release yet"
    if history.shallow:
        return Fact(True, f"shallow clone: {tags} read from {history.remote}; {last}")
    where = f"here and on {history.remote}" if history.remote else "here"
    return Fact(True, f"{tags} {where}; {last}")


def already_released(history: History, version: str, tag: str | None) -> Fact | None:
    """The problem when ``version`` was released under another tag name (``1.2.0`` for
    ``v1.2.0``); the tag ``tag`` itself is the release step's own question."""
    parsed = parse_version(version)
    same = [t for t in history.others(tag) if t.version == parsed]
    if not same:
        return None
    found = same[0]
    where = "" if found.here else f" on {history.remote}"
    return Fact(
        False,
        f"{version} is already released as {found.name}{where} (at {found.commit[:9]})",
        "bump the version for a new release: a version is released once, however its tag "
        "is spelled",
    )


def maintenance_branch(patterns: tuple[str, ...], branch: str | None) -> bool:
    """Whether ``branch`` is a maintenance branch: matched by a ``release.branch`` entry
    after the first (``release/*`` in ``[main, "release/*"]``), not by the first, which
    names the main line."""
    import fnmatch

    if branch is None or not patterns or fnmatch.fnmatchcase(branch, patterns[0]):
        return False
    return any(fnmatch.fnmatchcase(branch, p) for p in patterns[1:])


def newer_fact(
    root: str,
    history: History,
    version: str,
    tag: str | None,
    commit: str,
    *,
    maintenance: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> Fact:
    """Whether ``version`` is newer than the last release (PEP 440 order: 1.2.0rc1 comes
    before 1.2.0). On a ``maintenance`` branch, releases newer than ``version`` that are
    not in the history of ``commit`` belong to another line (1.0.1 from ``release/1.x``
    after 2.0.0 on main), which only the whole history can show."""
    parsed = parse_version(version)
    if parsed is None:
        return Fact(False, f"{version} is not a PEP 440 version")
    others = history.others(tag)
    newer = [t for t in others if t.version > parsed]
    if not newer:
        if not others:
            return Fact(True, f"{version}, the first release")
        return Fact(True, f"{version} is newer than the last release {others[0].name}")
    last = newer[0]
    where = "" if last.here else f" on {history.remote}"
    refused = f"{version} is not newer than the last release {last.name}{where}"
    fix = f"name a version after {last.name}"
    if not maintenance:
        older = "releases of an older line are made from a branch listed after the first"
        return Fact(False, refused, f"{fix} ({older} under `release.branch`)")
    if history.shallow:
        # Only the whole history shows whether the newer releases are on another line.
        return Fact(
            False, refused, f"{fix}, or for a maintenance release {cienv.full_history_fix(environ)}"
        )
    for release in newer:
        # None (the commit is not here) is no ancestor either: in a clone that is not
        # shallow, the whole history of the checked commit is here.
        if gitrefs.is_ancestor(root, release.commit, commit) is True:
            return Fact(False, f"{refused}, which this commit comes after", fix)
    return Fact(
        True,
        f"{version} is a maintenance release: {newer[0].name} and the other newer releases "
        "are not in this branch's history",
    )


def previous_release(root: str, history: History, tag: str | None, commit: str) -> str | None:
    """The nearest earlier release tag that ``commit`` descends from (whole history)."""
    others = history.others(tag)
    names = tuple(t.name for t in others if t.here)
    nearest = gitdescribe.previous_tag(root, names, tag or "") if names else None
    if nearest is not None:
        return nearest
    for release in others:  # tags only the remote has (a clone made with --no-tags)
        if not release.here and gitrefs.is_ancestor(root, release.commit, commit):
            return release.name
    return None


def new_commits_fact(root: str, history: History, tag: str | None, commit: str) -> Fact:
    """Whether ``commit`` has something the earlier releases do not."""
    at_commit = [t for t in history.others(tag) if t.commit == commit]
    if at_commit:
        return Fact(
            False,
            f"no commits since {at_commit[0].name}: nothing new to release",
            "commit the changes this release should carry",
        )
    if history.shallow:
        return Fact(
            True,
            "this commit is no earlier release (a shallow clone: the commits since the "
            "last release are not counted)",
        )
    previous = previous_release(root, history, tag, commit)
    if previous is None:
        return Fact(True, "first release: no earlier release tag")
    count = gitrefs.count_commits(root, previous, commit)
    if count == 0:
        return Fact(
            False,
            f"no commits since {previous}: nothing new to release",
            "commit the changes this release should carry",
        )
    return Fact(True, f"{count} commit{'s' * (count != 1)} since {previous}")


def release_refusal(
    root: str,
    checklist: Checklist,
    info: RunInfo,
    *,
    order: bool = True,
    timeout: float = NETWORK_TIMEOUT,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> str | None:
    """Why ``info.version`` must not be released, as the release step asks it just before
    tagging: not a release version, the history unknown (a shallow clone without its
    remote), released already under another spelling, or (``order``) not newer than the
    last release. None when it may be."""
    version, commit = info.version, info.commit
    if version is None or commit is None:
        return None
    release = checklist.release
    problem = version_refusal(version, prerelease=release.prerelease)
    if problem is None:
        history = read(
            root,
            release.tag,
            usable_remote(root, release.remote),
            timeout=timeout,
            cancel=cancel,
            log=log,
        )
        problem = history_fact(history)
        if problem.ok:
            problem = already_released(history, version, info.tag)
        if problem is None and order:
            maintenance = maintenance_branch(release.branch, info.branch)
            problem = newer_fact(root, history, version, info.tag, commit, maintenance=maintenance)
    if problem is None or problem.ok:
        return None
    return problem.text + (f"; fix: {problem.fix}" if problem.fix else "")
