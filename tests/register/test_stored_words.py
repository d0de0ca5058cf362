"""What the registrars read in the admin is in their language: a car's check-digit flag (stored in English,
shown in the reader's language), a claim's "decided by", the names of the export's columns (the CSV
header itself stays English)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from register.models import Car, User
from register.resources import COLUMNS
from register.services import claim_create, claim_reject
from tests.factories import CarFactory, UserFactory, VerifiedCarFactory, colour, make_vin

pytestmark = pytest.mark.django_db

VIN = make_vin(504)
BAD_VIN = VIN[:8] + ("0" if VIN[8] != "0" else "1") + VIN[9:]
FLAG = {
    "en": f"Position 9: the check digit should be {VIN[8]}, found {BAD_VIN[8]}.",
    "de": f"Stelle 9: Die Prüfziffer sollte {VIN[8]} sein, gefunden {BAD_VIN[8]}.",
}


def speaking(client, user: User, language: str):
    User.objects.filter(pk=user.pk).update(language=language)
    client.force_login(user)
    return client


def readonly_value(html: str, field: str) -> str:
    match = re.search(rf'field-{field}.*?<div class="readonly">(.*?)</div>', html, re.S)
    return match.group(1).strip()


@pytest.mark.parametrize("language", ["en", "de"])
def test_check_digit_flag_is_stored_in_english_whoever_registers_the_car(client, owner, language):
    car_data = {"vin": BAD_VIN, "colour": colour().pk, "market": "DE", "production_month": "2011-05"}

    response = speaking(client, owner, language).post(reverse("register:car_add"), car_data, follow=True)

    assert Car.objects.get().check_digit_flag == FLAG["en"]
    assert FLAG[language] in response.content.decode()  # the notice after adding, in the owner's language


@pytest.mark.parametrize("language", ["en", "de"])
def test_check_digit_flag_is_shown_in_the_registrars_language(client, registrar, language):
    # Stored by an earlier version in the language of whoever registered the car: shown the same.
    car = CarFactory(vin=BAD_VIN, market="DE", check_digit_flag=FLAG["de"])

    response = speaking(client, registrar, language).get(reverse("admin:register_car_change", args=[car.pk]))

    assert readonly_value(response.content.decode(), "check_digit_note") == FLAG[language]


@pytest.mark.parametrize(("language", "header"), [("en", "Decided by"), ("de", "Entschieden von")])
def test_claims_list_says_decided_by_in_the_registrars_language(client, registrar, language, header):
    claim = claim_create(car=VerifiedCarFactory(), claimant=UserFactory(), message="Mine")
    claim_reject(claim=claim, by=registrar)

    response = speaking(client, registrar, language).get(reverse("admin:register_claim_changelist"))

    html = response.content.decode()
    assert re.search(rf'<th scope="col" class="sortable column-decided_by">.*?{header}</a>', html, re.S)
    change = client.get(reverse("admin:register_claim_change", args=[claim.pk])).content.decode()
    assert re.search(rf'<div class="form-row field-decided_by">.*?<label>{header}:</label>', change, re.S)


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        (
            "en",
            [
                "VIN (vin)",
                "Colour (colour)",
                "Colour note (colour_note)",
                "Market (market)",
                "Production month (production_month)",
                "Nickname (nickname)",
                "Owner's email (owner_email)",
                "Status (status)",
                "Register number (register_number)",
            ],
        ),
        (
            "de",
            [
                "FIN (vin)",
                "Farbe (colour)",
                "Farbhinweis (colour_note)",
                "Markt (market)",
                "Produktionsmonat (production_month)",
                "Spitzname (nickname)",
                "E-Mail des Eigentümers (owner_email)",
                "Status (status)",
                "Registernummer (register_number)",
            ],
        ),
    ],
)
def test_export_form_names_the_columns_in_the_registrars_language(client, registrar, language, labels):
    response = speaking(client, registrar, language).get(reverse("admin:register_car_export"))

    form = response.context["form"]
    assert [form.fields[f"carresource_{column}"].label for column in COLUMNS] == labels


def test_export_header_stays_english_in_german(client, registrar):
    VerifiedCarFactory()
    data = {"resource": "0", "format": "0", **{f"carresource_{column}": "on" for column in COLUMNS}}

    response = speaking(client, registrar, "de").post(reverse("admin:register_car_export"), data)

    # German Excel reads semicolons (register/spreadsheet.py); the column names stay English.
    assert next(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")) == list(COLUMNS)
