"""Books and receipts: an event's payments, refunds and outstanding amounts as CSV and as totals on its admin
page; a paid entry's receipt (PDF) for its driver."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from events.models import Entry
from events.services import entry_cancel
from payments.books import event_books_csv, event_books_totals
from payments.models import BankTransaction
from payments.refunds import refunds_mark_done
from tests.factories import EntryFactory, UserFactory, organiser, staff_in
from tests.payments.helpers import credit, paid_entry, paid_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _club_account(settings):
    settings.PAYMENT_ACCOUNT_HOLDER = "1M Register e.V."
    settings.PAYMENT_IBAN = "DE89370400440532013000"
    settings.PAYMENT_BIC = "COBADEFFXXX"


def treasurer(**fields):
    return staff_in("Treasurers", **fields)


def books_event():
    """An event with a bank payment, a cash payment refunded, a late credit, an entry awaiting payment, and a
    driver whose name a spreadsheet would run as a formula."""
    session = paid_session()
    paid_entry(session, reference="1M-AAAAA-1", driver=UserFactory(first_name="=HYPERLINK(1)", last_name="X"))
    cash = paid_entry(
        session, reference="1M-BBBBB-2", bank=False, driver=UserFactory(first_name="Cara", last_name="Cash")
    )
    entry_cancel(entry=cash, by=organiser())
    refunds_mark_done(refunds=cash.refunds.all(), by=None)
    expired = EntryFactory(
        session=session,
        status=Entry.Status.EXPIRED,
        slot=None,
        amount_due=session.fee,
        payment_reference="1M-CCCCC-3",
        driver=UserFactory(first_name="Lars", last_name="Late"),
    )
    credit(expired, amount=Decimal("45.00"), status=BankTransaction.Status.LATE, payer_name="Lars Late")
    EntryFactory(
        session=session,
        status=Entry.Status.AWAITING_PAYMENT,
        slot=None,
        amount_due=session.fee,
        payment_reference="1M-DDDDD-4",
        payment_due=timezone.now() + datetime.timedelta(days=5),
        driver=UserFactory(first_name="Otto", last_name="Owing"),
    )
    return session.event, session


def test_event_books_csv_lists_payments_refunds_and_outstanding_with_formulas_escaped():
    event, session = books_event()
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    today = timezone.localdate().isoformat()
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()

    rows = event_books_csv(event)

    name = session.name
    assert rows == [
        ["1M-AAAAA-1", "'=HYPERLINK(1) X", name, "Payment by bank transfer", "45.00", yesterday, "Paid"],
        ["1M-BBBBB-2", "Cara Cash", name, "Payment in cash", "45.00", yesterday, "Cancelled"],
        ["1M-BBBBB-2", "Cara Cash", name, "Refund", "45.00", today, "Done"],
        ["1M-CCCCC-3", "Lars Late", name, "Payment by bank transfer", "45.00", yesterday, "Late"],
        ["1M-DDDDD-4", "Otto Owing", name, "Outstanding", "45.00", due, "Awaiting payment"],
    ]


def test_event_books_totals_add_up_received_refunded_and_outstanding():
    event, _session = books_event()

    totals = event_books_totals(event)

    assert (totals.received, totals.refunded, totals.refunds_open, totals.outstanding) == (
        Decimal("135.00"),
        Decimal("45.00"),
        Decimal("0.00"),
        Decimal("45.00"),
    )


def test_books_csv_download_in_german_has_bom_semicolons_and_comma_decimals(client):
    event, _session = books_event()
    client.force_login(treasurer(language="de"))

    response = client.get(reverse("admin:payments_event_books", args=[event.pk]))

    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("\ufeffVerwendungszweck;Fahrer;Turn;Art;Betrag (EUR);Datum;Status\r\n")
    assert "1M-AAAAA-1;'=HYPERLINK(1) X;" in text
    assert ";Zahlung per Überweisung;45,00;" in text


def test_books_csv_download_refused_to_an_organiser_without_the_treasurer_permission(client):
    event, _session = books_event()
    client.force_login(organiser())

    response = client.get(reverse("admin:payments_event_books", args=[event.pk]))

    assert response.status_code == 403


def test_event_admin_page_shows_the_totals_to_a_treasurer_only(client):
    event, _session = books_event()
    url = reverse("admin:events_event_change", args=[event.pk])
    client.force_login(treasurer())

    page = client.get(url).content.decode()
    client.force_login(organiser())
    organiser_page = client.get(url).content.decode()

    assert "<dt>Received</dt><dd>€135.00</dd>" in page
    assert "<dt>Outstanding</dt><dd>€45.00</dd>" in page
    assert reverse("admin:payments_event_books", args=[event.pk]) in page
    assert "Received" not in organiser_page


# --- receipts ------------------------------------------------------------------------------------------------


def receipt_text(response) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return text.replace("\xa0", " ")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Receipt", "Receipt number", "1M-AAAAA-1", "€45.00", "bank transfer", "1M Register e.V."]),
        ("de", ["Quittung", "Quittungsnummer", "1M-AAAAA-1", "45,00 €", "Überweisung", "1M Register e.V."]),
    ],
)
def test_receipt_pdf_for_the_driver_in_their_language(client, language, expected):
    entry = paid_entry(paid_session(), reference="1M-AAAAA-1")
    entry.driver.first_name, entry.driver.last_name, entry.driver.language = "Anna", "Berger", language
    entry.driver.save()
    client.force_login(entry.driver)

    response = client.get(reverse("payments:receipt", args=[entry.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = receipt_text(response)
    for part in [*expected, "Anna Berger", entry.session.name, str(entry.car)]:
        assert part in text


def test_receipt_for_a_stranger_is_404(client):
    entry = paid_entry(paid_session(), reference="1M-AAAAA-1")
    client.force_login(UserFactory())

    response = client.get(reverse("payments:receipt", args=[entry.pk]))

    assert response.status_code == 404


def test_receipt_of_an_entry_not_paid_is_404(client):
    session = paid_session()
    entry = EntryFactory(
        session=session,
        status=Entry.Status.AWAITING_PAYMENT,
        slot=None,
        amount_due=session.fee,
        payment_reference="1M-DDDDD-4",
        payment_due=timezone.now() + datetime.timedelta(days=5),
    )
    client.force_login(entry.driver)

    response = client.get(reverse("payments:receipt", args=[entry.pk]))

    assert response.status_code == 404


def test_my_entries_links_the_receipt_of_a_paid_entry(client):
    entry = paid_entry(paid_session(), reference="1M-AAAAA-1")
    client.force_login(entry.driver)

    page = client.get(reverse("events:my_entries")).content.decode()

    assert reverse("payments:receipt", args=[entry.pk]) in page
