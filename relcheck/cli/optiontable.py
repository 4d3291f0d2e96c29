"""Command-line options declared once, as data: click builds a command from them, and
``relcheck run``'s usual command lines are read from them without loading click.

The plain reader takes only the plainest spellings: ``--name``, ``--name VALUE``,
``--name=VALUE``, ``-x`` and ``-x VALUE``, each as declared, with values that cannot be
mistaken for options. Anything else (``--help``, ``-qv``, ``-j4``, a value click would
refuse, an option the command does not have) reads as None, and the caller gives the
whole command line to click, which reads it or says what is wrong. tests/test_cli_argv.py
checks that whatever the plain reader takes, click reads the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

Kind = Literal["flag", "value", "multiple"]


class Option:
    """One option: how it is spelt, what it holds, and its help."""

    __slots__ = (
        "choices",
        "default",
        "dest",
        "flags",
        "help",
        "kind",
        "metavar",
        "minimum",
        "show_default",
    )

    def __init__(
        self,
        dest: str,
        *flags: str,
        help: str,
        kind: Kind = "value",
        metavar: str | None = None,
        choices: tuple[str, ...] | None = None,
        minimum: int | None = None,
        default: str | None = None,
        show_default: bool = False,
    ) -> None:
        self.dest = dest
        self.flags = flags
        self.help = help
        self.kind = kind
        self.metavar = metavar
        self.choices = choices
        self.minimum = minimum
        self.default = default
        self.show_default = show_default

    def unset(self) -> Any:
        """What the option holds when the command line does not give it."""
        if self.kind == "flag":
            return False
        return () if self.kind == "multiple" else self.default

    def convert(self, raw: str) -> str | int | None:
        """``raw`` as the option holds it; None when click must judge it."""
        if self.choices is not None:
            return raw if raw in self.choices else None
        if self.minimum is not None:
            if not (raw.isascii() and raw.isdecimal()) or len(raw) > 18:
                return None  # "+5", " 5", "5_0", 5000 digits: click decides
            number = int(raw)
            return number if number >= self.minimum else None
        return raw

    def click_decorator(self) -> Callable[[Any], Any]:
        """This option as a click decorator."""
        import click

        settings: dict[str, Any] = {"help": self.help}
        if self.kind == "flag":
            settings["is_flag"] = True
        else:
            settings["multiple"] = self.kind == "multiple"
            if self.metavar is not None:
                settings["metavar"] = self.metavar
            if self.choices is not None:
                settings["type"] = click.Choice(self.choices)
            elif self.minimum is not None:
                settings["type"] = click.IntRange(min=self.minimum)
            if self.default is not None:
                settings["default"] = self.default
                settings["show_default"] = self.show_default
        return click.option(*self.flags, self.dest, **settings)


def with_options(options: Sequence[Option]) -> Callable[[Any], Any]:
    """Decorate a click command's function with ``options``, listed in this order."""

    def decorate(func: Any) -> Any:
        for option in reversed(options):  # click lists the last one applied first
            func = option.click_decorator()(func)
        return func

    return decorate


def read(args: Sequence[str], options: Sequence[Option]) -> dict[str, Any] | None:
    """The value of every option in ``args``; None when click must read them."""
    spelt = {flag: option for option in options for flag in option.flags}
    values = {option.dest: option.unset() for option in options}
    position = 0
    while position < len(args):
        name, equals, attached = args[position].partition("=")
        option = spelt.get(name)
        if option is None or (equals and (option.kind == "flag" or not name.startswith("--"))):
            return None
        position += 1
        if option.kind == "flag":
            values[option.dest] = True
            continue
        if equals:
            raw = attached
        elif position < len(args):
            raw = args[position]
            position += 1
        else:
            return None  # a missing value: click says so
        if raw.startswith("-"):
            return None  # click may read it as the next option
        value = option.convert(raw)
        if value is None:
            return None
        if option.kind == "multiple":
            values[option.dest] = (*values[option.dest], value)
        else:
            values[option.dest] = value
    return values
