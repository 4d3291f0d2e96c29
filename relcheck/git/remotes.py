"""Remotes: which there are, and fetch, ls-remote and push, each bounded by a timeout and
never prompting (see :func:`relcheck.git.door.network`)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from relcheck.git.door import NetworkResult, git, network
from relcheck.git.tags import TagRef

if TYPE_CHECKING:
    from relcheck.system.process_output import OutputSink


def remote_of(root: str, branch: str) -> str | None:
    """The remote the upstream of ``branch`` comes from (``origin``)."""
    out = git(root, "config", "--get", f"branch.{branch}.remote", check=False)
    return out or None


def remotes(root: str) -> list[str]:
    """The configured remote names."""
    out = git(root, "remote", check=False)
    return out.split() if out else []


def fetch(
    root: str,
    remote: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> NetworkResult:
    """``git fetch`` the remote's branches (not its tags), bounded by ``timeout``."""
    args = ["fetch", "--quiet", "--no-tags", "--", remote]
    return network(root, args, timeout=timeout, cancel=cancel, log=log)


def remote_tag(
    root: str,
    remote: str,
    tag: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> tuple[TagRef | None, NetworkResult]:
    """``tag`` as ``remote`` has it (None if it has no such tag)."""
    ref = f"refs/tags/{tag}"
    args = ["ls-remote", "--tags", "--", remote, ref, f"{ref}^{{}}"]
    result = network(root, args, timeout=timeout, cancel=cancel, log=log)
    if not result.ok:
        return None, result
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        sha, _, name = line.partition("\t")
        found[name.strip()] = sha.strip()
    if ref not in found:
        return None, result
    # An annotated tag is listed twice: the tag object, then ``^{}``, the commit.
    peeled = found.get(f"{ref}^{{}}")
    return TagRef(tag, found[ref], peeled or found[ref], peeled is not None), result


def remote_refs(
    root: str,
    remote: str,
    kind: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
    pattern: str | None = None,
) -> tuple[dict[str, str] | None, NetworkResult]:
    """``remote``'s ``kind`` of refs (``tags`` or ``heads``), by short name, each with the
    commit it points at (an annotated tag's ``^{}`` line); None when it could not be asked."""
    args = ["ls-remote", f"--{kind}", "--", remote, *([pattern] if pattern else [])]
    result = network(root, args, timeout=timeout, cancel=cancel, log=log)
    if not result.ok:
        return None, result
    found: dict[str, str] = {}
    prefix = f"refs/{kind}/"
    for line in result.stdout.splitlines():
        sha, _, ref = line.strip().partition("\t")
        if not ref.startswith(prefix):
            continue
        name = ref.removeprefix(prefix)
        if name.endswith("^{}"):
            found[name.removesuffix("^{}")] = sha  # the commit wins over the tag object
        else:
            found.setdefault(name, sha)
    return found, result


def remote_tag_commit(
    root: str,
    remote: str,
    tag: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> tuple[str | None, NetworkResult]:
    """The commit ``tag`` points at on ``remote`` (None if it has no such tag)."""
    there, result = remote_tag(root, remote, tag, timeout=timeout, cancel=cancel, log=log)
    return (there.commit if there else None), result


def fetch_tag_object(
    root: str,
    remote: str,
    tag: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> NetworkResult:
    """Bring the objects of ``remote``'s ``tag`` here without making or moving any ref."""
    args = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", remote]
    args.append(f"refs/tags/{tag}")
    return network(root, args, timeout=timeout, cancel=cancel, log=log)


def push_tag(
    root: str,
    remote: str,
    tag: str,
    *,
    timeout: float,
    cancel: threading.Event | None = None,
    log: OutputSink | None = None,
) -> NetworkResult:
    """Push ``tag`` (only that ref) to ``remote``; a tag already there is never overwritten."""
    ref = f"refs/tags/{tag}"
    return network(
        root,
        ["push", "--porcelain", "--no-verify", "--", remote, f"{ref}:{ref}"],
        timeout=timeout,
        cancel=cancel,
        log=log,
    )
