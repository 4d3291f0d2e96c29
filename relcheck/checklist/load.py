"""Find, read and validate a checklist file into a frozen ``Checklist``.

Reading is two passes: YAML is composed into plain data with a line:column for every
node (``relcheck.checklist.yamlsource``), then the data is validated (pydantic, and each runner's
``Params``). Every problem is mapped back to its position and all are reported at once.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from relcheck.errors import ChecklistError, PluginError, Problem, SourceLocation, UsageError
from relcheck.models import Checklist, HookConfig, ReleaseConfig, ServiceConfig, Step

if TYPE_CHECKING:  # PyYAML loads only when a file is read, not for find_checklist
    from relcheck.checklist.yamlsource import Path, SourceMap

DEFAULT_NAME = "relcheck.yaml"
MAX_BYTES = 2 * 1024 * 1024  # a checklist is a page of YAML; refuse what cannot be one


def find_checklist(root: str, explicit: str | None = None) -> str:
    """The checklist path: ``explicit``, ``[tool.relcheck] checklist``, or relcheck.yaml."""
    if explicit:
        return explicit
    from relcheck.system import pyproject

    configured = pyproject.value(pyproject.read(root), "tool", "relcheck", "checklist")
    if isinstance(configured, str):
        return os.path.join(root, configured)
    if configured is not None:
        raise UsageError(
            f"pyproject.toml: `tool.relcheck.checklist` must be a path, "
            f"got {type(configured).__name__}",
            hint='write it as checklist = "relcheck.yaml"',
        )
    return os.path.join(root, DEFAULT_NAME)


def _display(path: str) -> str:
    return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path


def read_bytes(path: str) -> bytes:
    """The checklist file's bytes: a regular file of at most MAX_BYTES (a FIFO, a device
    or a folder is refused at once, /dev/zero after MAX_BYTES)."""
    from relcheck.system.fileio import read_regular

    display = _display(path)
    try:
        return read_regular(path, MAX_BYTES)
    except FileNotFoundError:
        raise UsageError(
            f"no checklist at {display}",
            hint="create one with `relcheck init`, or pass --checklist PATH",
        ) from None
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            at_start = SourceLocation(display, 1, 1)
            too_big = f"file is larger than {MAX_BYTES // 1024} KiB"
            raise ChecklistError([Problem(at_start, too_big)]) from None
        raise UsageError(f"cannot read checklist {display}: {exc.strerror or exc}") from exc


def load_checklist(path: str) -> Checklist:
    """Read and validate the checklist at ``path``; raise ChecklistError with every problem."""
    display = _display(path)
    raw = read_bytes(path)
    at_start = SourceLocation(display, 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        where = SourceLocation(display, line, column)
        raise ChecklistError([Problem(where, "file is not valid UTF-8")]) from None
    from relcheck.checklist.yamlsource import load_yaml

    data, source, problems = load_yaml(text, display)
    if data is None and not problems:
        problems.append(
            Problem(at_start, "the checklist is empty; expected `version: 1` and `steps:`")
        )
    elif data is not None and not isinstance(data, dict):
        problems.append(
            Problem(at_start, f"expected a mapping at the top level, got {_kind(data)}")
        )
    if not isinstance(data, dict):
        raise ChecklistError(problems)
    return _validate(data, source, hashlib.sha256(raw).hexdigest(), path, problems)


def _validate(
    data: dict[str, Any], source: SourceMap, sha256: str, path: str, problems: list[Problem]
) -> Checklist:
    """Validate parsed data; ``problems`` already holds what parsing found."""
    from pydantic import ValidationError

    from relcheck.checklist.schema import ChecklistSpec

    spec: ChecklistSpec | None = None
    try:
        spec = ChecklistSpec.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problems(exc, (), source, _spec_keys))
    raw_steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    params, runners = _validate_params(raw_steps, source, problems)
    problems.extend(_graph_problems(raw_steps, runners, source))
    problems.extend(_service_problems(raw_steps, data.get("services"), source))
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
        raise ChecklistError(_dedupe(problems))
    return _build(spec, params, sha256, path, source)


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
            installed = registry.installed()
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
                _problems(exc, to_path, source, lambda _loc, c=cls: _param_keys(c.Params))
            )
    return params, runners


def _runner_and_params(
    raw: dict[str, Any], loc: Path, source: SourceMap, problems: list[Problem]
) -> tuple[str | None, dict[str, Any]]:
    given = raw.get("with") if isinstance(raw.get("with"), dict) else {}
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


def _close_matches(word: str, candidates: list[str], n: int) -> list[str]:
    import difflib  # only for error hints

    return difflib.get_close_matches(word, candidates, n=n)


def _unknown_runner(name: str, installed: Mapping[str, Any]) -> str:
    names = sorted(installed)
    close = _close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown runner {name!r}{hint} (installed: {', '.join(names)})"


def _graph_problems(
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
    release_ids = {
        raw["id"]
        for index, raw in enumerate(raw_steps)
        if index in runners and getattr(runners[index], "release", False)
    }
    precondition_ids = {
        raw["id"]
        for index, raw in enumerate(raw_steps)
        if index in runners and getattr(runners[index], "precondition", False)
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
                close = _close_matches(need, list(ids), n=1)
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


def _service_problems(raw_steps: list[Any], services: Any, source: SourceMap) -> list[Problem]:
    """Steps that name a service the checklist does not declare."""
    declared = sorted(services) if isinstance(services, dict) else []
    problems = []
    for index, raw in enumerate(raw_steps):
        name = raw.get("service") if isinstance(raw, dict) else None
        if isinstance(name, str) and name not in declared:
            known = f"services: {', '.join(declared)}" if declared else "no `services:` declared"
            close = _close_matches(name, declared, n=1)
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


_TYPE_WORDS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true/false",
    "list": "a list",
    "tuple": "a list",
    "dict": "a mapping",
    "none": "nothing",
}


_TYPE_ERROR_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true/false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
}


def _fold_member_tags(loc: Path, source: SourceMap) -> tuple[Path, bool]:
    """``steps[0].run.list[str][1]`` -> ``steps[0].run[1]``: pydantic names the union
    member it tried inside the loc; the file has no such key. True when one was dropped."""
    parts: list[Any] = []
    dropped = False
    for index, part in enumerate(loc):
        is_tag = (
            index < len(loc) - 1
            and isinstance(part, str)
            and ("[" in part or part in _TYPE_WORDS)
            and tuple(parts) in source.marks
            and (*parts, part) not in source.marks
        )
        if is_tag:
            dropped = True
            continue
        parts.append(part)
    return tuple(parts), dropped


def _problems(exc: Any, prefix: Any, source: SourceMap, keys_at: Any) -> list[Problem]:
    """Problems from a pydantic ValidationError; ``prefix`` maps an error loc to a file path."""
    to_path = prefix if callable(prefix) else (lambda loc, p=prefix: (*p, *loc))
    located: list[tuple[Path, bool, dict[str, Any]]] = []  # (loc, from a union member, error)
    for err in exc.errors(include_url=False):
        loc, member = _fold_member_tags(_without_union_tags(to_path(tuple(err["loc"]))), source)
        # Union members add their type name to the loc; fold them into the data's path.
        while len(loc) > 1 and loc not in source.marks and loc[:-1] in source.marks:
            if err["type"] in ("extra_forbidden", "unexpected_keyword_argument", "missing"):
                break
            loc, member = loc[:-1], True
        located.append((loc, member, err))
    deeper = [loc for loc, member, _err in located if member]
    grouped: dict[Path, list[dict[str, Any]]] = {}
    members: set[Path] = set()
    for loc, member, err in located:
        if member and any(len(d) > len(loc) and d[: len(loc)] == loc for d in deeper):
            # "[echo, 1] is not text" says less than "its item 1 is not text".
            continue
        if member:
            members.add(loc)
        same = grouped.setdefault(loc, [])
        if not any(e["type"] == err["type"] for e in same):  # one per union member kind
            same.append(err)
    out: list[Problem] = []
    for loc, errors in grouped.items():
        err = errors[0]
        kind = err["type"]
        where = (
            _dotted(loc[:-1])
            if kind in ("extra_forbidden", "unexpected_keyword_argument", "missing")
            else _dotted(loc)
        )
        lead = f"{where}: " if where else ""
        if kind in ("extra_forbidden", "unexpected_keyword_argument"):
            for e in errors:
                key = str(to_path(tuple(e["loc"]))[-1])
                allowed = keys_at(loc[:-1])
                close = _close_matches(key, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                valid = f" (valid keys: {', '.join(allowed)})" if allowed and not close else ""
                out.append(
                    Problem(source.locate(loc, key=True), f"{lead}unknown key {key!r}{hint}{valid}")
                )
        elif kind == "missing":
            out.append(Problem(source.locate(loc[:-1]), f"{lead}missing required key {loc[-1]!r}"))
        elif loc == ("version",) and isinstance(err.get("input"), str):
            out.append(
                Problem(
                    source.locate(loc),
                    f"version: expected the number 1, got the text {err.get('input')!r}",
                )
            )
        elif loc == ("version",):
            out.append(
                Problem(
                    source.locate(loc),
                    f"unsupported checklist version {err.get('input')!r}; "
                    "this relcheck reads version 1",
                )
            )
        elif loc in members and len(errors) == 1 and kind in _TYPE_ERROR_WORDS:
            out.append(
                Problem(
                    source.locate(loc),
                    f"{lead}expected {_TYPE_ERROR_WORDS[kind]}, got {_kind(err.get('input'))}",
                )
            )
        elif kind == "string_pattern_mismatch" and loc[-1] == "id":
            out.append(
                Problem(
                    source.locate(loc),
                    f"{lead}expected a step id of lowercase letters, digits, '-', '_' "
                    f"or '.', got {err.get('input')!r}",
                )
            )
        elif kind == "string_pattern_mismatch" and loc == ("release", "remote"):
            out.append(
                Problem(
                    source.locate(loc),
                    f"{lead}expected a remote name (no spaces, not starting with '-'), "
                    f"got {err.get('input')!r}",
                )
            )
        elif len(errors) > 1 and all(e["type"].endswith("_type") for e in errors):
            words = []
            for e in errors:
                name = str(e["loc"][-1]).split("[")[0].lower() if e["loc"] else ""
                word = _TYPE_WORDS.get(name, name)
                if word and word not in words:
                    words.append(word)
            out.append(
                Problem(
                    source.locate(loc),
                    f"{lead}expected {' or '.join(words)}, got {_kind(err.get('input'))}",
                )
            )
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if kind.endswith("_type"):
                msg = f"{msg}, got {_kind(err.get('input'))}"
            out.append(Problem(source.locate(loc), f"{lead}{msg}"))
    return out


def _service(spec: Any, name: str | None) -> ServiceConfig | None:
    if spec is None:
        return None
    return ServiceConfig(
        run=spec.run if isinstance(spec.run, str) else tuple(spec.run),
        ready=spec.ready,
        ready_timeout=float(spec.ready_timeout),
        cwd=spec.cwd,
        env=dict(spec.env),
        name=name,
        stop_grace=float(spec.stop_grace),
    )


def _without_union_tags(loc: Path) -> Path:
    """``steps[0].service.inline.ready`` -> ``steps[0].service.ready``."""
    from relcheck.checklist.schema import SERVICE_UNION_TAGS

    return tuple(
        part
        for i, part in enumerate(loc)
        if not (i > 0 and loc[i - 1] == "service" and part in SERVICE_UNION_TAGS)
    )


def _spec_keys(loc: Path) -> list[str]:
    """The keys allowed at ``loc`` of the file, for "did you mean" hints."""
    from relcheck.checklist import schema

    sections = {
        (): schema.ChecklistSpec,
        ("release",): schema.ReleaseSpec,
        ("defaults",): schema.DefaultsSpec,
        ("hook",): schema.HookSpec,
    }
    model = schema.StepSpec if len(loc) == 2 and loc[0] == "steps" else sections.get(loc)
    if (len(loc) == 3 and loc[0] == "steps" and loc[2] == "service") or (
        len(loc) == 2 and loc[0] == "services"
    ):
        model = schema.ServiceSpec
    if len(loc) == 3 and loc[0] == "steps" and loc[2] == "baseline":
        model = schema.BaselineSpec
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _param_keys(params_cls: type) -> list[str]:
    fields = getattr(params_cls, "model_fields", None) or getattr(
        params_cls, "__dataclass_fields__", {}
    )
    return [n for n in fields if not n.startswith("_")]


def _dotted(loc: Path) -> str:
    """``steps[2].timeout`` for ("steps", 2, "timeout")."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _kind(value: object) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",  # before int: a bool is an int
        int: "a whole number",
        float: "a number",
        type(None): "nothing",
    }
    for typ, name in names.items():
        if isinstance(value, typ):
            return name
    return type(value).__name__


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[SourceLocation, str]] = set()
    out = []
    for p in problems:
        if (p.location, p.message) not in seen:
            seen.add((p.location, p.message))
            out.append(p)
    return out


def _build(
    spec: Any, params: dict[int, Any], sha256: str, path: str, source: SourceMap
) -> Checklist:
    default_timeout = float(spec.defaults.timeout)
    steps = []
    for index, s in enumerate(spec.steps):
        uses = s.uses or "command"
        raw_params = dict(s.with_)
        if s.run is not None:
            raw_params["run"] = s.run
        steps.append(
            Step(
                id=s.id,
                uses=uses,
                params=params[index],
                raw_params=raw_params,
                needs=tuple(s.needs),
                optional=s.optional,
                timeout=float(s.timeout) if s.timeout is not None else default_timeout,
                env=dict(s.env),
                name=s.name,
                owner=s.owner,
                expect=s.expect,
                rollback=s.rollback,
                retries=s.retries,
                cache=s.cache,
                inputs=tuple(s.inputs),
                writes=tuple(s.writes),
                cache_env=tuple(s.cache_env),
                location=source.locate(("steps", index)),
                service=_service(
                    spec.services[s.service] if isinstance(s.service, str) else s.service,
                    s.service if isinstance(s.service, str) else None,
                ),
                baseline=s.baseline.model_dump(exclude_none=True) if s.baseline else {},
                when=s.when,
            )
        )
    r = spec.release
    release = ReleaseConfig(
        tag=r.tag,
        version_from=r.version_from,
        branch=tuple([r.branch] if isinstance(r.branch, str) else r.branch),
        sign=r.sign,
        push=r.push,
        remote=r.remote,
        changelog=r.changelog,
        prerelease=r.prerelease,
    )
    return Checklist(
        path=path,
        sha256=sha256,
        version=spec.version,
        steps=tuple(steps),
        release=release,
        hook=HookConfig(branches=tuple(spec.hook.branches), steps=tuple(spec.hook.steps)),
        default_timeout=default_timeout,
        secrets=tuple(spec.secrets),
    )
