"""Describe a runner's parameters for `relcheck runners` and the reference docs."""

from __future__ import annotations

import dataclasses
from typing import Any


def param_fields(params_cls: type) -> list[tuple[str, str, str]]:
    """(name, type, default) for each parameter; default is '' when required."""
    out: list[tuple[str, str, str]] = []
    if dataclasses.is_dataclass(params_cls):
        hints = _hints(params_cls)
        for f in dataclasses.fields(params_cls):
            if f.name.startswith("_"):
                continue
            if f.default is not dataclasses.MISSING:
                default = repr(f.default)
            elif f.default_factory is not dataclasses.MISSING:
                default = repr(f.default_factory())
            else:
                default = ""
            out.append((f.name, _type_name(hints.get(f.name, f.type)), default))
        return out
    for name, field in getattr(params_cls, "model_fields", {}).items():
        default = "" if field.is_required() else repr(field.get_default(call_default_factory=True))
        out.append((field.alias or name, _type_name(field.annotation), default))
    return out


def describe_params(params_cls: type) -> list[str]:
    """One line per parameter: ``name: type = default``."""
    fields = param_fields(params_cls)
    if not fields:
        return ["(no parameters)"]
    return [f"{n}: {t}" + (f" = {d}" if d else "  (required)") for n, t, d in fields]


def _hints(cls: type) -> dict[str, Any]:
    import typing

    try:
        return typing.get_type_hints(cls)
    except Exception:  # unresolvable annotations: fall back to their text
        return {}


def _type_name(annotation: Any) -> str:
    """``str | SourceParams`` rather than ``str | relcheck.runners.config_drift.SourceParams``."""
    import re

    text = annotation if isinstance(annotation, str) else repr(annotation)
    text = text.replace("<class '", "").replace("'>", "")
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", text)
