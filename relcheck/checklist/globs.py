"""The glob syntax of ``inputs:`` and ``writes:``: paths relative to the repository root."""

from __future__ import annotations

import re
from functools import cache


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for an ``inputs:`` glob, relative to the repository root.

    ``*`` and ``?`` stay within one path segment, ``**`` spans any number of them, and a
    pattern that names a directory selects everything beneath it (``src`` = ``src/**``).
    """
    text = pattern.strip().removeprefix("./").strip("/")
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if text.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if text.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = text.find("]", i + 2)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = text[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + "(?:/.*)?")
