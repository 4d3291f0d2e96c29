"""``${VAR}`` expansion from an environment, for values that are data (runner parameters,
config-drift's sources): the one expander."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from relcheck.errors import MissingVariable

# ${NAME}, and `$${` as a literal `${`. A bare `$NAME` is left alone: URLs and headers may
# hold `$`.
_WITH_ESCAPE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WITHOUT_ESCAPE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(
    text: str,
    env: Mapping[str, str],
    *,
    where: str,
    escapes: bool = True,
    on_use: Callable[[str, str], None] | None = None,
) -> str:
    """``text`` with each ``${VAR}`` replaced by its value in ``env``.

    A variable that is not set raises :class:`MissingVariable` naming ``where`` (e.g.
    ``step 'integration': url``): an empty string in its place would send a request to
    the wrong place. With ``escapes``, ``$${`` stands for a literal ``${``; without, it
    is a ``$`` before a variable (config-drift's locations have always read it so).
    ``on_use(name, value)`` is called for every variable used, so a caller can mask
    values that came from secret variables.
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

    return (_WITH_ESCAPE if escapes else _WITHOUT_ESCAPE).sub(replace, text)
