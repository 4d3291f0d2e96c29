"""What a push is about: git's pre-push lines (or pre-commit's variables), and which of
the pushed commits the checklist's ``hook:`` section asks to check."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from relcheck.errors import UsageError
from relcheck.models import Checklist

ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class PushedRef:
    """One line of git's pre-push input: ``<local ref> <local sha> <remote ref> <remote sha>``."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deletes(self) -> bool:
        """True when the push deletes ``remote_ref`` (git sends an all-zero local sha)."""
        return set(self.local_sha) == {"0"}

    @property
    def name(self) -> str:
        """The remote ref's short name: ``main`` for a branch, ``v1.2.0`` for a tag."""
        for prefix in ("refs/heads/", "refs/tags/"):
            if self.remote_ref.startswith(prefix):
                return self.remote_ref[len(prefix) :]
        return self.remote_ref


@dataclass(frozen=True)
class Target:
    """A commit to check, and the refs the push points at it."""

    sha: str
    refs: tuple[str, ...]
    branch: str | None  # the pushed branch's short name, when one of the refs is a branch


def parse_lines(text: str) -> list[PushedRef]:
    """git's pre-push input, one ``PushedRef`` per non-empty line."""
    refs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        # rsplit: a local ref given as an expression (``HEAD~1``) has no spaces, but be safe.
        parts = line.rsplit(maxsplit=3)
        if len(parts) != 4:
            raise UsageError(
                f"pre-push input line {number} is not `<local ref> <local sha> <remote ref> "
                f"<remote sha>`: {line!r}",
                hint="`relcheck run --hook pre-push` reads what git passes to a pre-push hook",
            )
        refs.append(PushedRef(*parts))
    return refs


def from_pre_commit(environ: Mapping[str, str]) -> list[PushedRef] | None:
    """The pushed ref as pre-commit describes it (it reads git's input itself and sets
    ``PRE_COMMIT_*`` variables), or None when not run by pre-commit's pre-push stage."""
    remote_ref = environ.get("PRE_COMMIT_REMOTE_BRANCH")
    to_ref = environ.get("PRE_COMMIT_TO_REF")
    local_ref = environ.get("PRE_COMMIT_LOCAL_BRANCH")
    if not (remote_ref or to_ref):
        return None
    # pre-commit leaves TO_REF unset for a new branch with no ancestor on the remote; the
    # local branch then names what is pushed.
    local = to_ref or local_ref or "HEAD"
    return [
        PushedRef(
            local_ref=local_ref or local,
            local_sha=local,  # a sha or a ref; resolved to a sha before the run
            remote_ref=remote_ref or local_ref or "HEAD",
            remote_sha=environ.get("PRE_COMMIT_FROM_REF") or ZERO_SHA,
        )
    ]


def default_patterns(checklist: Checklist) -> tuple[str, ...]:
    """The refs a hook checks when ``hook.branches`` is empty: every branch (in a
    pull-request workflow nobody pushes to the release branch), and release tags (the tag
    template with ``{version}`` as ``*``)."""
    tag_glob = "refs/tags/" + checklist.release.tag.replace("{version}", "*")
    return ("*", tag_glob)


def selects(patterns: Iterable[str], ref: PushedRef) -> bool:
    """True when a pattern matches the pushed ref: a glob on the branch name, or, when it
    starts with ``refs/``, on the full remote ref name (``refs/tags/v*``)."""
    for pattern in patterns:
        if pattern.startswith("refs/"):
            if fnmatch.fnmatchcase(ref.remote_ref, pattern):
                return True
        elif ref.remote_ref.startswith("refs/heads/") and fnmatch.fnmatchcase(ref.name, pattern):
            return True
    return False


def targets(checklist: Checklist | None, refs: Iterable[PushedRef]) -> list[Target]:
    """The commits to check, in push order: one per distinct pushed sha that a selected
    ref points at (every ref, when there is no checklist to choose). Deletions are never
    checked: there is nothing to check."""
    patterns = None
    if checklist is not None:
        patterns = checklist.hook.branches or default_patterns(checklist)
    by_sha: dict[str, list[PushedRef]] = {}
    for ref in refs:
        if ref.deletes or (patterns is not None and not selects(patterns, ref)):
            continue
        by_sha.setdefault(ref.local_sha, []).append(ref)
    found = []
    for sha, pushed in by_sha.items():
        branches = [r.name for r in pushed if r.remote_ref.startswith("refs/heads/")]
        found.append(
            Target(sha, tuple(r.remote_ref for r in pushed), branches[0] if branches else None)
        )
    return found
