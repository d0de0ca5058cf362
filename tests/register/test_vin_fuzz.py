"""Property tests: the VIN function never raises and its verdicts are consistent."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from register.vin import VIN_LENGTH, check_digit, normalise_vin, validate_vin
from tests.factories import make_vin

pytestmark = pytest.mark.fuzz

VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


@given(st.text(max_size=40), st.sampled_from([None, "", "US", "CA", "DE", "AU", "xx"]))
def test_validate_vin_never_raises_on_any_text(raw, market):
    result = validate_vin(raw, market=market)

    assert result.vin == normalise_vin(raw)
    if result.is_valid:
        assert len(result.vin) == VIN_LENGTH
        assert not set(result.vin) & set("IOQ")


@given(st.integers(min_value=0, max_value=999_999), st.sampled_from(["B", "C", "0"]))
def test_synthetic_vins_with_a_correct_check_digit_are_valid(serial, year):
    vin = make_vin(serial, year=year)

    assert validate_vin(vin, market="US" if year == "B" else "DE").is_valid


@given(st.text(alphabet=VIN_ALPHABET, min_size=17, max_size=17))
def test_check_digit_is_a_digit_or_x(vin):
    assert check_digit(vin) in "0123456789X"


@given(st.integers(min_value=0, max_value=999_999), st.sampled_from("0123456789X"))
def test_a_wrong_check_digit_blocks_north_america_and_only_flags_elsewhere(serial, digit):
    good = make_vin(serial)
    vin = good[:8] + digit + good[9:]

    north_america = validate_vin(vin, market="CA")
    europe = validate_vin(vin, market="NL")

    if digit == good[8]:
        assert north_america.is_valid and europe.is_valid and not europe.check_digit_flag
    else:
        assert not north_america.is_valid
        assert europe.is_valid and europe.check_digit_flag
