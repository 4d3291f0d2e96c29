"""Lock files read as package -> version."""

from __future__ import annotations

import pytest

from relcheck.configdrift.lockfiles import lock_format_for, parse_lock
from relcheck.errors import ParseError


def test_requirements_txt_with_options_hashes_markers_and_continuations() -> None:
    text = (
        "# generated\n"
        "--index-url https://pypi.example/simple\n"
        "-r base.txt\n"
        "Django==4.2.3 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha256:bbbb\n"
        "requests[socks]==2.31.0  # pinned\n"
        'numpy==1.26.4 ; python_version < "3.12"\n'
        "click>=8\n"
        "Zope.Interface===6.0\n"
    )
    assert parse_lock(text, "requirements") == {
        "django": "4.2.3",
        "requests": "2.31.0",
        'numpy; python_version < "3.12"': "1.26.4",
        "click": ">=8",
        "zope-interface": "6.0",
    }


def test_a_bad_requirement_line_reports_its_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_lock("django==4.2\n\nnot a requirement!!\n", "requirements")
    assert caught.value.line == 3


def test_uv_and_poetry_locks_read_their_package_tables() -> None:
    text = (
        'version = 1\n[[package]]\nname = "Django"\nversion = "4.2.3"\n'
        '[[package]]\nname = "demo"\nsource = { editable = "." }\n'
    )
    assert parse_lock(text, "uv") == {"django": "4.2.3", "demo": "editable:."}
    assert parse_lock('[[package]]\nname = "attrs"\nversion = "23.1.0"\n', "poetry") == {
        "attrs": "23.1.0"
    }


def test_lock_format_follows_the_file_name() -> None:
    assert lock_format_for("deploy/uv.lock") == "uv"
    assert lock_format_for("poetry.lock") == "poetry"
    assert lock_format_for("pylock.toml") == "pylock"
    assert lock_format_for("requirements/prod.txt") == "requirements"
