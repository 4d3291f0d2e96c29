"""Finding runners by name: entry points, a validated-checklist cache's hints, and
runners registered in process (tests, embedding programs).

The runner interface itself is documented and defined in :mod:`relcheck.api`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from relcheck.api import Runner
from relcheck.errors import PluginError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint


GROUP = "relcheck.runners"
_BUILTIN_DIST = "relcheck-cli"  # the distribution; the import package is relcheck
IN_PROCESS = "(registered in process)"  # the distribution of a runner given to register()


@dataclass(frozen=True)
class RunnerInfo:
    """An installed runner: its name, where it comes from, and how to load it."""

    name: str
    value: str  # module:Class
    distribution: str
    load: Callable[[], type[Runner]]

    @property
    def builtin(self) -> bool:
        return self.distribution == _BUILTIN_DIST


@cache
def installed() -> dict[str, RunnerInfo]:
    """Every runner declared in the entry-point group, by name (nothing imported)."""
    from importlib.metadata import PackageNotFoundError, distribution, entry_points

    try:
        distribution(_BUILTIN_DIST)
    except PackageNotFoundError:
        raise PluginError(
            "relcheck is not installed, so its runners cannot be found",
            hint="run `pip install -e .` in the relcheck source tree",
        ) from None
    disabled = {
        n.strip() for n in os.environ.get("RELCHECK_DISABLE_PLUGINS", "").split(",") if n.strip()
    }
    found: dict[str, RunnerInfo] = {}
    for ep in entry_points(group=GROUP):
        dist = _dist_name(ep)
        if dist != _BUILTIN_DIST and (ep.name in disabled or dist in disabled):
            continue
        info = RunnerInfo(ep.name, ep.value, dist, _loader(ep))
        previous = found.get(ep.name)
        if previous and previous.value != info.value:
            raise PluginError(
                f"runner name {ep.name!r} is claimed twice: by {previous.distribution} "
                f"({previous.value}) and by {dist} ({ep.value})",
                hint="uninstall one of them, or block one with RELCHECK_DISABLE_PLUGINS",
            )
        found[ep.name] = info
    return found


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "unknown"


def _loader(ep: EntryPoint) -> Callable[[], type[Runner]]:
    def load() -> type[Runner]:
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not look like a relcheck bug
            raise PluginError(
                f"runner {ep.name!r} ({ep.value}, from {_dist_name(ep)}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not callable(getattr(cls, "run", None)):
            raise PluginError(f"runner {ep.name!r} ({ep.value}) has no run() method")
        return cls  # type: ignore[no-any-return]

    return load


_primed: dict[str, RunnerInfo] = {}


def prime(known: Mapping[str, tuple[str, str]]) -> None:
    """Remember runners read from a validated-checklist cache (name -> ("module:Class",
    distribution)), so loading them needs no entry-point scan."""
    for name, (value, dist) in known.items():
        _primed[name] = RunnerInfo(name, value, dist, _value_loader(name, value, dist))


def _value_loader(name: str, value: str, dist: str) -> Callable[[], type[Runner]]:
    def load() -> type[Runner]:
        import importlib

        module, _, attr = value.partition(":")
        try:
            cls = importlib.import_module(module)
            for part in attr.split("."):
                cls = getattr(cls, part)
        except Exception as exc:
            raise PluginError(
                f"runner {name!r} ({value}, from {dist}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return cls  # type: ignore[return-value]

    return load


_registered: dict[str, RunnerInfo] = {}


def register(cls: type[Any]) -> type[Any]:
    """Make ``cls`` loadable by its ``name`` in this process, ahead of an installed
    runner of that name, without a distribution; returns ``cls`` (a class decorator).

    A checklist that uses such a runner is never kept in the validated-checklist cache:
    a later process could not find the class."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise PluginError(f"runner class {cls.__qualname__} has no name")
    if not callable(getattr(cls, "run", None)):
        raise PluginError(f"runner {name!r} ({cls.__qualname__}) has no run() method")
    value = f"{cls.__module__}:{cls.__qualname__}"
    _registered[name] = RunnerInfo(name, value, IN_PROCESS, lambda: cls)
    load.cache_clear()
    return cls


def reset() -> None:
    """Forget runners registered in process and everything found about installed ones,
    so the next lookup scans the entry points afresh."""
    _registered.clear()
    _primed.clear()
    installed.cache_clear()
    load.cache_clear()


@contextmanager
def registered(*classes: type[Any]) -> Iterator[None]:
    """Runners registered for the ``with`` block only."""
    saved = dict(_registered)
    try:
        for cls in classes:
            register(cls)
        yield
    finally:
        _registered.clear()
        _registered.update(saved)
        load.cache_clear()


def in_process() -> bool:
    """Whether any runner is registered in process (not found through entry points)."""
    return bool(_registered)


def available() -> dict[str, RunnerInfo]:
    """Every runner a checklist may use, by name: installed, or registered in process."""
    return {**installed(), **_registered}


@cache
def load(name: str) -> type[Runner]:
    """The runner class registered under ``name``."""
    info = _registered.get(name) or _primed.get(name) or installed().get(name)
    if info is None:
        raise PluginError(f"unknown runner {name!r}")
    return info.load()


def runner_attr(cls: type[Any], attr: str, default: Any = False) -> Any:
    """A runner class attribute, with the default a plugin may leave out."""
    return getattr(cls, attr, default)


__all__ = [
    "GROUP",
    "IN_PROCESS",
    "RunnerInfo",
    "available",
    "in_process",
    "installed",
    "load",
    "prime",
    "register",
    "registered",
    "reset",
    "runner_attr",
]
