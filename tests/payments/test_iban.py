from __future__ import annotations

import pytest

from payments.iban import iban_masked


@pytest.mark.parametrize(
    ("iban", "masked"),
    [
        ("DE89370400440532013000", "DE89 •••• •••• •••• •••• 00"),
        ("de89 3704 0044 0532 0130 00", "DE89 •••• •••• •••• •••• 00"),
        ("AT611904300234573201", "AT61 •••• •••• •••• 3201"),
        ("NL91ABNA0417164300", "NL91 •••• •••• •••• 00"),
        ("NO9386011117947", "NO93 •••• •••• 947"),
    ],
)
def test_iban_masked_shows_country_check_digits_and_last_group(iban, masked):
    assert iban_masked(iban) == masked


@pytest.mark.parametrize(("iban", "masked"), [("DE8937040044", "•••• •••• ••••"), ("12345", "•••• •")])
def test_iban_masked_too_short_is_all_dots(iban, masked):
    assert iban_masked(iban) == masked


@pytest.mark.parametrize("iban", ["", "   ", None])
def test_iban_masked_nothing_is_empty(iban):
    assert iban_masked(iban) == ""
