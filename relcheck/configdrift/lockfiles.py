"""Read dependency lock files as package -> version, so two environments can be compared.

``requirements.txt`` (pip's format: ``name==version`` lines, options, hashes and
continuations), ``uv.lock`` and ``poetry.lock`` (TOML ``[[package]]`` tables), and
``pylock.toml`` (``[[packages]]``). Names are normalised (``Django_Rest`` is
``django-rest``); a requirement with an environment marker keeps it in its key, since
``numpy; python_version < "3.12"`` and ``numpy; python_version >= "3.12"`` are different
pins.
"""

from __future__ import annotations

from typing import Any

from relcheck.errors import ParseError

LOCK_FORMATS = ("requirements", "uv", "poetry", "pylock")


def lock_format_for(name: str) -> str:
    """The lock format a file name implies (requirements for anything unknown)."""
    base = name.rsplit("/", 1)[-1].lower()
    if base == "uv.lock":
        return "uv"
    if base == "poetry.lock":
        return "poetry"
    if base.startswith("pylock") and base.endswith(".toml"):
        return "pylock"
    return "requirements"


def parse_lock(text: str, fmt: str) -> dict[str, str]:
    """``{package: version}`` from a lock file's text; raises ParseError."""
    if fmt == "requirements":
        return _requirements(text)
    from relcheck.configdrift.loaders import parse

    data = parse(text, "toml")
    table = "packages" if fmt == "pylock" else "package"
    packages = data.get(table, [])
    if not isinstance(packages, list):
        raise ParseError(f"expected [[{table}]] tables", 1, 1)
    found: dict[str, list[str]] = {}
    for entry in packages:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        found.setdefault(_canonical(entry["name"]), []).append(_version(entry))
    return {name: ", ".join(sorted(set(versions))) for name, versions in found.items()}


def _version(entry: dict[str, Any]) -> str:
    version = entry.get("version")
    if isinstance(version, str):
        return version
    source = entry.get("source")
    if isinstance(source, dict) and source:  # uv: editable/path/git packages have no version
        kind, where = next(iter(source.items()))
        return f"{kind}:{where}"
    return "(unversioned)"


def _requirements(text: str) -> dict[str, str]:
    from packaging.requirements import InvalidRequirement, Requirement

    out: dict[str, str] = {}
    for line_no, line in _logical_lines(text):
        if not line or line.startswith("-"):  # -r, -c, -e, --index-url: not pins
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            # Only the first line: packaging goes on to quote the offending text, which
            # could hold a token from a URL.
            reason = str(exc).splitlines()[0] if str(exc) else "invalid"
            raise ParseError(f"not a requirement: {reason}", line_no, 1) from None
        key = _canonical(req.name)
        if req.marker is not None:
            key += f"; {req.marker}"
        if req.url:
            version = req.url
        else:
            pins = [s.version for s in req.specifier if s.operator in ("==", "===")]
            version = pins[0] if len(pins) == 1 else (str(req.specifier) or "(any)")
        out[key] = version
    return out


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) with continuations joined, comments and hashes dropped."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0] if not raw.lstrip().startswith("#") else ""
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        # pip's per-requirement options (hashes) follow the requirement itself.
        joined = " ".join(w for w in joined.split() if not w.startswith("--hash"))
        out.append((start, joined))
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))
