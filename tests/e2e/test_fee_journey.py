"""Journey of an entry fee: a driver signs up for a paid session and is mailed the transfer's details with a
GiroCode that a banking app reads; the treasurer imports the bank statement, whose remittance has the reference
in lower case with spaces; the entry is paid and its ticket valid."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from events.giro import epc_payload_parse
from events.models import Entry
from tests.e2e.helpers import ensure_reference_data, log_in, watch_errors
from tests.factories import EventFactory, SessionFactory, UserFactory, VerifiedCarFactory, treasurer
from tests.payments.test_import import camt
from tests.zbar import zbarimg_read

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_paid_sign_up_girocode_then_imported_statement_pays_and_issues_the_ticket(
    page, live_server, deliver_mail, tmp_path, shot
):
    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031")
    SessionFactory(event=event, name="GP circuit", slug="gp", capacity=5, fee=Decimal("45.00"))
    car = VerifiedCarFactory(owner=UserFactory(email="driver@example.org"))
    treasurer(email="treasurer@example.org")
    base = live_server.url
    errors = watch_errors(page)

    # The driver sees the fee on the event page and signs up: the place is held, awaiting payment.
    log_in(page, base, email="driver@example.org")
    page.goto(f"{base}{event.get_absolute_url()}")
    session_card = page.get_by_role("region", name="GP circuit")
    expect(session_card.get_by_text("€45.00")).to_be_visible()
    session_card.get_by_label("Car").select_option(value=str(car.pk))
    session_card.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My entries")
    entry = Entry.objects.get(car=car)
    assert (entry.status, entry.amount_due, entry.has_valid_ticket) == (
        Entry.Status.AWAITING_PAYMENT,
        Decimal("45.00"),
        False,
    )
    row = page.get_by_role("row").filter(has_text="GP circuit")
    expect(row).to_contain_text("Awaiting payment")
    row.get_by_role("link", name=re.compile("How to pay")).click()
    box = page.get_by_role("region", name="Pay by bank transfer")
    expect(box).to_contain_text(entry.payment_reference)
    expect(box).to_contain_text("DE89 3704 0044 0532 0130 00")
    shot("payment-box")

    # The email carries amount and reference, and a GiroCode that reads back as that transfer.
    [mail] = deliver_mail()
    assert "€45.00" in mail.body and entry.payment_reference in mail.body
    [giro] = [part for part in mail.attachments if part["Content-ID"] == "<girocode>"]
    (tmp_path / "girocode.png").write_bytes(giro.get_payload(decode=True))
    transfer = epc_payload_parse(zbarimg_read(tmp_path / "girocode.png"))
    assert (transfer["service"], transfer["identification"], transfer["iban"]) == (
        "BCD",
        "SCT",
        "DE89370400440532013000",
    )
    assert transfer["amount"] == Decimal("45.00")
    assert entry.payment_reference in (transfer["reference"], transfer["text"])

    # The treasurer imports the statement: the driver typed the reference in lower case with spaces.
    typed = entry.payment_reference.lower().replace("-", " ")
    statement = tmp_path / "statement.xml"
    statement.write_bytes(camt(("BANK-0001", "45.00", f"Startgeld {typed} danke")))
    page.context.clear_cookies()
    log_in(page, base, email="treasurer@example.org", next_url="/admin/payments/statement/import/")
    page.get_by_label("Statement file").set_input_files(statement)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("statement.xml: 1 read, 1 new, 1 paid")).to_be_visible()

    entry.refresh_from_db()
    assert (entry.status, entry.has_valid_ticket) == (Entry.Status.CONFIRMED, True)
    [paid] = deliver_mail()[1:]
    assert paid.subject.startswith("[1M Register]") and entry.ticket_code_display in paid.body

    # The driver's ticket is valid now: its QR code is on the page.
    page.context.clear_cookies()
    log_in(page, base, email="driver@example.org", next_url=entry.get_ticket_url())
    expect(page.locator(".ticket-qr svg")).to_be_visible()
    expect(page.get_by_role("region", name="Pay by bank transfer")).to_have_count(0)
    assert errors == []
