"""The bank account that entry fees are paid to: checked with schwifty, required in production."""

from __future__ import annotations

import pytest

from events.checks import payment_account_is_set, payment_account_is_valid

ACCOUNT = {
    "PAYMENT_ACCOUNT_HOLDER": "1M Register e.V.",
    "PAYMENT_IBAN": "DE89370400440532013000",
    "PAYMENT_BIC": "COBADEFFXXX",
}


@pytest.fixture
def account(settings):
    for name, value in ACCOUNT.items():
        setattr(settings, name, value)
    settings.DEBUG = False
    return settings


def test_payment_account_checks_pass_with_a_valid_account(account):
    assert payment_account_is_valid(None) == []
    assert payment_account_is_set(None) == []


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("PAYMENT_IBAN", "DE89 3704 0044 0532 0130 00", None),
        ("PAYMENT_IBAN", "de89370400440532013000", None),
        ("PAYMENT_IBAN", "DE89370400440532013001", "events.E003"),
        ("PAYMENT_IBAN", "DE8937040044053201300", "events.E003"),
        ("PAYMENT_IBAN", "not an iban", "events.E003"),
        ("PAYMENT_IBAN", "BR1800360305000010009795493C1", "events.E004"),
        ("PAYMENT_BIC", "COBADEFF", None),
        ("PAYMENT_BIC", "COBADEF", "events.E005"),
        ("PAYMENT_BIC", "COBAZZFFXXX", "events.E005"),
        ("PAYMENT_ACCOUNT_HOLDER", "x" * 70, None),
        ("PAYMENT_ACCOUNT_HOLDER", "x" * 71, "events.E002"),
    ],
)
def test_payment_account_is_valid_refuses_what_a_bank_would(account, name, value, error):
    setattr(account, name, value)

    assert [issue.id for issue in payment_account_is_valid(None)] == ([error] if error else [])


@pytest.mark.parametrize("debug", [False, True])
def test_payment_account_is_valid_refuses_a_bad_iban_with_or_without_debug(account, debug):
    account.DEBUG = debug
    account.PAYMENT_IBAN = "DE89370400440532013001"

    assert [issue.id for issue in payment_account_is_valid(None)] == ["events.E003"]


@pytest.mark.parametrize("name", ["PAYMENT_ACCOUNT_HOLDER", "PAYMENT_IBAN", "PAYMENT_BIC"])
def test_payment_account_is_set_without_debug_names_what_is_missing(account, name):
    setattr(account, name, " ")

    issues = payment_account_is_set(None)

    assert [issue.id for issue in issues] == ["events.E001"]
    assert issues[0].msg.startswith(f"{name} must be set when DEBUG is off")


def test_payment_account_is_set_with_debug_is_quiet(account):
    account.DEBUG = True
    account.PAYMENT_IBAN = ""

    assert payment_account_is_set(None) == []
