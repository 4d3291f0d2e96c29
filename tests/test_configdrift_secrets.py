"""Secret values are masked, comparable within a report, and references told apart."""

from __future__ import annotations

import pytest

from relcheck.configdrift.secrets import SecretPolicy


def test_values_under_secret_looking_keys_are_masked_with_a_short_hash() -> None:
    policy = SecretPolicy()
    shown = policy.show("database.password", "hunter2")
    assert shown.startswith("***")
    assert len(shown) == 11
    assert "hunter2" not in shown
    assert policy.show("database.host", "db") == '"db"'


def test_equal_secrets_show_equal_marks_and_different_ones_differ() -> None:
    policy = SecretPolicy()
    assert policy.show("a.token", "x1") == policy.show("b.token", "x1")
    assert policy.show("a.token", "x1") != policy.show("a.token", "x2")


def test_marks_are_keyed_per_comparison_so_they_cannot_be_checked_against_a_guess() -> None:
    assert SecretPolicy().show("token", "hunter2") != SecretPolicy().show("token", "hunter2")


def test_everything_below_a_secret_looking_key_is_secret() -> None:
    policy = SecretPolicy()
    assert policy.is_secret_path("credentials.stripe.live")
    assert policy.is_secret_path("api_keys[0]")
    assert policy.is_secret_path("AWS_SECRET_ACCESS_KEY")
    assert not policy.is_secret_path("database.host")


def test_secret_key_patterns_add_to_the_built_in_rules() -> None:
    policy = SecretPolicy(key_patterns=["*pin*"])
    assert policy.is_secret_path("atm.pin")
    assert policy.is_secret_path("db.password")  # a checklist cannot unmask a password
    assert not SecretPolicy().is_secret_path("atm.pin")


def test_key_names_follow_the_same_rules_as_variable_names() -> None:
    policy = SecretPolicy()
    assert policy.is_secret_path("stripe.apiKey")
    assert policy.is_secret_path("sentry.dsn")
    assert policy.is_secret_path("tls.key")
    assert not policy.is_secret_path("ui.keyboard_layout")
    assert not policy.is_secret_path("package.author")


def test_a_token_given_as_the_user_of_a_url_is_masked() -> None:
    policy = SecretPolicy()
    dsn = "https://0123456789abcdef0123456789abcdef@o123.ingest.sentry.io/1"
    shown = policy.show("monitoring.endpoint", dsn)
    assert "0123456789abcdef" not in shown
    assert shown.startswith('"https://***') and "@o123.ingest.sentry.io/1" in shown


def test_references_and_empty_values_are_shown_as_written() -> None:
    policy = SecretPolicy()
    assert policy.show("db.password", "${DB_PASSWORD}") == '"${DB_PASSWORD}"'
    assert policy.show("db.password", "") == '""'
    assert policy.show("db.password", None) == "null"


@pytest.mark.parametrize(
    ("value", "plaintext"),
    [
        ("hunter2", True),
        ("${DB_PASSWORD}", False),
        ("$DB_PASSWORD", False),
        ("vault:secret/data/db#password", False),
        ("op://prod/db/password", False),
        ("hunter2${SUFFIX}", True),  # a reference must be the whole value
        ("", False),
        (3600, False),  # token_ttl: numbers are not credentials
    ],
)
def test_plaintext_secret_detection(value: object, plaintext: bool) -> None:
    assert SecretPolicy().is_plaintext("db.password", value) is plaintext


def test_extra_reference_prefixes_are_configurable() -> None:
    assert not SecretPolicy(references=["sops:"]).is_plaintext("db.password", "sops:abc")


def test_a_password_inside_a_url_is_masked_under_any_key_before_shortening() -> None:
    policy = SecretPolicy()
    value = "postgres://app:hunter2-very-long-password-indeed@db.internal:5432/service"
    shown = policy.show("database.url", value)
    assert "hunter2" not in shown
    assert shown.startswith('"postgres://app:***')
    other = policy.show("database.url", value.replace("hunter2", "hunter3"))
    assert shown != other  # a changed password still shows as a change
    ref = "postgres://app:${DB_PASSWORD}@db/service"
    assert policy.show("database.url", ref) == f'"{ref}"'


@pytest.mark.parametrize(
    ("value", "plaintext"),
    [
        ("postgres://app:hunter2@db/service", True),
        ("postgres://app:${DB_PASSWORD}@db/service", False),
        ("https://example.com/path", False),
    ],
)
def test_a_literal_url_password_is_plaintext_whatever_the_key(value: str, plaintext: bool) -> None:
    assert SecretPolicy().is_plaintext("database.url", value) is plaintext
