"""Which tag names are release tags, in any spelling: for ``v{version}``, ``v1.2.0`` and
``1.2.0`` both name release 1.2.0 (PEP 440 reads a leading ``v`` as no part of a
version), so a guard on release tags must catch both."""

from __future__ import annotations


def spelled_version(template: str, name: str) -> str | None:
    """The version tag ``name`` names under the ``release.tag`` template, or None when
    it names none: the template's prefix and suffix removed when it has them, else the
    whole name, and what is left must be a PEP 440 version (``v`` prefix allowed)."""
    from packaging.version import InvalidVersion, Version

    prefix, _, suffix = template.partition("{version}")
    candidates = []
    if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix + suffix):
        candidates.append(name[len(prefix) : len(name) - len(suffix)])
    candidates.append(name)
    for text in candidates:
        try:
            Version(text)
        except InvalidVersion:
            continue
        return text
    return None


def same_version(a: str, b: str) -> bool:
    """Whether two version strings name the same PEP 440 version (``v1.2`` is ``1.2.0``);
    plain string equality for versions PEP 440 cannot read."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b
