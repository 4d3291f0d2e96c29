"""Tag names checked as ``git check-ref-format`` checks them, without running git."""

from __future__ import annotations

_FORBIDDEN = set(" ~^:?*[\\") | {chr(c) for c in range(32)} | {"\x7f"}


def tag_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a tag (``refs/tags/<name>``), or None when it can.

    Follows git's ref-name rules (``git check-ref-format refs/tags/<name>``), and is
    stricter in two cases: a leading ``-`` (it would read as an option to git) and the
    name ``@`` (git reads ``@`` as HEAD, so the tag could never be named on its own).
    """
    if not name:
        return "a tag name cannot be empty"
    if name.startswith("-"):
        return "a tag name cannot start with '-'"
    if name == "@":
        return "a tag name cannot be '@'"
    bad = sorted({c for c in name if c in _FORBIDDEN})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"a tag name cannot contain {shown}"
    if ".." in name:
        return "a tag name cannot contain '..'"
    if "@{" in name:
        return "a tag name cannot contain '@{'"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "a tag name cannot start or end with '/' or contain '//'"
    if name.endswith("."):
        return "a tag name cannot end with '.'"
    for part in name.split("/"):
        if part.startswith("."):
            return "no part of a tag name may start with '.'"
        if part.endswith(".lock"):
            return "no part of a tag name may end with '.lock'"
    return None


def template_problem(template: str) -> str | None:
    """Why the ``release.tag`` template cannot make valid tag names, or None."""
    leftover = template.replace("{version}", "")
    if "{" in leftover or "}" in leftover:
        return "the only placeholder a tag may use is {version}"
    problem = tag_name_problem(template.replace("{version}", "1.0.0"))
    return f"release.tag {template!r}: {problem}" if problem else None


def version_problem(version: str) -> str | None:
    """Why ``version`` cannot be a release version, or None when it can.

    A version becomes part of a tag name and an argument to git, so only the characters
    versions use are accepted (PEP 440 and SemVer: letters, digits, ``.``, ``+``, ``-``,
    ``_``), starting with a letter or a digit.
    """
    import re

    if not version:
        return "the version is empty"
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+_-]*", version):
        return (
            f"version {version!r} is not a version: use letters, digits, '.', '+', '-' "
            "and '_', starting with a letter or a digit"
        )
    if ".." in version or version.endswith((".", ".lock")):
        return f"version {version!r} cannot be part of a tag name"
    return None
