"""Property-based tests: loading never fails with anything but a clean error, and tag
names are judged exactly as git judges them."""

from __future__ import annotations

import copy
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from relcheck.checklist.load import load_checklist
from relcheck.errors import ChecklistError, UsageError
from relcheck.git.refname import tag_name_problem
from relcheck.models import Checklist
from tests.reliability.support import FIGURES

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

VALID: dict[str, Any] = {
    "version": 1,
    "release": {"tag": "v{version}", "branch": "main", "push": False},
    "defaults": {"timeout": "10m"},
    "secrets": ["API_TOKEN"],
    "hook": {"branches": ["main"], "steps": ["lint"]},
    "steps": [
        {"id": "lint", "run": ["ruff", "check", "."], "owner": "team", "timeout": "90s"},
        {"id": "unit", "run": "pytest -q", "needs": ["lint"], "retries": 1, "env": {"A": "b"}},
        {"id": "smoke", "uses": "command", "with": {"run": "true", "cwd": "."}, "optional": True},
    ],
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["90s", "-1s", "0", "1h30m", "lint", "unit", "command", "{version}", "v1"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from(
    [
        "id",
        "run",
        "uses",
        "with",
        "needs",
        "timeout",
        "retries",
        "env",
        "optional",
        "version",
        "steps",
        "release",
        "tag",
        "defaults",
        "secrets",
        "hook",
        "cache",
        "inputs",
        "cwd",
    ]
) | st.text(max_size=8)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: Any, draw: Any) -> Any:
    path = draw(st.sampled_from(_paths(doc)))
    if not path:
        return draw(values)
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["replace", "delete", "add", "duplicate"]))
    last = path[-1]
    if action == "replace":
        parent[last] = draw(values)
    elif action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent[last], dict):
        parent[last][draw(keys)] = draw(values)
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    return doc


def _load(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "relcheck.yaml"
        path.write_bytes(content)
        FIGURES.add("generated checklists loaded")
        refused: ChecklistError | UsageError | None = None
        try:
            loaded = load_checklist(str(path))
        except (ChecklistError, UsageError) as exc:
            refused = exc
        if refused is None:
            assert isinstance(loaded, Checklist)
            return
        assert str(refused)
        if isinstance(refused, ChecklistError):
            assert all(p.location.line >= 1 for p in refused.problems)


@PROPERTY
@given(st.data())
def test_a_mutated_checklist_loads_or_fails_with_a_checklist_error(data: Any) -> None:
    doc = copy.deepcopy(VALID)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        doc = _mutate(doc, data.draw)
    _load(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode())


YAML_NOISE = st.sampled_from(
    [*":-[]{}&*!|>#'\"\t\n %@`,?", "\x00", "\x1b", "\ufeff", "\u2028", "&a ", "*a", "<<: "]
)


@PROPERTY
@given(st.data())
def test_edited_checklist_text_loads_or_fails_with_a_checklist_error(data: Any) -> None:
    text = yaml.safe_dump(VALID, sort_keys=False)
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        at = data.draw(st.integers(min_value=0, max_value=len(text)))
        edit = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = data.draw(YAML_NOISE | st.text(max_size=3))
        if edit == "insert":
            text = text[:at] + piece + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + data.draw(st.integers(0, 5)) :]
        else:
            text = text[:at] + piece + text[at + len(piece) :]
    raw = text.encode("utf-8", "surrogatepass")
    if data.draw(st.booleans()):
        raw = raw.replace(b"a", bytes([data.draw(st.integers(0x80, 0xFF))]), 1)
    _load(raw)


# -- tag names ------------------------------------------------------------------------

TAG_PIECES = st.sampled_from(
    [
        "v",
        "1",
        ".",
        "..",
        "/",
        "//",
        "-",
        "@",
        "@{",
        "{",
        "}",
        "~",
        "^",
        ":",
        "?",
        "*",
        "[",
        "\\",
        " ",
        "\t",
        "\x01",
        "\x7f",
        ".lock",
        "lock",
        "a",
        "rc",
        "é",
        "_",
        "+",
        "!",
        "'",
        "$(",
        ")",
        ";",
        "`",
        "#",
        "%",
    ]
)
TAG_NAMES = st.lists(TAG_PIECES, min_size=0, max_size=8).map("".join) | st.text(max_size=12)


def _git_accepts(name: str) -> bool:
    proc = subprocess.run(
        ["git", "check-ref-format", f"refs/tags/{name}"],
        capture_output=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    return proc.returncode == 0


# Each name costs a git process: a sample of generated names each run, plus every piece
# git's rules single out, always.
EDGE_TAG_NAMES = [
    "v1.2.0",
    "v1..2",
    "v1.lock",
    "v1.lock/a",
    "a/.b",
    ".v1",
    "v1.",
    "v1/",
    "/v1",
    "a//b",
    "v@{1",
    "v1@",
    "@",
    "-v1",
    "v 1",
    "v\t1",
    "v\x011",
    "v\x7f",
    "v~1",
    "v^1",
    "v:1",
    "v?1",
    "v*1",
    "v[1",
    "v\\1",
    "é1",
    "v$(x)",
    "",
]


@settings(max_examples=15, deadline=None, database=None)
@given(st.lists(TAG_NAMES, min_size=25, max_size=25))
@example(EDGE_TAG_NAMES)
def test_tag_name_rules_agree_with_git_check_ref_format(names: list[str]) -> None:
    disagreements = []
    for name in names:
        if "\x00" in name:  # cannot be an argument, let alone a ref
            assert tag_name_problem(name) is not None
            continue
        ours = tag_name_problem(name) is None
        if name.startswith("-") or name == "@":
            # Deliberately stricter than git: a leading '-' reads as an option, and a tag
            # named '@' is shadowed by HEAD (git rev-parse @ means HEAD).
            assert not ours, f"{name!r} must be refused"
            continue
        FIGURES.add("tag names compared with git")
        if ours != _git_accepts(name):
            disagreements.append((name, ours))
    FIGURES.add("tag-name disagreements with git", len(disagreements))
    assert not disagreements, f"(name, relcheck accepts) where git disagrees: {disagreements}"
