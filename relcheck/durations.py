"""Durations written as ``90s``, ``10m``, ``1h`` or ``1h30m``, validated when loaded."""

from __future__ import annotations

import math
import re
from typing import Any

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_MAX_SECONDS = 7 * 24 * 3600.0


def parse_duration(value: object) -> float:
    """Seconds from ``90s``/``10m``/``1h``/``1h30m`` or a positive number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 90s or 10m, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        if not text or _PART.sub("", text):
            raise ValueError(f"expected a duration like 90s or 10m, got {value!r}")
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    else:
        raise ValueError(f"expected a duration like 90s or 10m, got {value!r}")
    if math.isnan(seconds) or not 0 < seconds <= _MAX_SECONDS:
        raise ValueError(f"expected a duration between 1ms and 7 days, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """Short human form: ``0.21s``, ``14.2s``, ``3m05s``."""
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Duration(float):
    """A duration in seconds; validates from text through pydantic without importing it."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            lambda v: cls(parse_duration(v)),
            json_schema_input_schema=core_schema.union_schema(
                [
                    core_schema.str_schema(pattern=r"^(\d+(\.\d+)?(ms|s|m|h))+$"),
                    core_schema.float_schema(gt=0),
                ]
            ),
        )
