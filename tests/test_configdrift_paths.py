"""Dotted paths and the glob semantics the drift policy is written in."""

from __future__ import annotations

import pytest

from relcheck.configdrift.paths import Globs, flatten, segment_names, show
from relcheck.errors import TooLarge


def test_keys_with_dots_are_quoted_so_two_shapes_never_share_a_path() -> None:
    assert flatten({"a.b": 1, "a": {"b": 2}}) == {'"a.b"': 1, "a.b": 2}


def test_empty_lists_and_mappings_are_leaves() -> None:
    assert flatten({"hosts": [], "extra": {}, "n": None}) == {
        "hosts": [],
        "extra": {},
        "n": None,
    }


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.url", "api.url", True),
        ("*.url", "services.api.url", True),
        ("*.url", "url", False),
        ("*.url", "api.myurl", False),
        ("features.*", "features.beta", True),
        ("features.*", "features.beta.rollout", True),
        ("features.*", "features", False),
        ("database", "database.host", True),  # a pattern covers what is below it
        ("database", "databases.host", False),
        ("hosts[0]", "hosts[0]", True),  # brackets are literal, not a character class
        ("hosts[0]", "hosts0", False),
        ("hosts[0]", "hosts[0].name", True),
        ("hosts", "hosts[3]", True),
        ("image.t?g", "image.tag", True),
        ("Database.host", "database.host", False),  # case-sensitive like the keys
    ],
)
def test_glob_semantics(pattern: str, path: str, matches: bool) -> None:
    assert (Globs([pattern]).match(path) == pattern) is matches


def test_segment_names_drop_indexes_and_unquote() -> None:
    assert segment_names('creds[0]."api.key".value') == ["creds", "api.key", "value"]


def test_text_is_quoted_so_a_type_change_is_visible() -> None:
    assert show("5432") == '"5432"'
    assert show(5432) == "5432"
    assert show(True) == "true"
    assert show(None) == "null"
    assert show("x" * 100).endswith("…")


def test_an_alias_bomb_is_refused_instead_of_flattened() -> None:
    level = ["x"] * 10
    for _ in range(6):
        level = [level] * 10
    with pytest.raises(TooLarge):
        flatten({"bomb": level})
