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
