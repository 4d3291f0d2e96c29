"""Find the section of a changelog that belongs to a version."""

from __future__ import annotations

import re

# ATX headings (`## [1.2.0] - 2026-11-26`, `# v1.2.0`, `### Version 1.2.0 (2026-11-26)`).
_ATX = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
# Setext / reStructuredText underlines (`1.2.0 (2026-11-26)` over `=====` or `-----`).
_UNDERLINE = re.compile(r"^ {0,3}([=\-~^*+#])\1{2,}\s*$")
_UNRELEASED = re.compile(r"\bunreleased\b", re.IGNORECASE)


def headings(text: str) -> list[tuple[int, str]]:
    """Every heading of a Markdown or reStructuredText changelog, with its line number."""
    found: list[tuple[int, str]] = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        atx = _ATX.match(line)
        if atx:
            found.append((index + 1, atx.group(1)))
            continue
        if (
            _UNDERLINE.match(line)
            and index > 0
            and lines[index - 1].strip()
            and not _UNDERLINE.match(lines[index - 1])
        ):
            found.append((index, lines[index - 1].strip()))
    return found


def heading_names_version(heading: str, version: str) -> bool:
    """Whether ``heading`` is the heading of ``version``'s section (not a longer version)."""
    heading = re.sub(r"\]\([^)]*\)", "]", heading)  # `[1.2.0](compare/v1.1.0...v1.2.0)`
    if _UNRELEASED.search(heading):
        return False
    # The version stands alone: `1.2.0` must not match `11.2.0`, `1.2.0rc1` or `1.2.0.1`.
    pattern = rf"(?<![\w.+-])v?{re.escape(version)}(?![\w+]|[.-]\w)"
    return re.search(pattern, heading, flags=re.IGNORECASE) is not None


def section_line(text: str, version: str) -> int | None:
    """The line of the heading for ``version``, or None when the changelog has none."""
    for line, heading in headings(text):
        if heading_names_version(heading, version):
            return line
    return None


_VERSION_IN_HEADING = re.compile(r"v?\d+(?:\.\d+)+[\w.+-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def heading_for(text: str, version: str) -> str:
    """A heading for ``version`` written as the changelog writes its latest version's
    (``Version 1.3.0`` underlined with ``-------------`` in a reStructuredText file), or
    ``## [1.3.0] - YYYY-MM-DD`` when it has none to follow."""
    lines = text.splitlines()
    for line, heading in headings(text):
        found = _VERSION_IN_HEADING.search(heading)
        if found is None or _UNRELEASED.search(heading):
            continue
        v = "v" if found.group().startswith("v") else ""
        title = heading[: found.start()] + v + version + heading[found.end() :]
        title = _DATE.sub("YYYY-MM-DD", title)
        atx = _ATX.match(lines[line - 1])
        if atx:
            level = lines[line - 1].lstrip().split(maxsplit=1)[0]
            return f"{level} {title}"
        underline = lines[line].strip()[:1]
        return f"{title}` underlined with `{underline * len(title)}"
    return f"## [{version}] - YYYY-MM-DD"
