"""Where relcheck runs: a CI job (``CI=true`` or ``--ci``), GitHub Actions or GitLab CI in
particular."""

from __future__ import annotations

from collections.abc import Mapping

_TRUE = ("1", "true", "yes", "on")


def flag(environ: Mapping[str, str], name: str) -> bool:
    """True when ``environ[name]`` is set to a true-looking value (1, true, yes, on)."""
    return environ.get(name, "").strip().lower() in _TRUE


def is_ci(environ: Mapping[str, str], forced: bool = False) -> bool:
    """CI mode: ``--ci``, or ``CI`` set true as GitHub Actions, GitLab CI and most others do."""
    return forced or flag(environ, "CI")


def on_github(environ: Mapping[str, str]) -> bool:
    """True inside a GitHub Actions job."""
    return environ.get("GITHUB_ACTIONS") == "true"


def on_gitlab(environ: Mapping[str, str]) -> bool:
    """True inside a GitLab CI job."""
    return environ.get("GITLAB_CI") == "true"


def ci_system(environ: Mapping[str, str]) -> str | None:
    """``github``, ``gitlab``, ``ci`` (another CI system) or None outside CI."""
    if on_github(environ):
        return "github"
    if on_gitlab(environ):
        return "gitlab"
    return "ci" if is_ci(environ) else None


def detached_head_fix(environ: Mapping[str, str], branch: str) -> str:
    """How to put HEAD on ``branch`` where relcheck runs: CI checkouts are detached at the
    commit the job builds, so the fix names that commit's variable, not `git switch`."""
    commit_variable = {"github": "GITHUB_SHA", "gitlab": "CI_COMMIT_SHA"}.get(
        ci_system(environ) or ""
    )
    if commit_variable:
        return f'`git checkout -B {branch} "${commit_variable}"` before relcheck runs in the job'
    if is_ci(environ):
        return f"check out {branch} at the commit the job builds (`git checkout -B {branch}`)"
    return f"check out the release branch: `git switch {branch}`"


def full_history_fix(environ: Mapping[str, str]) -> str:
    """How to give relcheck the whole history and the tags, where it runs."""
    local = "`git fetch --tags --unshallow` first"
    return {
        "github": "set `fetch-depth: 0` on actions/checkout (the whole history and the "
        f"tags), or run {local}",
        "gitlab": f"set the job variable `GIT_DEPTH: 0` (the whole history), or run {local}",
        "ci": f"make the CI checkout fetch the whole history and the tags, or run {local}",
    }.get(ci_system(environ) or "", f"run {local}")


def ci_branch(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The branch the CI job says it builds, and the variable that says so.

    GitHub: GITHUB_HEAD_REF for a pull request, else GITHUB_REF_NAME when GITHUB_REF_TYPE
    is ``branch``; GitLab: CI_COMMIT_BRANCH, else CI_COMMIT_REF_NAME unless the pipeline
    is for a tag. Only a name: whether HEAD is that branch's tip is for the caller to see.
    """
    system = ci_system(environ)
    if system == "github":
        if environ.get("GITHUB_HEAD_REF"):
            return environ["GITHUB_HEAD_REF"], "GITHUB_HEAD_REF"
        if environ.get("GITHUB_REF_TYPE") == "branch" and environ.get("GITHUB_REF_NAME"):
            return environ["GITHUB_REF_NAME"], "GITHUB_REF_NAME"
    elif system == "gitlab":
        if environ.get("CI_COMMIT_BRANCH"):
            return environ["CI_COMMIT_BRANCH"], "CI_COMMIT_BRANCH"
        if environ.get("CI_COMMIT_REF_NAME") and not environ.get("CI_COMMIT_TAG"):
            return environ["CI_COMMIT_REF_NAME"], "CI_COMMIT_REF_NAME"
    return None
