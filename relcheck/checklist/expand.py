"""``${VAR}`` expansion from an environment, for runner parameters that are data."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from relcheck.errors import RunnerError

# ${NAME}; `$${` is a literal `${`. A bare `$NAME` is left alone: URLs and headers may hold `$`.
_VARIABLE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MissingVariable(RunnerError):
    """A ``${VAR}`` names a variable that is not set."""

    def __init__(self, name: str, where: str) -> None:
        self.name = name
        self.where = where
        super().__init__(f"{where}: ${{{name}}} is not set in the environment")


def variables(text: str) -> list[str]:
    """The names ``text`` refers to, in order."""
    return [m.group(1) for m in _VARIABLE.finditer(text) if m.group(1)]


def expand(
    text: str,
    env: Mapping[str, str],
    *,
    where: str,
    on_use: Callable[[str, str], None] | None = None,
) -> str:
    """``text`` with each ``${VAR}`` replaced by its value in ``env``.

    A variable that is not set raises :class:`MissingVariable` naming ``where`` (e.g.
    ``step 'integration': url``): an empty string in its place would send a request to
    the wrong place. ``on_use(name, value)`` is called for every variable used, so a
    caller can mask values that came from secret variables.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "${"
        if name not in env:
            raise MissingVariable(name, where)
        value = env[name]
        if on_use is not None:
            on_use(name, value)
        return value

    return _VARIABLE.sub(replace, text)
