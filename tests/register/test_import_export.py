"""Import and export of the register through the admin, as a Registrars member."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from register.models import Car, Ownership
from register.resources import COLUMNS
from register.services import car_verify
from tests.factories import CarFactory, UserFactory, VerifiedCarFactory, colour, make_vin

IMPORT_URL = reverse("admin:register_car_import")
PROCESS_URL = reverse("admin:register_car_process_import")
EXPORT_URL = reverse("admin:register_car_export")
CSV_FORMAT, XLSX_FORMAT = "0", "1"


@pytest.fixture(autouse=True)
def restore_register_number_sequence(db):
    # The import moves the sequence with setval, which no test rollback undoes; put it
    # back so other tests in the same run see the sequence they would have seen.
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM register_car_register_number_seq")
        last_value, is_called = cursor.fetchone()
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('register_car_register_number_seq', %s, %s)", [last_value, is_called])


def wrong_check_digit(vin: str) -> str:
    return vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]


def csv_file(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(client, content: bytes, *, name: str = "register.csv", fmt: str = CSV_FORMAT):
    return client.post(IMPORT_URL, {"resource": "0", "format": fmt, "import_file": SimpleUploadedFile(name, content)})


def confirm(client, preview_response):
    return client.post(PROCESS_URL, dict(preview_response.context["confirm_form"].initial), follow=True)


def row_errors(response) -> dict[int, dict[str, list[str]]]:
    return {row.number: row.field_specific_errors for row in response.context["result"].invalid_rows}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# Preview of a file with bad rows -------------------------------------------------------------


def test_import_preview_lists_each_bad_row_with_its_reason_and_writes_nothing(registrar_client):
    existing = VerifiedCarFactory(register_number=777)
    good_vin = make_vin(9001)
    us_bad = wrong_check_digit(make_vin(9002))
    expected_digit = make_vin(9002)[8]
    before = Car.objects.count()
    content = csv_file(
        [
            [good_vin, "Alpine White", "", "DE", "2011-05", "Good", "", "pending", ""],
            [us_bad, "Alpine White", "", "US", "2011-05", "", "", "pending", ""],
            [make_vin(9003), "Pink Panther", "", "DE", "", "", "", "pending", ""],
            [make_vin(9004), "Alpine White", "", "XX", "", "", "", "pending", ""],
            [good_vin.lower(), "Alpine White", "", "DE", "", "", "", "pending", ""],
            [existing.vin, "Alpine White", "", "DE", "", "", "", "pending", ""],
            [make_vin(9007), "Alpine White", "", "DE", "", "", "nobody@example.org", "pending", ""],
            [make_vin(9008), "Alpine White", "", "DE", "May 2011", "", "", "pending", ""],
            [make_vin(9009), "Alpine White", "", "DE", "", "", "", "verified", "777"],
            [make_vin(9010), "Alpine White", "", "DE", "", "", "", "sold", ""],
        ]
    )

    response = upload(registrar_client, content)

    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    errors = row_errors(response)
    assert errors == {
        2: {"vin": [f"VIN rule: Position 9: the check digit should be {expected_digit}, found {us_bad[8]}."]},
        3: {
            "colour": [
                "Unknown colour “Pink Panther”: use a colour listed in the admin, or “Other” with a colour note."
            ]
        },
        4: {"market": ["Unknown market “XX”: use a two-letter ISO country code, e.g. DE or US."]},
        5: {"vin": ["This VIN is already in row 1 of this file."]},
        6: {"vin": [f"This VIN is already registered ({existing}); the import only adds new cars."]},
        7: {
            "owner": [
                "No account uses the email “nobody@example.org”; leave owner_email blank or ask the owner to create "
                "an account first."
            ]
        },
        8: {"production_month": ["Write the production month as YYYY-MM, e.g. 2011-05; found “May 2011”."]},
        9: {"register_number": ["Car with this Register number already exists."]},
        10: {"status": ["Unknown status “sold”: use pending, verified."]},
    }
    body = response.content.decode()
    for row in errors.values():
        for messages in row.values():
            for message in messages:
                assert message in body
    assert Car.objects.count() == before


def test_import_preview_of_a_clean_file_offers_confirm_and_writes_nothing(registrar_client):
    before = Car.objects.count()

    response = upload(registrar_client, csv_file([[make_vin(9101), "Alpine White", "", "DE", "", "", "", "", ""]]))

    assert response.context["confirm_form"] is not None
    assert [row.import_type for row in response.context["result"].valid_rows()] == ["new"]
    assert Car.objects.count() == before


def test_import_of_an_unreadable_file_is_a_form_error(registrar_client):
    response = upload(registrar_client, b"\x00\x01 not a spreadsheet", name="register.xlsx", fmt=XLSX_FORMAT)

    assert response.status_code == 200
    assert (
        response.context["form"]
        .errors["import_file"][0]
        .endswith("encountered while trying to read file. Ensure you have chosen the correct format for the file.")
    )


# Confirm -------------------------------------------------------------------------------------


def test_import_confirm_of_a_clean_csv_writes_the_rows(registrar_client, owner):
    numbered, flagged, unnumbered = make_vin(9201), wrong_check_digit(make_vin(9202)), make_vin(9203)
    content = csv_file(
        [
            [numbered, "alpine white", "", "de", "2011-05", "Schnitzel", "OWNER@example.org", "Verified", "50000"],
            [flagged, "Other", "Frozen Grey repaint", "GB", "", "", "", "pending", ""],
            [unnumbered, "Black Sapphire Metallic", "", "AU", "2012-01", "", "", "verified", ""],
        ]
    )
    preview = upload(registrar_client, content)

    response = confirm(registrar_client, preview)

    assert messages_of(response) == ["Import finished: 3 new, 0 updated, 0 deleted and 0 skipped cars."]
    first = Car.objects.get(vin=numbered)
    assert (first.colour, str(first.market), first.production_month, first.nickname, first.owner) == (
        colour("Alpine White"),
        "DE",
        datetime.date(2011, 5, 1),
        "Schnitzel",
        owner,
    )
    assert (first.status, first.register_number, first.verified_at is not None) == ("verified", 50000, True)
    assert list(Ownership.objects.filter(car=first).values_list("owner", "ended")) == [(owner.pk, None)]
    second = Car.objects.get(vin=flagged)
    assert second.check_digit_flag.startswith("Position 9: the check digit should be")
    assert (second.status, second.register_number, second.owner, second.colour_note) == (
        "pending",
        None,
        None,
        "Frozen Grey repaint",
    )
    assert Ownership.objects.filter(car=second).count() == 0
    third = Car.objects.get(vin=unnumbered)
    # Verified without a number: numbered from the sequence, after the file's own numbers.
    assert (third.status, third.register_number) == ("verified", 50001)


def test_import_moves_the_sequence_past_imported_numbers(registrar_client):
    content = csv_file([[make_vin(9301), "Alpine White", "", "DE", "", "", "", "verified", "60000"]])
    confirm(registrar_client, upload(registrar_client, content))
    pending = CarFactory()

    car_verify(car=pending)

    pending.refresh_from_db()
    assert pending.register_number == 60001


def test_import_confirm_writes_nothing_if_the_data_changed_since_the_preview(registrar_client):
    first_vin, second_vin = make_vin(9401), make_vin(9402)
    preview = upload(
        registrar_client,
        csv_file(
            [
                [first_vin, "Alpine White", "", "DE", "", "", "", "pending", ""],
                [second_vin, "Alpine White", "", "DE", "", "", "", "pending", ""],
            ]
        ),
    )
    CarFactory(vin=second_vin)  # someone registered it in the meantime

    response = confirm(registrar_client, preview)

    assert response.redirect_chain == [(IMPORT_URL, 302)]
    assert messages_of(response) == ["Nothing was imported: rows 2 no longer pass the checks. Upload the file again."]
    assert Car.objects.filter(vin=first_vin).exists() is False


def test_import_xlsx_works(registrar_client):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    sheet.append(
        [
            make_vin(9501),
            "Valencia Orange Metallic",
            None,
            "CH",
            datetime.datetime(2011, 7, 14),
            "Orange",
            None,
            "verified",
            61000,
        ]
    )
    sheet.append([make_vin(9502), "Java Green", "Green Mamba", "DE", "2011-09", None, None, "pending", None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    preview = upload(registrar_client, buffer.getvalue(), name="register.xlsx", fmt=XLSX_FORMAT)
    response = confirm(registrar_client, preview)

    assert messages_of(response) == ["Import finished: 2 new, 0 updated, 0 deleted and 0 skipped cars."]
    orange = Car.objects.get(vin=make_vin(9501))
    assert (orange.production_month, orange.register_number, orange.nickname, str(orange.market)) == (
        datetime.date(2011, 7, 1),
        61000,
        "Orange",
        "CH",
    )
    green = Car.objects.get(vin=make_vin(9502))
    assert (green.colour, green.colour_note, green.nickname, green.status) == (
        colour("Java Green"),
        "Green Mamba",
        "",
        "pending",
    )


# Permissions ---------------------------------------------------------------------------------


def test_import_staff_without_the_import_permission_is_forbidden(client, db):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403


def test_import_plain_owner_is_redirected_to_admin_login(owner_client):
    response = owner_client.get(IMPORT_URL)

    assert (response.status_code, response["Location"]) == (302, f"{reverse('admin:login')}?next={IMPORT_URL}")


# Export --------------------------------------------------------------------------------------


def test_export_csv_contains_the_rows(registrar_client, owner):
    verified = VerifiedCarFactory(
        owner=owner,
        register_number=12,
        nickname="Schnitzel",
        colour=colour("Alpine White"),
        production_month=datetime.date(2011, 5, 1),
    )
    pending = CarFactory(owner=None, market="US", colour=colour("Java Green"), colour_note="Green Mamba")
    data = {"resource": "0", "format": CSV_FORMAT}
    data.update({f"carresource_{column}": "on" for column in COLUMNS})

    response = registrar_client.post(EXPORT_URL, data)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(COLUMNS)
    assert sorted(rows[1:]) == sorted(
        [
            [verified.vin, "Alpine White", "", "DE", "2011-05", "Schnitzel", owner.email, "verified", "12"],
            [pending.vin, "Java Green", "Green Mamba", "US", "", "", "", "pending", ""],
        ]
    )


def test_exported_csv_imports_back_as_errors_not_overwrites(registrar_client):
    car = VerifiedCarFactory(register_number=13)
    data = {"resource": "0", "format": CSV_FORMAT}
    data.update({f"carresource_{column}": "on" for column in COLUMNS})
    exported = registrar_client.post(EXPORT_URL, data).content

    response = upload(registrar_client, exported)

    assert row_errors(response) == {
        1: {"vin": [f"This VIN is already registered ({car}); the import only adds new cars."]}
    }


# Spreadsheets: the BOM and the separator of the reader's language ---------------------------------------


def export_all(client) -> bytes:
    data = {"resource": "0", "format": CSV_FORMAT}
    data.update({f"carresource_{column}": "on" for column in COLUMNS})
    response = client.post(EXPORT_URL, data)
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize(("language", "separator"), [("en", ","), ("de", ";")])
def test_export_csv_starts_with_the_bom_and_separates_as_excel_in_the_language_expects(
    registrar_client, registrar, language, separator
):
    registrar.language = language
    registrar.save(update_fields=["language"])
    car = VerifiedCarFactory(register_number=21, nickname="Kürbis; rot, schnell", colour=colour("Alpine White"))

    content = export_all(registrar_client)

    assert content.startswith(b"\xef\xbb\xbf" + separator.join(COLUMNS).encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=separator))
    owner_email = car.owner.email
    assert rows[1] == [car.vin, "Alpine White", "", "DE", "", "Kürbis; rot, schnell", owner_email, "verified", "21"]


@pytest.mark.parametrize(("language", "separator"), [("en", ","), ("de", ";")])
def test_export_page_says_which_separator_the_csv_uses(registrar_client, registrar, language, separator):
    registrar.language = language
    registrar.save(update_fields=["language"])

    page = registrar_client.get(EXPORT_URL).content.decode()

    expected = {
        ",": "The CSV file is separated by commas, as Excel expects in English.",
        ";": "Die CSV-Datei ist durch Semikolons getrennt, wie Excel auf Deutsch es erwartet.",
    }[separator]
    assert expected in page


@pytest.mark.parametrize("separator", [",", ";"])
def test_import_reads_a_csv_with_bom_and_either_separator(registrar_client, separator):
    vin = make_vin(9601)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator)
    writer.writerow(COLUMNS)
    writer.writerow([vin, "Alpine White", "", "DE", "2011-05", "Kürbis; rot, schnell", "", "pending", ""])
    content = b"\xef\xbb\xbf" + out.getvalue().encode()

    response = confirm(registrar_client, upload(registrar_client, content))

    assert messages_of(response) == ["Import finished: 1 new, 0 updated, 0 deleted and 0 skipped cars."]
    assert Car.objects.get(vin=vin).nickname == "Kürbis; rot, schnell"


def test_a_german_export_imports_back_as_errors_not_overwrites(registrar_client, registrar):
    registrar.language = "de"
    registrar.save(update_fields=["language"])
    car = VerifiedCarFactory(register_number=22)
    exported = export_all(registrar_client)

    response = upload(registrar_client, exported)

    assert row_errors(response) == {
        1: {"vin": [f"Diese FIN ist bereits registriert ({car}); der Import fügt nur neue Fahrzeuge hinzu."]}
    }


def test_import_numbers_a_verified_row_without_emailing_its_owner(registrar_client, owner, deliver_mail):
    vin = make_vin(9701)
    content = csv_file([[vin, "Alpine White", "", "DE", "", "", owner.email, "verified", ""]])

    confirm(registrar_client, upload(registrar_client, content))

    car = Car.objects.get(vin=vin)
    assert (car.status, car.register_number is not None, car.owner) == (Car.Status.VERIFIED, True, owner)
    assert deliver_mail() == []
