"""Local tags: find, list, create, delete, verify and read them."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from relcheck.errors import RepoStateError
from relcheck.git.door import git, gitpython_tag, run_git


@dataclass(frozen=True)
class TagRef:
    """A tag: the tag object (or the commit, for a lightweight tag) and the commit."""

    name: str
    object: str
    commit: str
    annotated: bool


def local_tag(root: str, tag: str) -> TagRef | None:
    """The local tag named ``tag``, or None."""
    fmt = "%(refname)%00%(objectname)%00%(objecttype)%00%(*objectname)"
    out = git(root, "for-each-ref", f"--format={fmt}", f"refs/tags/{tag}")
    for line in out.splitlines():
        ref, obj, kind, peeled = line.split("\0")
        if ref == f"refs/tags/{tag}":
            annotated = kind == "tag"
            return TagRef(tag, obj, peeled if annotated else obj, annotated)
    return None


def tag_commits(root: str) -> dict[str, str]:
    """Every local tag with the commit it points at (tags of trees or blobs left out)."""
    fmt = "%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)"
    out = git(root, "for-each-ref", f"--format={fmt}", "refs/tags")
    found: dict[str, str] = {}
    for line in out.splitlines():
        name, kind, obj, peeled_kind, peeled = line.split("\0")
        if kind == "commit":
            found[name] = obj
        elif peeled_kind == "commit":
            found[name] = peeled
    return found


def create_tag(root: str, tag: str, commit: str, message: str, *, sign: bool) -> TagRef:
    """Create the annotated (or signed) tag ``tag`` on ``commit``; never moves a tag."""
    # --cleanup=verbatim keeps lines that start with '#' (a step summary may).
    git(
        root,
        "tag",
        "-s" if sign else "-a",
        "--cleanup=verbatim",
        "-F",
        "-",
        "--",
        tag,
        commit,
        input=message,
    )
    made = local_tag(root, tag)
    if made is None:  # pragma: no cover - git said it made it
        raise RepoStateError(f"git tag reported success but {tag} does not exist")
    if sign:
        # Some git versions (2.39) report success when ssh-keygen could not sign, and
        # store its error message where the signature belongs: check, and undo.
        body = git(root, "cat-file", "tag", made.object)
        if "-----BEGIN" not in body.split(message.rstrip("\n"), 1)[-1]:
            said = body.split(message.rstrip("\n"), 1)[-1].strip() or "no signature"
            delete_tag(root, made)
            raise RepoStateError(f"git tag -s made no signature ({said})")
    return made


def delete_tag(root: str, tag: TagRef) -> str | None:
    """Delete ``tag`` only if it still is the object we made; None, or why it failed."""
    try:
        git(root, "update-ref", "-d", f"refs/tags/{tag.name}", tag.object)
    except RepoStateError as exc:
        return exc.message
    return None


def verify_tag(root: str, tag: str) -> tuple[bool, str]:
    """``git verify-tag``: whether the signature of the tag (a name, or a tag object's
    id) is good, and what git said."""
    proc = run_git(root, "verify-tag", "--", tag)
    # git prints the tag on stdout and its verdict on stderr; when the signature is sound
    # but its signer is not trusted, the last line says so ("No principal matched.").
    said = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode == 0:
        good = [line for line in said if line.startswith("Good")]
        return True, (good or said or ["signature verified"])[0]
    return False, "; ".join(said[-2:]) or f"git verify-tag exited {proc.returncode}"


@dataclass(frozen=True)
class TagObject:
    """An annotated tag read back: what it points at, who made it, and its message."""

    name: str
    commit: str
    tagger: str
    tagged_at: float
    message: str  # without the signature
    signed: bool


def read_tag(root: str, tag: str) -> TagObject | None:
    """The annotated tag ``tag``; None when there is no such tag or it is lightweight."""
    ref = local_tag(root, tag)
    if ref is None or not ref.annotated:
        return None
    obj = gitpython_tag(root, tag)
    if obj is None:
        return None
    message, _, signature = obj.message.partition("-----BEGIN ")
    tagger = f"{obj.tagger.name} <{obj.tagger.email}>" if obj.tagger else ""
    return TagObject(tag, ref.commit, tagger, float(obj.tagged_date), message, bool(signature))


def read_tag_object(root: str, obj: str, name: str) -> TagObject | None:
    """The annotated tag object ``obj`` (an object id, as a pre-push hook gets it, or a
    ref), read as ``name``; None when ``obj`` is not a tag object (a lightweight tag
    names a commit)."""
    kind = git(root, "cat-file", "-t", obj, check=False)
    if kind != "tag":
        return None
    raw = git(root, "cat-file", "tag", obj, strip=False)
    head, _, body = raw.partition("\n\n")
    tagger, when = "", 0.0
    for line in head.splitlines():
        if line.startswith("tagger "):
            who, _, stamp = line[len("tagger ") :].rpartition("> ")
            tagger = who + ">"
            with contextlib.suppress(ValueError, IndexError):
                when = float(stamp.split()[0])
    message, _, signature = body.partition("-----BEGIN ")
    commit = git(root, "rev-parse", "--verify", "-q", f"{obj}^{{commit}}", check=False)
    return TagObject(name, commit, tagger, when, message, bool(signature))


def tag_message(root: str, obj: str) -> str | None:
    """The raw text of the annotated tag object ``obj``; None when it is not here."""
    out = git(root, "cat-file", "tag", obj, check=False)
    return out or None
