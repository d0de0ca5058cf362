"""The registrar's VIN flags: position 7 against the market, the model year of a North American car, the
plant. Rules are model facts (data, seeded by a migration); a mismatch is a flag, never an error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from register.models import Car, Market, RegisteredModel
from register.services import car_register, vin_check
from register.vin import VinFlagRules, validate_vin
from tests.factories import colour, make_vin

RULES = VinFlagRules(
    north_american_markets=frozenset({"US", "CA"}),
    right_hand_markets=frozenset({"GB", "AU", "ZA"}),
    position7_north_america="C3",
    position7_left_hand="1",
    position7_right_hand="2",
    north_american_year_codes="B",
    plant_codes="V",
)
POSITION7_US = "Position 7: 1, but the market US is a North American car (expected C, 3)."
YEAR_US = "Position 10: model year C, but North American cars were built as model year B."
PLANT = "Position 11: plant code X, but the model was built at plant V."


@pytest.mark.parametrize(
    ("vin", "market", "flags"),
    [
        (make_vin(1, market_code="C", year="B"), "US", []),
        (make_vin(2, market_code="C", year="C"), "US", [YEAR_US]),
        (make_vin(3, market_code="3", year="C"), "CA", [YEAR_US]),
        # A North American VIN declared elsewhere: position 7 and the year both flagged.
        (
            make_vin(4, market_code="C", year="C"),
            "DE",
            [
                "Position 7: C, but the market DE is a left-hand-drive market outside North America (expected 1).",
                YEAR_US,
            ],
        ),
        (make_vin(5, market_code="1"), "US", [POSITION7_US]),
        (make_vin(6, market_code="1"), "DE", []),
        (make_vin(7, market_code="2", year="0"), "AU", []),
        (
            make_vin(8, market_code="1"),
            "GB",
            ["Position 7: 1, but the market GB is a right-hand-drive market (expected 2)."],
        ),
        (
            make_vin(9, market_code="2"),
            "DE",
            ["Position 7: 2, but the market DE is a left-hand-drive market outside North America (expected 1)."],
        ),
        (make_vin(10, plant="X"), "DE", [PLANT]),
        (make_vin(11, market_code="C", year="C", plant="X"), "US", [YEAR_US, PLANT]),
    ],
)
def test_flags_are_computed_from_the_rules_passed_in(vin, market, flags):
    result = validate_vin(vin, market=market, rules=RULES)

    assert result.is_valid
    assert result.flags == flags


def test_no_rules_no_flags():
    assert validate_vin(make_vin(2, market_code="C", year="C", plant="X"), market="US").flags == []


def test_an_empty_rule_is_not_checked():
    rules = VinFlagRules(plant_codes="", position7_left_hand="")

    assert validate_vin(make_vin(12, market_code="7", plant="X"), market="DE", rules=rules).flags == []


def test_a_north_american_check_digit_stays_an_error_and_gets_no_flags():
    vin = make_vin(13, market_code="C", year="C")
    wrong = vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]

    result = validate_vin(wrong, market="US", rules=RULES)

    assert not result.is_valid
    assert result.flags == []


# The model facts -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rules_are_seeded_as_model_facts_with_their_sources():
    model = RegisteredModel.current()

    assert model.vin_flag_rules() == VinFlagRules(
        north_american_markets=frozenset({"US", "CA"}),
        right_hand_markets=frozenset({"GB", "IE", "AU", "NZ", "ZA", "JP", "HK", "SG", "MY"}),
        position7_north_america="C3",
        position7_left_hand="1",
        position7_right_hand="2",
        north_american_year_codes="B",
        plant_codes="V",
    )
    assert "bmwblog.com 2012-01-10" in model.vin_rules_source
    assert "1BC148" in model.vin_rules_source


@pytest.mark.django_db
def test_every_market_figure_has_its_public_source():
    markets = {str(m.country.code): (m.delivered, m.approximate, m.source) for m in Market.objects.all()}

    assert markets == {
        "US": (
            740,
            False,
            "739 customer cars + 1 Daytona pace car (a pre-production car that may count among the internal "
            "ones): bmwblog.com 2012-01-10, interview with BMW NA's M brand manager",
        ),
        "CA": (220, False, "bmwblog.com 2020-03-17"),
        "GB": (
            450,
            True,
            "About 450 sold: Autocar, quoted by carview.jp; caradvice.com.au 2013 gives an allocation of 400",
        ),
        "AU": (300, True, "More than 300: caradvice.com.au 2013 (the allocation started at about 100–130)"),
        "ZA": (71, False, "sacarfan.co.za, April 2012"),
    }


@pytest.mark.django_db
def test_registration_stores_the_flags_and_the_registrar_sees_them_next_to_the_check_digit_flag(
    owner, registrar_client
):
    car = car_register(owner=owner, vin=make_vin(20, market_code="C", year="C"), colour=colour(), market="US")

    change = registrar_client.get(reverse("admin:register_car_change", args=[car.pk])).content.decode()
    flagged = registrar_client.get(reverse("admin:register_car_changelist") + "?vin_flags=yes")

    assert car.vin_flags == YEAR_US
    assert car.check_digit_flag == ""
    assert change.index("field-check_digit_note") < change.index("field-vin_flags") < change.index("field-colour")
    assert YEAR_US in change
    assert list(flagged.context["cl"].result_list) == [car]


@pytest.mark.django_db
def test_corrected_facts_and_a_recheck_clear_the_flag(owner, registrar_client):
    car = car_register(owner=owner, vin=make_vin(21, plant="W"), colour=colour(), market="DE")
    assert car.vin_flags == "Position 11: plant code W, but the model was built at plant V."
    RegisteredModel.objects.update(plant_codes="VW")

    registrar_client.post(
        reverse("admin:register_car_changelist"), {"action": "recheck_vins", "_selected_action": [car.pk]}
    )

    car.refresh_from_db()
    assert car.vin_flags == ""


@pytest.mark.django_db
def test_an_owner_changing_the_market_updates_the_flags(owner_client, owner):
    car = car_register(owner=owner, vin=make_vin(22, market_code="2", year="0"), colour=colour(), market="GB")
    assert car.vin_flags == ""

    owner_client.post(
        reverse("register:car_edit", args=[car.pk]), {"colour": car.colour_id, "market": "DE", "nickname": ""}
    )

    car.refresh_from_db()
    assert str(car.market) == "DE"
    assert car.vin_flags == vin_check(car.vin, market="DE").flags[0]
    assert Car.objects.filter(vin_flags="").count() == 0
