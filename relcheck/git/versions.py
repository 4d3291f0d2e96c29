"""What a version is: PEP 440 (read by ``packaging``), in any spelling of its tag,
whether it is one to release (not a development or local version, and a pre-release
only when the checklist allows it), and the version a commit's pyproject.toml declares."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from packaging.version import Version


class Fact(NamedTuple):
    """What was found, whether it lets the release go ahead, and the fix when it does not."""

    ok: bool
    text: str
    fix: str = ""


def parse_version(text: str) -> Version | None:
    """``text`` as a PEP 440 version, or None when it is not one."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None


def without_v(version: str) -> str:
    """``version`` without a leading ``v`` or ``V`` when PEP 440 reads it so (``v1.3.0``
    is 1.3.0): the tag template says whether a tag has a ``v``, and ``v{version}`` must not
    make ``vv1.3.0``. Other spellings stay as written: they are the project's choice."""
    if version[:1] in ("v", "V") and parse_version(version) is not None:
        return version[1:]
    return version


def tag_version(name: str, template: str) -> Version | None:
    """The version the tag ``name`` releases (``release.tag`` is ``template``), or None
    when the name is no version: ``v1.2.0`` and ``1.2.0`` both release 1.2.0 for the
    patterns ``v{version}`` and ``{version}``; ``deploy-42`` releases nothing.

    A pattern that names more than the version (``pkg-a-{version}``: a package of a
    repository of several) counts only its own tags: ``v2.0.0`` there is another
    project's release, not one of package a."""
    prefix, _, suffix = template.partition("{version}")
    inner = len(name) - len(prefix) - len(suffix)
    if (prefix or suffix) and inner > 0 and name.startswith(prefix) and name.endswith(suffix):
        found = parse_version(name[len(prefix) : len(name) - len(suffix)])
        if found is not None:
            return found
    if prefix.lower() not in ("", "v") or suffix:
        return None
    return parse_version(name)  # packaging reads a leading "v" itself


def same_version(a: str, b: str) -> bool:
    """Whether two version strings name the same PEP 440 version (``v1.2`` is ``1.2.0``);
    plain string equality for versions PEP 440 cannot read."""
    first, second = parse_version(a), parse_version(b)
    if first is None or second is None:
        return a == b
    return first == second


def release_of(version: str) -> str:
    """The release ``version`` leads to: without its ``.dev`` part and local label
    (3.2.0.dev1 -> 3.2.0, 2.0rc1.dev0 -> 2.0rc1), or ``version`` itself."""
    parsed = parse_version(version)
    if parsed is None or not (parsed.is_devrelease or parsed.local is not None):
        return version
    text = parsed.base_version
    if parsed.pre is not None:
        text += f"{parsed.pre[0]}{parsed.pre[1]}"
    if parsed.post is not None:
        text += f".post{parsed.post}"
    return text


def version_refusal(version: str, *, prerelease: bool) -> Fact | None:
    """Why ``version`` is no version to release (development, local, a pre-release the
    checklist does not allow, or not PEP 440 at all), or None."""
    parsed = parse_version(version)
    if parsed is None:
        return Fact(
            False,
            f"{version} is not a PEP 440 version, so it cannot be ordered against the "
            "earlier releases",
            "use a version such as 1.2.0 or 1.2.0rc1",
        )
    if parsed.is_devrelease:
        return Fact(
            False,
            f"{version} is a development version, not a release",
            "commit the version to release, without its .dev part",
        )
    if parsed.local is not None:
        return Fact(
            False,
            f"{version} has a local version label (+{parsed.local}), which is not for release",
            f"release {parsed.public} instead",
        )
    if parsed.is_prerelease and not prerelease:
        return Fact(
            False,
            f"{version} is a pre-release, and the checklist does not allow pre-releases",
            "set `prerelease: true` under `release:` to release it, or release "
            f"{parsed.base_version}",
        )
    return None


def committed_version(root: str, commit: str, folder: str = "") -> tuple[bool, str | None]:
    """Whether ``commit`` has a pyproject.toml in ``folder`` (the project's, from the top
    of the tree), and its ``[project] version``."""
    from relcheck.errors import UsageError
    from relcheck.git import refs as gitrefs
    from relcheck.system import pyproject

    raw = gitrefs.show_file(
        root, commit, f"{folder}/pyproject.toml" if folder else "pyproject.toml"
    )
    if raw is None:
        return False, None
    try:
        version = pyproject.value(pyproject.parse(raw, "pyproject.toml"), "project", "version")
    except UsageError:
        return True, None
    return True, str(version) if version is not None else None
