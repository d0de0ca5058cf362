"""The marshal sheet PDF, read back with pypdf: every slot in order, pace car on top, names by consent."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from events.marshal import ROWS_PER_PAGE
from events.models import Entry
from tests.factories import EntryFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = pytest.mark.django_db


def sheet(client, session) -> list[str]:
    response = client.get(reverse("admin:events_session_marshal_sheet", args=[session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def slots_in(text: str) -> list[int]:
    # pypdf gives one line per table row, starting with the slot number.
    return [int(n) for n in re.findall(r"^(\d{1,3}) ", text, flags=re.MULTILINE)]


def test_marshal_sheet_lists_every_slot_in_order_with_pace_car_on_top(organiser_client):
    session = SessionFactory(capacity=70, pace_car="BMW 2002 turbo", name="Nordschleife convoy")
    count = 60
    for slot in range(count, 0, -1):  # created in reverse: the sheet must follow the slots, not the ids
        EntryFactory(session=session, slot=slot, car=VerifiedCarFactory(register_number=500 + slot))
    EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None, car__nickname="Waiting Willy")

    pages = sheet(organiser_client, session)

    assert len(pages) == 3
    found = [slot for text in pages for slot in slots_in(text)]
    assert found == list(range(1, count + 1))
    first_page = pages[0]
    assert first_page.index("Pace car: BMW 2002 turbo") < first_page.index("#501")
    assert 25 <= len(slots_in(pages[0])) <= 30
    assert len(slots_in(pages[1])) == ROWS_PER_PAGE
    assert "Waiting Willy" not in "".join(pages)
    assert all("Nordschleife convoy" in text for text in pages)


def test_marshal_sheet_shows_colour_nickname_and_first_name_only_with_consent(organiser_client):
    session = SessionFactory(capacity=5)
    shown = UserFactory(display_name="Hanna Schmidt", show_name_publicly=True)
    hidden = UserFactory(display_name="Karl Geheim", show_name_publicly=False)
    EntryFactory(session=session, slot=1, car=VerifiedCarFactory(owner=shown, nickname="Green Mamba"))
    EntryFactory(session=session, slot=2, car=VerifiedCarFactory(owner=hidden, nickname="Quiet One"))

    [text] = sheet(organiser_client, session)

    assert "Green Mamba" in text
    assert "Valencia Orange Metallic" in text
    assert "Hanna" in text
    assert "Schmidt" not in text
    assert "Karl" not in text
    assert "Geheim" not in text


def test_marshal_sheet_of_empty_session_says_so(organiser_client):
    session = SessionFactory()

    [text] = sheet(organiser_client, session)

    assert "No confirmed cars in this session yet." in text


def test_marshal_sheet_needs_staff(client):
    session = SessionFactory()
    client.force_login(UserFactory())

    response = client.get(reverse("admin:events_session_marshal_sheet", args=[session.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
