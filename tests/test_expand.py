"""The one ``${VAR}`` expander, as runner parameters and config-drift's sources use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from relcheck.configdrift.sources import SourceSpec, load
from relcheck.errors import MissingVariable, RunnerError, SourceError
from relcheck.system.expand import expand

ENV = {"HOST": "staging.example", "TOKEN": "s3cret"}


def test_variables_are_replaced_and_a_bare_dollar_is_left_alone() -> None:
    text = "https://${HOST}/a$b?t=${TOKEN}"
    assert expand(text, ENV, where="url") == "https://staging.example/a$b?t=s3cret"


def test_a_doubled_dollar_is_a_literal_when_escapes_are_on() -> None:
    assert expand("$${HOST} ${HOST}", ENV, where="url") == "${HOST} staging.example"


def test_a_doubled_dollar_is_a_dollar_before_a_variable_without_escapes() -> None:
    assert expand("$${HOST}", ENV, where="url", escapes=False) == "$staging.example"


def test_a_missing_variable_names_where_it_was_used() -> None:
    with pytest.raises(MissingVariable) as caught:
        expand("${NOPE}/health", ENV, where="step 'integration': url")
    assert isinstance(caught.value, RunnerError)  # the step ends in ERROR, not a crash
    assert str(caught.value) == "step 'integration': url: ${NOPE} is not set in the environment"


def test_every_variable_used_is_reported_for_masking() -> None:
    used: list[tuple[str, str]] = []
    expand("${TOKEN}:${HOST}", ENV, where="header", on_use=lambda n, v: used.append((n, v)))
    assert used == [("TOKEN", "s3cret"), ("HOST", "staging.example")]


def test_a_config_drift_side_with_a_missing_variable_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        load(SourceSpec("${NOPE}.yaml"), "staging", root=str(tmp_path), env=ENV, timeout=1.0)
    assert caught.value.message == "`staging` uses ${NOPE}, which is not set in the environment"
