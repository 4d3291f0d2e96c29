"""Which release tag is nearest: the one on HEAD, the newest before it (``git describe``)."""

from __future__ import annotations

from relcheck.errors import RepoStateError
from relcheck.git.door import git


def describe_version(root: str, template: str, *, exact: bool) -> tuple[str, str] | None:
    """``(tag, version)`` of the newest release tag reachable from HEAD, or, with
    ``exact``, of a release tag on HEAD itself. Only tags the ``release.tag`` template
    makes count (``v{version}`` matches ``v1.2.0``, not ``deploy-42``)."""
    prefix, _, suffix = template.partition("{version}")
    args = ["describe", "--tags", "--abbrev=0", f"--match={prefix}*{suffix}"]
    out = git(root, *args, *(["--exact-match"] if exact else []), "HEAD", check=False)
    if not out or not out.startswith(prefix) or not out.endswith(suffix):
        return None
    version = out[len(prefix) : len(out) - len(suffix)]
    return (out, version) if version else None


def previous_tag(
    root: str, match: str | tuple[str, ...], exclude: str, rev: str = "HEAD"
) -> str | None:
    """The nearest tag matching a glob of ``match`` reachable from ``rev``, except
    ``exclude``."""
    globs = (match,) if isinstance(match, str) else match
    out = git(
        root,
        "describe",
        "--tags",
        "--abbrev=0",
        *(f"--match={glob}" for glob in globs),
        f"--exclude={exclude}",
        rev,
        check=False,
    )
    return out or None


def previous_release_tag(root: str, template: str, current: str | None) -> str | None:
    """The newest release tag (one ``template`` makes) reachable from HEAD other than
    ``current``; None when there is none or git cannot say."""
    if "{version}" not in template:
        return None
    try:
        return previous_tag(root, template.replace("{version}", "*"), current or "")
    except RepoStateError:
        return None
