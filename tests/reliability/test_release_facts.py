"""Release facts come from the whole history, whatever the tag's spelling.

Real repositories: a project with earlier releases pushed to a bare remote, and the
checkouts CI makes of it (``git clone --depth 1``, a detached HEAD). Each scenario is a
verdict (release, or refuse with the reason); a wrong verdict is counted in the figures
("release facts: wrong verdicts") before the test fails. A refusal never leaves a tag,
here or on the remote.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit_all, git, latest_record, run_relcheck, step_record, tags, write
from tests.reliability.support import FIGURES, check_run, remote_tags

WITH_PRECONDITIONS = """
version: 1
release: {{tag: "{tag}", changelog: null, branch: {branch}{extra}}}
steps:
  - id: repo
    uses: git
  - id: check
    run: 'true'
  - id: tag
    uses: git-tag
"""

TAG_STEP_ONLY = """
version: 1
release: {{tag: "{tag}", changelog: null, branch: {branch}{extra}}}
steps:
  - id: check
    run: 'true'
  - id: tag
    uses: git-tag
"""

GITHUB = {"CI": "true", "GITHUB_ACTIONS": "true"}
GITLAB = {"CI": "true", "GITLAB_CI": "true"}


def _pyproject(repo: Path, version: str) -> None:
    write(repo / "pyproject.toml", f'[project]\nname = "demo"\nversion = "{version}"\n')


def project(
    tmp_path: Path,
    released: list[str],
    version: str,
    *,
    tag: str = "v{version}",
    checklist: str = WITH_PRECONDITIONS,
    extra: str = "",
    branch: str = '[main, "release/*"]',
) -> Path:
    """A project whose ``released`` tags (names as given) each mark a commit of that
    version, then a commit of ``version`` with the checklist; all pushed to ``origin``
    (``tmp_path/remote.git``). Returns the project's own clone, with its whole history."""
    remote, repo = tmp_path / "remote.git", tmp_path / "project"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    write(repo / ".gitignore", ".relcheck/\n")
    for name in released:
        _pyproject(repo, name.removeprefix("v"))
        commit_all(repo, f"release {name}")
        git(repo, "tag", "-a", "-m", f"release {name}", name)
    _pyproject(repo, version)
    write(repo / "relcheck.yaml", checklist.format(tag=tag, extra=extra, branch=branch))
    commit_all(repo, f"version {version}")
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "-u", "origin", "main", "--tags")
    return repo


def shallow_clone(tmp_path: Path, name: str = "ci") -> Path:
    """What a CI checkout makes by default: one commit, no tags (depth needs file://)."""
    clone = tmp_path / name
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{tmp_path / 'remote.git'}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    assert tags(clone) == []
    return clone


def verdict(
    repo: Path,
    *args: str,
    refused: bool,
    says: tuple[str, ...] = (),
    code: int | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run relcheck in ``repo``; count the scenario and whether its verdict was wrong;
    then assert it: refused (with ``code``) or not, saying each of ``says``.

    A release refused with ``code`` 0 is one the checks decided: a dry run, or a commit
    off the release branch, where a refusal is said ("the release would be refused")
    and the exit code is the checks' verdict."""
    before = frozenset(tags(repo)) | frozenset(remote_tags(repo))
    if refused and code == 0:
        says = ("the release would be refused", *says)
    proc = run_relcheck("run", *args, cwd=repo, env=env)
    out = proc.stdout + proc.stderr
    wrong = proc.returncode != code if code is not None else (proc.returncode != 0) != refused
    missing = [text for text in says if text not in out]
    FIGURES.add("release facts: scenarios")
    FIGURES.add("release facts: wrong verdicts", int(wrong or bool(missing)))
    assert not wrong, (
        f"exit {proc.returncode}, expected {'refusal' if refused else 'release'}:\n{out}"
    )
    assert not missing, f"output lacks {missing}:\n{out}"
    check_run(proc.returncode, out, repo, tags_before=before)
    if refused:
        assert frozenset(tags(repo)) | frozenset(remote_tags(repo)) == before
    return out


# -- a shallow clone ------------------------------------------------------------------


CI_FIXES = [
    ({}, "`git fetch --tags --unshallow`"),
    (GITHUB, "`fetch-depth: 0` on actions/checkout"),
    (GITLAB, "`GIT_DEPTH: 0`"),
]


@pytest.mark.parametrize("env", [env for env, _ in CI_FIXES], ids=["local", "github", "gitlab"])
def test_a_shallow_clone_does_not_release_a_version_older_than_the_remotes_last(
    tmp_path: Path, env: dict[str, str]
) -> None:
    project(tmp_path, ["v0.8.0", "v1.0.0"], "0.9.0")
    clone = shallow_clone(tmp_path)
    says = ("0.9.0 is not newer than the last release v1.0.0 on origin",)
    verdict(clone, refused=True, code=3, says=says, env=env)
    verdict(clone, "--dry-run", refused=True, code=0, says=says, env=env)


def test_the_release_step_alone_reads_the_remotes_tags_in_a_shallow_clone(
    tmp_path: Path,
) -> None:
    project(tmp_path, ["v1.0.0"], "0.9.0", checklist=TAG_STEP_ONLY)
    clone = shallow_clone(tmp_path)
    says = ("not tagging: 0.9.0 is not newer than the last release v1.0.0 on origin",)
    verdict(clone, "--dry-run", refused=True, code=1, says=says)
    verdict(clone, refused=True, code=1, says=says)


@pytest.mark.parametrize(("env", "fix"), CI_FIXES, ids=["local", "github", "gitlab"])
@pytest.mark.parametrize("checklist", [WITH_PRECONDITIONS, TAG_STEP_ONLY], ids=["git", "git-tag"])
def test_a_shallow_clone_whose_remote_cannot_be_reached_is_refused(
    tmp_path: Path, checklist: str, env: dict[str, str], fix: str
) -> None:
    project(tmp_path, ["v1.0.0"], "1.1.0", checklist=checklist)
    clone = shallow_clone(tmp_path)
    git(clone, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    says = (
        "this is a shallow clone, and 'origin' could not be asked for the release tags",
        "relcheck cannot tell which versions were released",
        fix,
    )
    code = 3 if checklist is WITH_PRECONDITIONS else 1
    verdict(clone, refused=True, code=code, says=says, env=env)


def test_a_shallow_clone_without_a_remote_is_refused(tmp_path: Path) -> None:
    project(tmp_path, ["v1.0.0"], "1.1.0")
    clone = shallow_clone(tmp_path)
    git(clone, "remote", "remove", "origin")
    says = ("this is a shallow clone, and no remote to read the release tags from",)
    verdict(clone, "--dry-run", refused=True, code=0, says=says)


def test_a_shallow_clone_tells_the_last_release_and_releases_a_newer_version(
    tmp_path: Path,
) -> None:
    project(tmp_path, ["v0.9.0", "v1.0.0"], "1.1.0")
    clone = shallow_clone(tmp_path)
    says = ("last release v1.0.0 (shallow clone: tags read from origin)", "would tag v1.1.0")
    verdict(clone, "--dry-run", refused=False, says=says)
    details = step_record(latest_record(clone), "repo")["details"]
    assert (
        "history: shallow clone: 2 release tags read from origin; the last release is v1.0.0"
        in (details)
    )
    verdict(clone, refused=False, says=("created tag v1.1.0",))
    assert tags(clone) == ["v1.1.0"]


def test_the_same_version_is_not_released_again_from_a_shallow_clone(tmp_path: Path) -> None:
    project(tmp_path, ["1.0.0"], "1.0.0")  # the last commit is 1.0.0 too, not yet bumped
    clone = shallow_clone(tmp_path)
    verdict(clone, refused=True, code=3, says=("1.0.0 is already released as 1.0.0 on origin",))


# -- a detached HEAD in CI ------------------------------------------------------------

GITHUB_PUSH_TO_MAIN = {**GITHUB, "GITHUB_REF_TYPE": "branch", "GITHUB_REF_NAME": "main"}
GITLAB_MAIN = {**GITLAB, "CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main"}


def _detached_checkout(tmp_path: Path) -> Path:
    """As actions/checkout leaves it: detached at the commit, origin/main beside it."""
    clone = shallow_clone(tmp_path)
    git(clone, "checkout", "-q", "--detach")
    git(clone, "branch", "-q", "-D", "main")
    return clone


@pytest.mark.parametrize("env", [GITHUB_PUSH_TO_MAIN, GITLAB_MAIN], ids=["github", "gitlab"])
def test_a_detached_head_at_the_tip_of_the_branch_ci_names_is_on_that_branch(
    tmp_path: Path, env: dict[str, str]
) -> None:
    project(tmp_path, ["v1.0.0"], "1.1.0")
    clone = _detached_checkout(tmp_path)
    variable = "GITHUB_REF_NAME" if "GITHUB_ACTIONS" in env else "CI_COMMIT_BRANCH"
    verdict(clone, "--dry-run", refused=False, env=env)
    details = step_record(latest_record(clone), "repo")["details"]
    assert f"branch: on main: HEAD is the tip of origin/main, the branch {variable} names" in (
        details
    )
    verdict(clone, refused=False, env=env, says=("created tag v1.1.0",))


def test_the_branch_tip_is_asked_of_the_remote_when_no_ref_here_shows_it(tmp_path: Path) -> None:
    project(tmp_path, ["v1.0.0"], "1.1.0")
    clone = _detached_checkout(tmp_path)
    git(clone, "update-ref", "-d", "refs/remotes/origin/main")
    verdict(clone, "--dry-run", refused=False, env=GITHUB_PUSH_TO_MAIN)
    details = step_record(latest_record(clone), "repo")["details"]
    assert any("HEAD is the tip of main on origin, as GITHUB_REF_NAME says" in d for d in details)


def test_a_detached_head_that_is_not_the_tip_of_the_branch_ci_names_is_refused(
    tmp_path: Path,
) -> None:
    project(tmp_path, ["v1.0.0"], "1.1.0")
    clone = _detached_checkout(tmp_path)
    commit_all(clone, "a commit the branch does not have")
    says = ("GITHUB_REF_NAME names 'main', but HEAD is not its tip (origin/main is at",)
    # Not on the release branch: the checks decide the exit code, the release is refused.
    verdict(clone, refused=True, code=0, says=says, env=GITHUB_PUSH_TO_MAIN)
    # The release step asks again, without the git step's word for it.
    write(clone / "relcheck.yaml", TAG_STEP_ONLY.format(tag="v{version}", extra="", branch="main"))
    commit_all(clone, "the tag step alone")
    says = ("the release would be refused: branch: HEAD is detached",)
    verdict(clone, refused=True, code=0, says=says, env=GITHUB_PUSH_TO_MAIN)


def test_a_tag_pipeline_names_no_branch(tmp_path: Path) -> None:
    project(tmp_path, ["v1.0.0"], "1.1.0")
    clone = _detached_checkout(tmp_path)
    env = {**GITHUB, "GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "main"}
    verdict(clone, "--dry-run", refused=True, code=0, says=("HEAD is detached",), env=env)


# -- a version is released once, whatever the tag's spelling --------------------------


@pytest.mark.parametrize("checklist", [WITH_PRECONDITIONS, TAG_STEP_ONLY], ids=["git", "git-tag"])
def test_a_version_tagged_without_the_v_is_not_released_again_with_it(
    tmp_path: Path, checklist: str
) -> None:
    repo = project(tmp_path, ["1.1.0", "1.2.0"], "1.2.0", checklist=checklist)
    code = 3 if checklist is WITH_PRECONDITIONS else 1
    verdict(repo, refused=True, code=code, says=("1.2.0 is already released as 1.2.0",))
    assert "v1.2.0" not in tags(repo)


def test_a_version_spelled_differently_is_the_same_release(tmp_path: Path) -> None:
    repo = project(tmp_path, ["v1.2"], "1.2.0")  # PEP 440: 1.2 == 1.2.0
    verdict(repo, refused=True, code=3, says=("1.2.0 is already released as v1.2",))


def test_a_pre_release_after_its_final_release_is_not_newer(tmp_path: Path) -> None:
    repo = project(tmp_path, ["v1.1.0", "v1.2.0"], "1.2.0rc1", extra=", prerelease: true")
    verdict(
        repo, refused=True, code=3, says=("1.2.0rc1 is not newer than the last release v1.2.0",)
    )


@pytest.mark.parametrize(
    ("version", "says"),
    [
        ("2.3.0.dev0", "2.3.0.dev0 is a development version, not a release"),
        ("2.3.0.dev", "2.3.0.dev is a development version, not a release"),
        ("1.0+local", "1.0+local has a local version label (+local), which is not for release"),
        ("2.0.0rc1", "2.0.0rc1 is a pre-release, and the checklist does not allow pre-releases"),
        ("release-7", "release-7 is not a PEP 440 version"),
    ],
)
@pytest.mark.parametrize("checklist", [WITH_PRECONDITIONS, TAG_STEP_ONLY], ids=["git", "git-tag"])
def test_a_version_that_is_no_release_is_refused(
    tmp_path: Path, version: str, says: str, checklist: str
) -> None:
    repo = project(tmp_path, ["v0.9.0"], version, checklist=checklist)
    verdict(repo, refused=True, code=3 if checklist is WITH_PRECONDITIONS else 1, says=(says,))
    assert tags(repo) == ["v0.9.0"]


def test_a_pre_release_is_released_when_the_checklist_allows_it(tmp_path: Path) -> None:
    repo = project(tmp_path, ["v1.0.0"], "2.0.0rc1", extra=", prerelease: true")
    verdict(repo, refused=False, says=("created tag v2.0.0rc1",))
    _pyproject(repo, "2.0.0")
    commit_all(repo, "2.0.0")
    verdict(repo, refused=False, says=("created tag v2.0.0",))


def test_a_maintenance_release_of_an_older_line_is_newer_than_its_own_line(
    tmp_path: Path,
) -> None:
    repo = project(tmp_path, ["v1.0.0"], "2.0.0")
    git(repo, "tag", "-a", "-m", "release 2.0.0", "v2.0.0")
    git(repo, "switch", "-q", "-c", "release/1.x", "v1.0.0")
    git(repo, "checkout", "main", "--", "relcheck.yaml")
    _pyproject(repo, "1.0.1")
    commit_all(repo, "fix on the 1.x line")
    says = ("1.0.1 is a maintenance release: v2.0.0 and the other newer releases are not in",)
    verdict(repo, "--dry-run", refused=False)
    details = step_record(latest_record(repo), "repo")["details"]
    assert any(says[0] in d for d in details), details
    verdict(repo, refused=False, says=("created tag v1.0.1",))
    # On main, after 2.0.0, the same version is not newer.
    git(repo, "switch", "-q", "main")
    _pyproject(repo, "1.0.2")
    commit_all(repo, "an older version on main")
    verdict(repo, refused=True, code=3, says=("1.0.2 is not newer than the last release v2.0.0",))


def test_tags_that_name_no_version_are_not_releases(tmp_path: Path) -> None:
    repo = project(tmp_path, ["v1.0.0"], "1.1.0")
    git(repo, "tag", "deploy-2026-11-30")
    git(repo, "tag", "v9-beta-candidate")
    verdict(repo, "--dry-run", refused=False, says=("last release v1.0.0",))


def test_a_maintenance_release_needs_the_whole_history(tmp_path: Path) -> None:
    repo = project(tmp_path, ["v1.0.0"], "2.0.0")
    git(repo, "tag", "-a", "-m", "release 2.0.0", "v2.0.0")
    git(repo, "switch", "-q", "-c", "release/1.x", "v1.0.0")
    git(repo, "checkout", "main", "--", "relcheck.yaml")
    _pyproject(repo, "1.0.1")
    commit_all(repo, "fix on the 1.x line")
    git(repo, "push", "-q", "origin", "release/1.x", "--tags")
    clone = tmp_path / "ci"
    remote = f"file://{tmp_path / 'remote.git'}"
    git(tmp_path, "clone", "-q", "--depth", "1", "-b", "release/1.x", remote, str(clone))
    says = ("1.0.1 is not newer than the last release v2.0.0 on origin", "fetch-depth: 0")
    verdict(clone, "--dry-run", refused=True, code=0, says=says, env=GITHUB)


def test_the_main_line_does_not_release_an_older_version_made_on_another_branch(
    tmp_path: Path,
) -> None:
    # As click's main (8.5.0.dev) beside 8.5.0 released from `stable`: main is the first
    # release branch, so a release older than the last is refused there.
    repo = project(tmp_path, ["v1.0.0"], "1.0.0", branch="[main, stable]")
    git(repo, "switch", "-q", "-c", "stable")
    _pyproject(repo, "1.1.0")
    commit_all(repo, "1.1.0 on stable")
    git(repo, "tag", "-a", "-m", "release 1.1.0", "v1.1.0")
    git(repo, "switch", "-q", "main")
    _pyproject(repo, "1.0.1")
    commit_all(repo, "1.0.1 on main")
    says = ("1.0.1 is not newer than the last release v1.1.0", "after the first")
    verdict(repo, refused=True, code=3, says=says)
