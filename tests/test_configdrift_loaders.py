"""Each configuration format parses to the same shape; a broken file says where."""

from __future__ import annotations

import pytest

from relcheck.configdrift.loaders import format_for, parse
from relcheck.configdrift.paths import flatten
from relcheck.errors import ParseError

NESTED = {
    "yaml": """
database:
  host: db.internal
  port: 5432
hosts:
  - name: a
    weight: 1
  - name: b
    weight: 2
greeting: "grüß dich ☕"
""",
    "json": """{
  "database": {"host": "db.internal", "port": 5432},
  "hosts": [{"name": "a", "weight": 1}, {"name": "b", "weight": 2}],
  "greeting": "grüß dich ☕"
}""",
    "toml": """
greeting = "grüß dich ☕"
[database]
host = "db.internal"
port = 5432
[[hosts]]
name = "a"
weight = 1
[[hosts]]
name = "b"
weight = 2
""",
}
EXPECTED = {
    "database.host": "db.internal",
    "database.port": 5432,
    "hosts[0].name": "a",
    "hosts[0].weight": 1,
    "hosts[1].name": "b",
    "hosts[1].weight": 2,
    "greeting": "grüß dich ☕",
}


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
def test_nested_mappings_and_lists_flatten_to_the_same_paths_in_every_typed_format(
    fmt: str,
) -> None:
    assert flatten(parse(NESTED[fmt], fmt)) == EXPECTED


def test_env_file_reads_quotes_export_and_unicode_as_text() -> None:
    text = (
        "# comment\n"
        "export DATABASE_HOST=db.internal\n"
        'GREETING="grüß dich ☕"\n'
        "PORT=5432\n"
        "EMPTY=\n"
        "REF=${DB_PASSWORD}\n"
    )
    assert parse(text, "env") == {
        "DATABASE_HOST": "db.internal",
        "GREETING": "grüß dich ☕",
        "PORT": "5432",
        "EMPTY": "",
        "REF": "${DB_PASSWORD}",  # kept as written, not interpolated
    }


def test_ini_sections_become_the_first_path_segment_and_default_stays_its_own() -> None:
    text = "[DEFAULT]\nlevel = info\n\n[database]\nhost = db.internal\nurl = %(host)s/x\n"
    assert flatten(parse(text, "ini")) == {
        "DEFAULT.level": "info",
        "database.host": "db.internal",
        "database.url": "%(host)s/x",
    }


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml", "env", "ini"])
def test_an_empty_file_has_no_keys_in_every_format(fmt: str) -> None:
    assert parse("  \n\n", fmt) == {}


@pytest.mark.parametrize(
    ("fmt", "text", "line", "words"),
    [
        ("yaml", "a: 1\nb:\n  c: [1, 2\nd: 4\n", 4, "YAML syntax error"),
        ("json", '{\n  "a": 1,\n  "b": oops\n}\n', 3, "JSON syntax error: Expecting value"),
        ("toml", 'a = 1\n[b]\nc = "unterminated\n', 3, "TOML syntax error"),
        ("env", "A=1\nB='never closed\nC=3\n", 2, "unterminated quote"),
        ("ini", "[s]\na = 1\nthis line is wrong\n", 3, "not a `key = value` line"),
        ("ini", "a = 1\n[s]\n", 1, "before any [section]"),
        ("ini", "[s]\na = 1\na = 2\n", 3, "duplicate key 'a'"),
    ],
)
def test_a_malformed_file_reports_the_line_of_the_problem(
    fmt: str, text: str, line: int, words: str
) -> None:
    with pytest.raises(ParseError) as caught:
        parse(text, fmt)
    assert caught.value.line == line
    assert words in caught.value.message


def test_a_malformed_line_never_echoes_its_value_into_the_message() -> None:
    with pytest.raises(ParseError) as caught:
        parse("[s]\npassword hunter2-do-not-print\n", "ini")
    assert "hunter2" not in caught.value.where("app.ini")
    assert caught.value.where("app.ini") == "app.ini:2:1: not a `key = value` line"


def test_a_top_level_list_is_refused_at_line_one() -> None:
    with pytest.raises(ParseError, match="expected a mapping at the top level, got a list"):
        parse("[1, 2]", "json")


def test_yaml_merge_keys_and_anchors_read_as_the_application_reads_them() -> None:
    text = "base: &base\n  pool: 5\n  host: x\nprod:\n  <<: *base\n  host: y\n"
    assert flatten(parse(text, "yaml")) == {
        "base.pool": 5,
        "base.host": "x",
        "prod.pool": 5,
        "prod.host": "y",
    }


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("deploy/staging.yaml", "yaml"),
        ("a.yml", "yaml"),
        ("a.JSON", "json"),
        ("pyproject.toml", "toml"),
        (".env", "env"),
        (".env.staging", "env"),
        ("staging.env", "env"),
        ("setup.cfg", "ini"),
        ("app.ini", "ini"),
        ("README", None),
    ],
)
def test_format_follows_the_file_name(name: str, fmt: str | None) -> None:
    assert format_for(name) == fmt
