"""Finding a version's section in the changelog styles real projects use."""

from __future__ import annotations

import pytest

from relcheck.git.changelog import heading_for, section_line
from relcheck.git.refname import version_problem


@pytest.mark.parametrize(
    "text",
    [
        "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2026-11-26\n### Added\n- x\n",
        "## [1.2.0]\n",
        "## 1.2.0 - 2026-11-26\n",
        "## v1.2.0 (2026-11-26)\n",
        "### Version 1.2.0\n",
        "# 1.2.0\n",
        "## [1.2.0](https://example.invalid/compare/v1.1.0...v1.2.0) (2026-11-26)\n",
        "Changes\n=======\n\n1.2.0 (2026-11-26)\n------------------\n\n- x\n",
        "demo 1.2.0 (2026-11-26)\n=======================\n",
        "v1.2.0\n~~~~~~\n",
        "## Release 1.2.0 ##\n",
    ],
)
def test_section_is_found_in_common_heading_styles(text: str) -> None:
    assert section_line(text, "1.2.0") is not None


@pytest.mark.parametrize(
    "text",
    [
        "## [Unreleased]\n- 1.2.0 is coming\n",  # mentioned, but not a heading
        "## [11.2.0] - 2026-11-26\n",
        "## [1.2.0rc1] - 2026-11-20\n",
        "## 1.2.0-beta.1\n",
        "## 1.2.0.1\n",
        "## [1.3.0](https://example.invalid/compare/v1.2.0...v1.3.0)\n",
        "## Unreleased (1.2.0)\n",
        "[1.2.0]: https://example.invalid/compare/v1.1.0...v1.2.0\n",
        "",
    ],
)
def test_other_versions_and_mentions_are_not_the_section(text: str) -> None:
    assert section_line(text, "1.2.0") is None


def test_the_section_line_is_that_of_the_heading() -> None:
    text = "# Changelog\n\n## [1.3.0] - 2026-12-01\n\n## [1.2.0] - 2026-11-26\n"
    assert section_line(text, "1.2.0") == 5
    assert section_line("1.2.0\n=====\n", "1.2.0") == 1


@pytest.mark.parametrize("version", ["1.2.0", "2.0.0rc1", "1.0.0-beta.2+build.5", "2026.11"])
def test_real_versions_are_accepted(version: str) -> None:
    assert version_problem(version) is None


@pytest.mark.parametrize(
    "version", ["v1;rm -rf ~", "--upload-pack=x", "$(touch x)", "1..2", "", "1.0 beta", "-1"]
)
def test_versions_that_could_be_read_as_commands_or_options_are_refused(version: str) -> None:
    assert version_problem(version) is not None


@pytest.mark.parametrize(
    ("text", "suggested"),
    [
        ("# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2026-01-01\n", "## [1.2.0] - YYYY-MM-DD"),
        ("## v1.1.0 (2026-01-01)\n", "## v1.2.0 (YYYY-MM-DD)"),
        ("### Version 1.1.0\n", "### Version 1.2.0"),
        (
            "Version 1.1.0\n-------------\n\nReleased 2026-01-01\n",
            "Version 1.2.0` underlined with `-------------",
        ),
        (
            "Changes\n=======\n\n1.1.0 (2026-01-01)\n~~~~~~~~~~~~~~~~~~\n",
            "1.2.0 (YYYY-MM-DD)` underlined with `~~~~~~~~~~~~~~~~~~",
        ),
        ("# Changelog\n\nNothing yet.\n", "## [1.2.0] - YYYY-MM-DD"),
        ("", "## [1.2.0] - YYYY-MM-DD"),
    ],
)
def test_a_missing_section_is_suggested_in_the_changelog_s_own_style(
    text: str, suggested: str
) -> None:
    assert heading_for(text, "1.2.0") == suggested
    if "underlined" not in suggested:
        assert section_line(text + "\n" + suggested + "\n", "1.2.0") is not None
