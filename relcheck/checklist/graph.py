"""Checks across steps: duplicate ids, ``needs`` that name no step, a release step or
(from a precondition) a check, ``needs`` that form a cycle, and undeclared services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relcheck.checklist.messages import close_matches
from relcheck.errors import Problem
from relcheck.models import StepKind

if TYPE_CHECKING:
    from relcheck.checklist.yamlsource import SourceMap


def graph_problems(
    raw_steps: list[Any], runners: dict[int, type], source: SourceMap
) -> list[Problem]:
    """Duplicate ids, unknown needs, needs on release steps or from preconditions on
    checks, cycles."""
    problems: list[Problem] = []
    ids: dict[str, int] = {}
    for index, raw in enumerate(raw_steps):
        step_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(step_id, str):
            continue
        if step_id in ids:
            first = source.locate(("steps", ids[step_id], "id"))
            problems.append(
                Problem(
                    source.locate(("steps", index, "id")),
                    f"duplicate step id {step_id!r} (first used on line {first.line})",
                )
            )
        else:
            ids[step_id] = index
    from relcheck.api import step_kind

    kinds = {index: step_kind(cls) for index, cls in runners.items()}
    release_ids = {
        raw["id"] for index, raw in enumerate(raw_steps) if kinds.get(index) is StepKind.RELEASE
    }
    precondition_ids = {
        raw["id"]
        for index, raw in enumerate(raw_steps)
        if kinds.get(index) is StepKind.PRECONDITION
    }
    graph: dict[str, list[str]] = {}
    for index, raw in enumerate(raw_steps):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        needs = raw.get("needs")
        if not isinstance(needs, list):
            continue
        graph[raw["id"]] = []
        for n, need in enumerate(needs):
            where = source.locate(("steps", index, "needs", n))
            if not isinstance(need, str):
                continue
            if need not in ids:
                close = close_matches(need, list(ids), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(Problem(where, f"needs unknown step {need!r}{hint}"))
            elif need in release_ids:
                problems.append(
                    Problem(where, f"cannot need release step {need!r}: release steps run last")
                )
            elif raw["id"] in precondition_ids and need not in precondition_ids:
                # Every check waits for the preconditions: this could never start.
                problems.append(
                    Problem(
                        where,
                        f"a precondition cannot need check {need!r}: preconditions run first",
                    )
                )
            else:
                graph[raw["id"]].append(need)
    cycle = _find_cycle(graph)
    if cycle:
        where = source.locate(("steps", ids[cycle[0]], "needs"))
        problems.append(Problem(where, "needs form a cycle: " + " -> ".join(cycle)))
    return problems


def service_problems(raw_steps: list[Any], services: Any, source: SourceMap) -> list[Problem]:
    """Steps that name a service the checklist does not declare."""
    declared = sorted(services) if isinstance(services, dict) else []
    problems = []
    for index, raw in enumerate(raw_steps):
        name = raw.get("service") if isinstance(raw, dict) else None
        if isinstance(name, str) and name not in declared:
            known = f"services: {', '.join(declared)}" if declared else "no `services:` declared"
            close = close_matches(name, declared, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" ({known})"
            problems.append(
                Problem(
                    source.locate(("steps", index, "service")), f"unknown service {name!r}{hint}"
                )
            )
    return problems


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle of ``needs`` as ``[a, b, a]``, or None. Iterative: a chain of 3000 steps
    written last-first recursed 3000 deep and crashed."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for root in graph:
        if root in state:
            continue
        path: list[str] = [root]
        todo = [iter(graph.get(root, ()))]
        state[root] = 1
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                todo.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                todo.append(iter(graph.get(nxt, ())))
    return None
