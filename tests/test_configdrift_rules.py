"""Each kind of `require` rule, passing and failing."""

from __future__ import annotations

from typing import Any

import pytest

from relcheck.configdrift.paths import flatten
from relcheck.configdrift.rules import Rule, check

CONFIG = flatten(
    {
        "debug": False,
        "log": {"level": "info"},
        "upload": {"max_mb": 50},
        "session": {"cookie": {"secure": True}},
        "allowed_hosts": ["example.com", "www.example.com"],
        "api": {"url": "https://api.example.com"},
    }
)


def failures(rule: Rule, config: dict[str, Any] = CONFIG, textual: bool = False) -> list[str]:
    return [f"{f.path}: {f.reason}" for f in check(rule, config, "production", textual)]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (Rule("debug", equals=False), []),
        (Rule("debug", equals=True), ["debug: differs"]),
        (Rule("debug", equals=0), ["debug: differs"]),  # false is not 0
        (Rule("log.level", in_=("info", "warning")), []),
        (Rule("log.level", in_=("warning", "error")), ["log.level: not one of the allowed values"]),
        (Rule("upload.max_mb", max=50), []),
        (Rule("upload.max_mb", max=49.5), ["upload.max_mb: above max"]),
        (Rule("upload.max_mb", min=60), ["upload.max_mb: below min"]),
        (Rule("log.level", max=10), ["log.level: not a number"]),
        (Rule("session.cookie", present=True), []),  # a mapping counts as present
        (Rule("session.token", present=True), ["session.token: missing"]),
        (Rule("debug_toolbar", present=False), []),
        (Rule("session", present=False), ["session.cookie.secure: present"]),
        (Rule("api.url", regex=r"^https://"), []),
        (Rule("api.url", regex=r"^http://"), ["api.url: does not match"]),
        (Rule("*.secure", equals=True), []),
        (Rule("nothing.here", equals=1), ["nothing.here: missing"]),
        (Rule("allowed_hosts", equals=["example.com", "www.example.com"]), []),
        (Rule("allowed_hosts", equals=["example.com"]), ["allowed_hosts: differs"]),
    ],
)
def test_rule(rule: Rule, expected: list[str]) -> None:
    assert failures(rule) == expected


def test_text_only_formats_compare_flags_and_numbers_by_their_text() -> None:
    env = {"DEBUG": "False", "UPLOAD_MAX_MB": "50", "LOG_LEVEL": "info"}
    assert failures(Rule("DEBUG", equals=False), env, textual=True) == []
    assert failures(Rule("UPLOAD_MAX_MB", max=50), env, textual=True) == []
    assert failures(Rule("UPLOAD_MAX_MB", max=10), env, textual=True) == [
        "UPLOAD_MAX_MB: above max"
    ]
    # Typed formats keep types: the text "50" is not the number 50 there.
    assert failures(Rule("UPLOAD_MAX_MB", max=50), env, textual=False) == [
        "UPLOAD_MAX_MB: not a number"
    ]


def test_the_rule_describes_itself_as_written() -> None:
    assert Rule("debug", equals=False).describe() == "require equals false"
    assert Rule("x", min=1, max=50, on="production").describe() == (
        "require min 1, max 50 on production"
    )
    assert Rule("x", in_=("info", "warning")).describe() == "require in [info, warning]"
    assert Rule("x", present=False).describe() == "require absent"
