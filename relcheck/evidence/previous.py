"""The previous release when ``git describe`` finds none: the release tags the release
preconditions read (relcheck.git.releases: every spelling of a version, and in a shallow
clone the remote's tags).

``git describe`` sees only the tags of the history here, spelled as ``release.tag``. A
shallow clone (a CI checkout of one commit) has neither the earlier commits nor their
tags, so it sees no release at all, and a run took that for a first release: the gates
then passed by ``first_release: pass``. Here a release that exists is named, and when
relcheck cannot read it (its tag is only on the remote, its record not on this machine)
or cannot tell which release came before, that is a doubt, which the gates fail on.

The tag object is not fetched to read its trailers: into a shallow clone git brings the
tagged commit with its whole history (or, with a depth, moves the clone's shallow
boundary), a change to the repository that no check should make unasked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from relcheck.models import RunInfo


@dataclass(frozen=True)
class Previous:
    """The release before this run's, as far as relcheck can tell."""

    tag: str | None  # None: there is none, a first release
    remote: str | None = None  # where its tag is, when only the remote has it
    doubt: str | None = None  # why relcheck cannot tell which release came before


def find(root: str, template: str, remote: str, info: RunInfo) -> Previous:
    """The newest release before ``info``'s: in a full clone the nearest release tag
    HEAD descends from, in a shallow one (whose ancestry is not here) the newest release
    of a version no newer than ``info.version``."""
    from relcheck.git import describe, releases
    from relcheck.git.versions import parse_version

    history = releases.read(root, template, releases.usable_remote(root, remote), ask_remote=False)
    if history.problem:
        return Previous(
            None,
            doubt=f"relcheck cannot tell which release came before: {with_fix(history.problem)}",
        )
    # This run's own tag is an earlier release only on another commit (made by hand, or
    # by an earlier run of this version); on the commit itself it is this release.
    earlier = [
        t
        for t in history.tags
        if not (t.name == info.tag and (info.commit is None or t.commit == info.commit))
    ]
    if not history.shallow:
        names = tuple(t.name for t in earlier if t.here)
        nearest = describe.previous_tag(root, names, "", info.commit or "HEAD") if names else None
        return Previous(nearest)
    version = parse_version(info.version) if info.version else None
    for release in earlier:  # newest first
        if version is None or release.version <= version:
            return Previous(release.name, None if release.here else history.remote)
    return Previous(None)


def with_fix(problem: str) -> str:
    """``problem`` with the fix for where relcheck runs."""
    from relcheck.system import cienv

    return f"{problem}; fix: {cienv.full_history_fix(os.environ)}"


def unreadable(tag: str, remote: str) -> str:
    """Why the previous release ``tag``, only on ``remote``, is no baseline here."""
    return with_fix(
        f"the previous release {tag} is on {remote} but not in this shallow clone, and "
        "its record is not on this machine: relcheck cannot compare with it"
    )
