"""The drift policy: missing, extra, value and type drift, may_differ and must_equal."""

from __future__ import annotations

from typing import Any

from relcheck.configdrift.compare import Comparison, Policy, compare
from relcheck.configdrift.paths import Globs, flatten, show


def run(
    staging: dict[str, Any],
    production: dict[str, Any],
    *,
    allow_extra: tuple[str, ...] = (),
    may_differ: tuple[str, ...] = (),
    must_equal: tuple[str, ...] = (),
) -> Comparison:
    policy = Policy(Globs(allow_extra), Globs(may_differ), Globs(must_equal))
    return compare(flatten(staging), flatten(production), policy, lambda _p, v: show(v))


def verdicts(result: Comparison) -> dict[str, tuple[str, str, bool]]:
    return {r.path: (r.verdict, r.rule, r.failing) for r in result.rows}


CONFIG = {"db": {"host": "h", "port": 5432}, "hosts": ["a", "b"], "debug": False}


def test_identical_configs_have_no_rows_and_count_every_key() -> None:
    result = run(CONFIG, CONFIG)
    assert result.rows == ()
    assert result.compared == 5


def test_a_key_missing_in_staging_is_drift() -> None:
    result = run({"db": {"host": "h"}}, {"db": {"host": "h", "port": 1}})
    assert verdicts(result) == {"db.port": ("missing in staging", "-", True)}
    assert result.rows[0].staging == "(missing)"


def test_a_key_only_in_staging_is_drift_unless_allow_extra_lists_it() -> None:
    staging = {"db": {"host": "h"}, "debug_toolbar": {"on": True}}
    assert verdicts(run(staging, {"db": {"host": "h"}})) == {
        "debug_toolbar.on": ("only in staging", "-", True)
    }
    allowed = run(staging, {"db": {"host": "h"}}, allow_extra=("debug_toolbar",))
    assert verdicts(allowed) == {
        "debug_toolbar.on": ("only in staging", "allow_extra 'debug_toolbar'", False)
    }


def test_a_value_difference_fails_outside_may_differ_and_passes_inside() -> None:
    staging, production = {"db": {"host": "s"}}, {"db": {"host": "p"}}
    assert verdicts(run(staging, production)) == {"db.host": ("differs", "-", True)}
    assert verdicts(run(staging, production, may_differ=("db.host",))) == {
        "db.host": ("differs", "may_differ 'db.host'", False)
    }


def test_a_type_difference_is_drift_even_where_may_differ_matches() -> None:
    result = run({"db": {"port": "5432"}}, {"db": {"port": 5432}}, may_differ=("db.*",))
    assert verdicts(result) == {
        "db.port": (
            "type differs (text vs int)",
            "may_differ 'db.*' allows values, not types",
            True,
        )
    }
    assert (result.rows[0].staging, result.rows[0].production) == ('"5432"', "5432")


def test_must_equal_overrides_may_differ() -> None:
    result = run(
        {"image": {"tag": "1.4"}},
        {"image": {"tag": "1.3"}},
        may_differ=("image.*",),
        must_equal=("image.tag",),
    )
    assert verdicts(result) == {"image.tag": ("differs", "must_equal 'image.tag'", True)}


def test_an_empty_list_against_a_full_one_is_one_row_not_one_per_item() -> None:
    result = run({"hosts": []}, {"hosts": ["a", "b", "c"]})
    assert verdicts(result) == {"hosts": ("differs", "-", True)}
    assert (result.rows[0].staging, result.rows[0].production) == ("[]", "[3 items]")


def test_a_scalar_against_a_mapping_is_a_type_difference() -> None:
    result = run({"db": "postgres://x"}, {"db": {"host": "h", "port": 1}}, may_differ=("db",))
    assert verdicts(result)["db"][0] == "type differs (text vs mapping)"


def test_lists_compare_by_index() -> None:
    result = run({"hosts": ["b", "a"]}, {"hosts": ["a", "b"]})
    assert set(verdicts(result)) == {"hosts[0]", "hosts[1]"}


def test_int_and_float_are_different_types() -> None:
    assert verdicts(run({"ratio": 1}, {"ratio": 1.0}))["ratio"][0] == (
        "type differs (int vs float)"
    )


def test_a_list_under_may_differ_may_differ_in_length_too() -> None:
    result = run(
        {"hosts": ["staging.example.com"], "db": {"host": "s"}},
        {"hosts": ["example.com", "www.example.com"], "db": {"host": "p", "port": 1}},
        may_differ=("hosts", "db.*"),
    )
    assert verdicts(result) == {
        "hosts[0]": ("differs", "may_differ 'hosts'", False),
        "hosts[1]": ("missing in staging", "may_differ 'hosts'", False),
        # a mapping key missing on one side is still drift, whatever may_differ says
        "db.port": ("missing in staging", "-", True),
        "db.host": ("differs", "may_differ 'db.*'", False),
    }


def test_must_equal_keeps_a_list_item_missing_in_staging_as_drift() -> None:
    result = run({"pins": ["a"]}, {"pins": ["a", "b"]}, may_differ=("*",), must_equal=("pins",))
    assert verdicts(result) == {"pins[1]": ("missing in staging", "-", True)}


def _documents() -> Any:
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
    keys = st.text(alphabet='ab.[]"_é', max_size=3)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
        max_leaves=12,
    )


def test_any_document_compared_with_itself_is_identical_and_its_paths_are_distinct() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=100, deadline=None)
    @given(st.dictionaries(st.text(alphabet='ab.[]"_é', max_size=3), _documents(), max_size=4))
    def check(document: dict[str, Any]) -> None:
        result = run(document, document)
        assert result.rows == ()
        assert result.compared == len(flatten(document))

    check()


def test_changing_one_leaf_gives_exactly_one_row() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=100, deadline=None)
    @given(
        st.dictionaries(
            st.text(alphabet="ab.[]_", min_size=1, max_size=3), _documents(), min_size=1
        )
    )
    def check(document: dict[str, Any]) -> None:
        flat = flatten(document)
        path = sorted(flat)[0]
        changed = dict(flat)
        changed[path] = "changed-value" if flat[path] != "changed-value" else "other"
        policy = Policy(Globs(()), Globs(()), Globs(()))
        result = compare(changed, flat, policy, lambda _p, v: show(v))
        assert [r.path for r in result.rows] == [path]

    check()
