"""Parse configuration text of each format into plain data; errors carry their line.

Every loader takes the decoded text and returns a mapping (an empty file is an empty
mapping, whatever its format, so a blank staging file shows every production key as
missing rather than hiding behind a parse error). A loader never puts a value from the
file into an error message: a malformed line may hold a password.
"""

from __future__ import annotations

import re
from typing import Any

from relcheck.errors import ParseError

FORMATS = ("yaml", "json", "toml", "env", "ini")
TEXT_ONLY = frozenset({"env", "ini"})  # formats whose values are all text
_EXTENSIONS = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".toml": "toml",
    ".env": "env",
    ".ini": "ini",
    ".cfg": "ini",
    ".conf": "ini",
}


def format_for(name: str) -> str | None:
    """The format a file name implies: by extension, and ``.env`` / ``.env.staging``."""
    base = name.rsplit("/", 1)[-1].lower()
    if base == ".env" or base.startswith(".env.") or base.endswith(".env"):
        return "env"
    dot = base.rfind(".")
    return _EXTENSIONS.get(base[dot:]) if dot >= 0 else None


def parse(text: str, fmt: str) -> dict[str, Any]:
    """``text`` parsed as ``fmt``; raises ParseError."""
    if not text.strip():
        return {}
    data = _PARSERS[fmt](text)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single {type(data).__name__} value"
        raise ParseError(f"expected a mapping at the top level, got {kind}", 1, 1)
    return data


def _yaml(text: str) -> Any:
    import yaml

    # Plain safe loading (merge keys and anchors work as the application sees them);
    # relcheck.checklist.yamlsource is for the checklist, which rejects merge keys on purpose.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if mark is None:
            raise ParseError(f"YAML syntax error: {what}") from None
        raise ParseError(f"YAML syntax error: {what}", mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"YAML error: {type(exc).__name__}") from None
    except RecursionError:
        raise ParseError("YAML nested too deeply") from None


def _json(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"JSON syntax error: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise ParseError("JSON nested too deeply") from None


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _toml(text: str) -> Any:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11-3.13 put the position only in the message: "... (at line 3, column 7)".
        message = str(exc).split("\n", 1)[0]
        found = _TOML_AT.search(message)
        if found:
            what = message[: found.start()]
            raise ParseError(
                f"TOML syntax error: {what}", int(found.group(1)), int(found.group(2))
            ) from None
        message = message.replace(" (at end of document)", "")
        raise ParseError(f"TOML syntax error: {message}", text.count("\n") + 1) from None
    except RecursionError:
        raise ParseError("TOML nested too deeply") from None


def _env(text: str) -> Any:
    import io

    from dotenv.parser import parse_stream

    # python-dotenv's own parser, so quoting, `export` and escapes read exactly as the
    # application's load_dotenv() reads them; no ${VAR} interpolation, so a reference
    # stays a reference.
    out: dict[str, Any] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise ParseError(
                "not a KEY=VALUE line (or an unterminated quote)", binding.original.line, 1
            )
        if binding.key is not None:
            out[binding.key] = binding.value
    return out


def _ini(text: str) -> Any:
    import configparser

    # No interpolation: values are compared as written. The DEFAULT section is compared as
    # a section of its own instead of being copied into every other section.
    parser = configparser.ConfigParser(interpolation=None, default_section="\x00")
    try:
        parser.read_string(text)
    except configparser.MissingSectionHeaderError as exc:
        raise ParseError("a key before any [section] header", exc.lineno, 1) from None
    except configparser.DuplicateSectionError as exc:
        raise ParseError(f"duplicate section [{exc.section}]", exc.lineno, 1) from None
    except configparser.DuplicateOptionError as exc:
        raise ParseError(
            f"duplicate key {exc.option!r} in section [{exc.section}]", exc.lineno, 1
        ) from None
    except configparser.ParsingError as exc:
        line = exc.errors[0][0] if exc.errors else None
        raise ParseError("not a `key = value` line", line, 1) from None
    except configparser.Error as exc:
        raise ParseError(f"INI error: {type(exc).__name__}") from None
    return {name: dict(parser.items(name, raw=True)) for name in parser.sections()}


_PARSERS = {"yaml": _yaml, "json": _json, "toml": _toml, "env": _env, "ini": _ini}
