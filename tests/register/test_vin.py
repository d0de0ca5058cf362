import pytest

from register.vin import check_digit, normalise_vin, validate_vin
from tests.factories import make_vin


def test_check_digit_matches_the_public_test_vector():
    assert check_digit("1M8GDM9AXKP042788") == "X"


def test_public_test_vector_is_valid_apart_from_model_rules():
    result = validate_vin("1M8GDM9AXKP042788", wmi=None, vds_prefix=None, year_codes="")

    assert result.errors == []
    assert result.check_digit_flag == ""


def test_normalise_drops_spaces_dashes_and_uppercases():
    assert normalise_vin(" wbs-ur9 1c0bv 000001 ") == "WBSUR91C0BV000001"


def test_valid_synthetic_vin_passes():
    result = validate_vin(make_vin(42), market="DE")

    assert result.is_valid
    assert result.vin == make_vin(42)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "17-character"),
        ("WBSUR91C0BV00001", "this one has 16"),
        ("WBSUR91C0BVO00001", "Position 12: the letter O"),
        ("WBSUR91C0BV00000I", "Position 17: the letter I"),
        ("WBSUR91C0BV00000Q", "Position 17: the letter Q"),
        ("WBSUR91C0BV00000_", "Position 17"),
        ("WBAUR91C0BV000001", "Positions 1–3: expected the manufacturer code WBS, found WBA"),
        ("WBSXX91C0BV000001", "Positions 4–6: expected UR9 for this model, found XX9"),
        ("WBSUR91C0AV000001", "Position 10: expected a model-year code"),
    ],
)
def test_each_error_names_the_position(raw, fragment):
    result = validate_vin(raw, market="DE")

    assert not result.is_valid
    assert any(fragment in error for error in result.errors), result.errors


def _arabic_indic(text: str) -> str:
    return "".join(chr(0x660 + int(ch)) if ch.isascii() and ch.isdigit() else ch for ch in text)


@pytest.mark.parametrize(
    ("raw", "position", "ch"),
    [(make_vin(5)[:16] + "²", 17, "²"), (make_vin(5)[:11] + _arabic_indic(make_vin(5)[11:]), 12, "\u0660")],
    ids=["superscript", "arabic-indic"],
)
def test_only_ascii_digits_are_vin_digits(raw, position, ch):
    # str.isdigit() says yes to both; a VIN spelt in other digits would be a second VIN for the same car.
    result = validate_vin(raw, market="DE")

    assert not result.is_valid
    assert f"Position {position}: “{ch}” is not allowed; use digits and capital letters." in result.errors


def _with_wrong_check_digit(vin: str) -> str:
    wrong = "1" if vin[8] != "1" else "2"
    return vin[:8] + wrong + vin[9:]


def test_wrong_check_digit_is_an_error_for_a_north_american_market():
    vin = _with_wrong_check_digit(make_vin(7))

    result = validate_vin(vin, market="US")

    assert not result.is_valid
    assert any(error.startswith("Position 9: the check digit should be") for error in result.errors)


def test_wrong_check_digit_is_an_error_when_position_7_says_north_america():
    vin = _with_wrong_check_digit(make_vin(7, market_code="C"))

    result = validate_vin(vin, market="DE")

    assert not result.is_valid


def test_wrong_check_digit_is_only_a_flag_elsewhere():
    vin = _with_wrong_check_digit(make_vin(7))

    result = validate_vin(vin, market="DE")

    assert result.is_valid
    assert result.check_digit_flag.startswith("Position 9: the check digit should be")


def test_european_zero_year_code_is_accepted():
    assert validate_vin(make_vin(8, year="0"), market="AU").is_valid
