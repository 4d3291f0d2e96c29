"""Build the frozen ``Checklist`` the engine runs from a validated ``ChecklistSpec``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relcheck.models import Checklist, HookConfig, ReleaseConfig, ServiceConfig, Step

if TYPE_CHECKING:
    from relcheck.checklist.yamlsource import SourceMap


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


def build(
    spec: Any,
    params: dict[int, Any],
    runners: dict[int, type],
    sha256: str,
    path: str,
    source: SourceMap,
) -> Checklist:
    from relcheck.api import step_kind

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
                kind=step_kind(runners[index]),  # decided here, once, from the runner
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
