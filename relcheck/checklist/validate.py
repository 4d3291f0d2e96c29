"""Validate a checklist's parsed data: the schema, each step's runner and its ``with:``
parameters, the release section and the checks across steps; every problem at once."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from relcheck.checklist.build import build
from relcheck.checklist.graph import graph_problems, service_problems
from relcheck.checklist.messages import close_matches, dedupe, param_keys, problems_from, spec_keys
from relcheck.errors import ChecklistError, PluginError, Problem
from relcheck.models import Checklist

if TYPE_CHECKING:
    from relcheck.checklist.yamlsource import Path, SourceMap


def validate(
    data: dict[str, Any], source: SourceMap, sha256: str, path: str, problems: list[Problem]
) -> Checklist:
    """Validate parsed data; ``problems`` already holds what parsing found."""
    from pydantic import ValidationError

    from relcheck.checklist.schema import ChecklistSpec

    spec: ChecklistSpec | None = None
    try:
        spec = ChecklistSpec.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from(exc, (), source, spec_keys))
    steps = data.get("steps")
    raw_steps: list[Any] = steps if isinstance(steps, list) else []
    params, runners = _validate_params(raw_steps, source, problems)
    problems.extend(graph_problems(raw_steps, runners, source))
    problems.extend(service_problems(raw_steps, data.get("services"), source))
    release = data.get("release")
    if isinstance(release, dict) and isinstance(release.get("tag"), str):
        from relcheck.git.refname import template_problem

        why = template_problem(release["tag"])
        if why:
            problems.append(Problem(source.locate(("release", "tag")), why))
    if isinstance(release, dict) and _names_no_branch(release.get("branch", "main")):
        problems.append(
            Problem(
                source.locate(("release", "branch")),
                "release.branch: give at least one branch name or glob",
            )
        )
    if problems or spec is None:
        raise ChecklistError(dedupe(problems))
    return build(spec, params, runners, sha256, path, source)


def _names_no_branch(branch: object) -> bool:
    """Whether ``release.branch`` is an empty name or list: no commit could be released."""
    if isinstance(branch, str):
        return not branch.strip()
    return isinstance(branch, list) and not any(isinstance(b, str) and b.strip() for b in branch)


def _validate_params(
    raw_steps: list[Any], source: SourceMap, problems: list[Problem]
) -> tuple[dict[int, Any], dict[int, type]]:
    """Validate each step's ``with:`` against its runner's Params."""
    from pydantic import ValidationError

    from relcheck.runners import registry

    params: dict[int, Any] = {}
    runners: dict[int, type] = {}
    for index, raw in enumerate(raw_steps):
        if not isinstance(raw, dict):
            continue
        loc: Path = ("steps", index)
        name, given = _runner_and_params(raw, loc, source, problems)
        if name is None:
            continue
        try:
            installed = registry.available()
        except PluginError as exc:
            problems.append(Problem(source.locate(loc), str(exc)))
            return params, runners
        if name not in installed:
            problems.append(
                Problem(source.locate((*loc, "uses")), _unknown_runner(name, installed))
            )
            continue
        try:
            cls = registry.load(name)
        except PluginError as exc:
            problems.append(Problem(source.locate((*loc, "uses")), str(exc)))
            continue
        runners[index] = cls
        try:
            params[index] = _adapter(cls.Params).validate_python(given)
        except ValidationError as exc:
            shorthand = "run" in raw and "uses" not in raw

            def to_path(err_loc: Path, loc: Path = loc, shorthand: bool = shorthand) -> Path:
                if shorthand and err_loc[:1] == ("run",):
                    return (*loc, *err_loc)
                return (*loc, "with", *err_loc)

            problems.extend(
                problems_from(exc, to_path, source, lambda _loc, c=cls: param_keys(c.Params))
            )
    return params, runners


def _runner_and_params(
    raw: dict[str, Any], loc: Path, source: SourceMap, problems: list[Problem]
) -> tuple[str | None, dict[str, Any]]:
    with_ = raw.get("with")
    given: dict[str, Any] = with_ if isinstance(with_, dict) else {}
    uses, run = raw.get("uses"), raw.get("run")
    for key in ("uses", "run"):
        # `run:` left empty, or a value already refused (an unsupported YAML tag).
        if key in raw and raw[key] is None:
            where = source.locate((*loc, key))
            if not any(p.location == where for p in problems):
                problems.append(Problem(where, f"`{key}:` is empty"))
            return None, given
    if uses is not None and run is not None:
        problems.append(
            Problem(
                source.locate((*loc, "run"), key=True), "use either `uses:` or `run:`, not both"
            )
        )
        return None, given
    if run is not None:
        if "run" in given:
            problems.append(
                Problem(source.locate((*loc, "with", "run"), key=True), "`run` is given twice")
            )
            return None, given
        return "command", {**given, "run": run}
    if uses is None:
        if "id" in raw:
            problems.append(
                Problem(source.locate(loc), "missing `uses:` (a runner) or `run:` (a command)")
            )
        return None, given
    if not isinstance(uses, str):
        return None, given
    return uses, given


@cache
def _adapter(params_cls: type) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(params_cls)


def _unknown_runner(name: str, installed: Mapping[str, Any]) -> str:
    names = sorted(installed)
    close = close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown runner {name!r}{hint} (installed: {', '.join(names)})"
