"""Release tags read as versions, versions refused for release, and CI's word on the
branch and the fix for a shallow checkout."""

from __future__ import annotations

import pytest

from relcheck.git.versions import parse_version, tag_version, version_refusal
from relcheck.system.cienv import ci_branch, full_history_fix


@pytest.mark.parametrize(
    ("name", "template", "version"),
    [
        ("1.2.0", "v{version}", "1.2.0"),
        ("v1.2.0", "v{version}", "1.2.0"),
        ("v1.2.0", "{version}", "1.2.0"),
        ("pkg-1.2.0", "pkg-{version}", "1.2.0"),
        ("release/1.2.0-final", "release/{version}-final", "1.2.0"),
        ("1.2", "v{version}", "1.2.0"),  # PEP 440: the same version as 1.2.0
        ("v2.0.0rc1", "v{version}", "2.0.0rc1"),
        ("deploy-42", "v{version}", None),
        ("pkg-1.2.0", "v{version}", None),  # another package's pattern
        ("v1.2.0", "pkg-{version}", None),  # the top-level project's, not the package's
        ("1.2.0", "release/{version}-final", None),
        ("latest", "{version}", None),
    ],
)
def test_a_tag_names_a_version_in_any_of_its_spellings(
    name: str, template: str, version: str | None
) -> None:
    found = tag_version(name, template)
    assert found == (parse_version(version) if version else None)


def test_versions_are_ordered_as_pep_440_orders_them() -> None:
    order = ["1.2.0.dev0", "1.2.0a1", "1.2.0rc1", "1.2.0", "1.2.0.post1", "1.10.0"]
    parsed = [parse_version(v) for v in order]
    assert parsed == sorted(parsed)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("version", "prerelease", "refused"),
    [
        ("1.2.0", False, None),
        ("2026.11.30", False, None),
        ("2.0.0rc1", True, None),
        ("1.3.0-rc.1", True, None),
        ("2.0.0rc1", False, "is a pre-release, and the checklist does not allow pre-releases"),
        ("2.3.0.dev0", True, "is a development version, not a release"),
        ("2.3.0.dev", False, "is a development version, not a release"),
        ("1.0+local", False, "has a local version label (+local)"),
        ("release-7", False, "is not a PEP 440 version"),
    ],
)
def test_only_release_versions_may_be_released(
    version: str, prerelease: bool, refused: str | None
) -> None:
    fact = version_refusal(version, prerelease=prerelease)
    if refused is None:
        assert fact is None
    else:
        assert fact is not None and not fact.ok
        assert refused in fact.text
        assert fact.fix


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, None),
        ({"GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch"}, None),  # not in Actions
        (
            {"GITHUB_ACTIONS": "true", "GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch"},
            ("main", "GITHUB_REF_NAME"),
        ),
        ({"GITHUB_ACTIONS": "true", "GITHUB_REF_NAME": "v1.0", "GITHUB_REF_TYPE": "tag"}, None),
        (
            {"GITHUB_ACTIONS": "true", "GITHUB_HEAD_REF": "fix", "GITHUB_REF_NAME": "7/merge"},
            ("fix", "GITHUB_HEAD_REF"),
        ),
        ({"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main"}, ("main", "CI_COMMIT_BRANCH")),
        (
            {"GITLAB_CI": "true", "CI_COMMIT_REF_NAME": "main"},
            ("main", "CI_COMMIT_REF_NAME"),
        ),
        ({"GITLAB_CI": "true", "CI_COMMIT_REF_NAME": "v1.0", "CI_COMMIT_TAG": "v1.0"}, None),
    ],
)
def test_the_branch_a_ci_job_names(environ: dict[str, str], named: tuple[str, str] | None) -> None:
    assert ci_branch(environ) == named


@pytest.mark.parametrize(
    ("environ", "fix"),
    [
        ({}, "run `git fetch --tags --unshallow` first"),
        ({"CI": "true", "GITHUB_ACTIONS": "true"}, "set `fetch-depth: 0` on actions/checkout"),
        ({"CI": "true", "GITLAB_CI": "true"}, "set the job variable `GIT_DEPTH: 0`"),
        ({"CI": "true"}, "make the CI checkout fetch the whole history and the tags"),
    ],
)
def test_the_fix_for_a_shallow_checkout_names_the_ci_setting(
    environ: dict[str, str], fix: str
) -> None:
    assert full_history_fix(environ).startswith(fix)
