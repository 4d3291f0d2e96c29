"""The services a run's steps share: none, or relcheck.engine.service's, loaded only then."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from relcheck.errors import RunnerError
from relcheck.models import Step
from relcheck.system.interrupts import Cancellation
from relcheck.system.process_output import OutputSink
from relcheck.system.redact import Redactor


class Services(Protocol):
    def acquire(
        self, name: str, *, env: Mapping[str, str], sink: OutputSink, deadline: float
    ) -> dict[str, str]: ...

    def finished(self, step_id: str) -> None: ...

    def stop_all(self) -> None: ...


class NoServices:
    """Stands in for SharedServices when no step declares a service."""

    def acquire(
        self, name: str, *, env: Mapping[str, str], sink: OutputSink, deadline: float
    ) -> dict[str, str]:
        raise RunnerError(f"no shared service {name!r}")  # no step declared one

    def finished(self, step_id: str) -> None:
        return None

    def stop_all(self) -> None:
        return None


def shared_services(
    steps: Iterable[Step],
    *,
    workdir: str,
    cancel: Cancellation,
    log_dir: str | None,
    redactor: Redactor,
    needed: bool = True,
) -> Services:
    """relcheck.engine.service (and socket, which it needs) loads only when a checklist
    declares a service: ~5 ms of every run's start-up otherwise."""
    if not needed:
        return NoServices()
    from relcheck.engine import service

    return service.SharedServices(
        steps, workdir=workdir, cancel=cancel.event, log_dir=log_dir, redactor=redactor
    )
