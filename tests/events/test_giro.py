"""Paying an entry fee: the GiroCode (read back by zbarimg), money in the reader's language, the payment box
on a page and in a mail, built from anything with ``amount``, ``reference`` and ``due``."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone, translation

from events import giro
from events.models import Session
from tests.factories import SessionFactory
from tests.zbar import zbarimg_read

DUE = datetime.datetime(2031, 9, 6, 21, 59, tzinfo=datetime.UTC)  # 23:59 in Berlin


@pytest.fixture(autouse=True)
def account(settings):
    settings.PAYMENT_ACCOUNT_HOLDER = "1M Register e.V."
    settings.PAYMENT_IBAN = "DE89 3704 0044 0532 0130 00"
    settings.PAYMENT_BIC = "COBADEFFXXX"
    return settings


def test_giro_code_png_reads_back_as_the_epc_payload(tmp_path):
    path = tmp_path / "girocode.png"
    path.write_bytes(giro.giro_code_png(amount=Decimal("25.00"), reference="1M-K7QX4-4"))

    payload = zbarimg_read(path)

    # segno writes the amount without trailing zeros ("EUR25", "EUR25.5"), as EPC069-12 allows.
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "COBADEFFXXX",
        "1M Register e.V.",
        "DE89370400440532013000",
        "EUR25",
        "",
        "",
        "1M-K7QX4-4",
    ]
    assert giro.epc_payload_parse(payload)["amount"] == Decimal("25.00")


def test_giro_code_png_keeps_cents_and_umlauts(tmp_path, account):
    account.PAYMENT_ACCOUNT_HOLDER = "Motorsportclub Nürburg e.V."
    path = tmp_path / "girocode.png"
    path.write_bytes(giro.giro_code_png(amount=Decimal("1250.05"), reference="1M-ABCDE-F"))

    fields = giro.epc_payload_parse(zbarimg_read(path))

    assert (fields["charset"], fields["name"], fields["amount"], fields["text"]) == (
        "1",
        "Motorsportclub Nürburg e.V.",
        Decimal("1250.05"),
        "1M-ABCDE-F",
    )


def test_epc_payload_parse_reads_each_line():
    payload = "BCD\n002\n1\nSCT\nCOBADEFFXXX\n1M Register e.V.\nDE89370400440532013000\nEUR25.5\n\n\n1M-K7QX4-4"

    assert giro.epc_payload_parse(payload) == {
        "service": "BCD",
        "version": "002",
        "charset": "1",
        "identification": "SCT",
        "bic": "COBADEFFXXX",
        "name": "1M Register e.V.",
        "iban": "DE89370400440532013000",
        "amount": Decimal("25.5"),
        "purpose": "",
        "reference": "",
        "text": "1M-K7QX4-4",
    }


def test_giro_code_svg_is_an_inline_svg_element():
    svg = giro.giro_code_svg(amount=Decimal("25.00"), reference="1M-K7QX4-4")

    # Scaled by the stylesheet through its viewBox; a fixed width would be cut off, not shrunk.
    assert svg.startswith('<svg viewBox="0 0 ')
    assert "width" not in svg.split(">", 1)[0]
    assert "<?xml" not in svg


@pytest.mark.parametrize(
    ("amount", "error"), [(Decimal("25.005"), ValueError), (25.0, TypeError), (25, TypeError), ("25.00", TypeError)]
)
def test_giro_code_refuses_an_amount_that_is_not_exact_cents(amount, error):
    with pytest.raises(error):
        giro.giro_code_png(amount=amount, reference="1M-K7QX4-4")


@pytest.mark.parametrize(
    ("language", "amount", "shown"),
    [
        ("en", Decimal("25.00"), "€25.00"),
        ("de", Decimal("25.00"), "25,00\u00a0€"),
        ("en", Decimal("1250.5"), "€1,250.50"),
        ("de", Decimal("1250.5"), "1.250,50\u00a0€"),
        ("en", None, ""),
    ],
)
def test_money_is_written_as_the_readers_language_does(language, amount, shown):
    with translation.override(language):
        assert Template("{% load payments %}{{ fee|money }}").render(Context({"fee": amount})) == shown


def test_iban_display_groups_in_fours():
    assert giro.iban_display("de89370400440532013000") == "DE89 3704 0044 0532 0130 00"


@pytest.mark.parametrize(
    "entry",
    [
        SimpleNamespace(amount_due=None, payment_reference=None, payment_due=None),
        SimpleNamespace(amount_due=Decimal("0.00"), payment_reference=None, payment_due=None),
        SimpleNamespace(),
    ],
)
def test_payment_details_for_a_free_entry_is_none(entry):
    assert giro.PaymentDetails.for_entry(entry) is None
    assert giro.payment_images(entry) == {}


def test_payment_details_for_entry_reads_the_entry_and_the_account():
    entry = SimpleNamespace(amount_due=Decimal("25.00"), payment_reference="1M-K7QX4-4", payment_due=DUE)

    assert giro.PaymentDetails.for_entry(entry) == giro.PaymentDetails(
        amount=Decimal("25.00"),
        reference="1M-K7QX4-4",
        due=DUE,
        account_holder="1M Register e.V.",
        iban="DE89 3704 0044 0532 0130 00",
        bic="COBADEFFXXX",
    )
    assert list(giro.payment_images(entry)) == ["girocode"]
    assert giro.payment_images(entry)["girocode"].startswith(b"\x89PNG")


def _box(language: str) -> str:
    payment = SimpleNamespace(amount=Decimal("25.00"), reference="1M-K7QX4-4", due=DUE)
    with translation.override(language):
        return Template("{% load payments %}{% payment_box payment %}").render(Context({"payment": payment}))


def test_payment_box_shows_amount_account_reference_deadline_and_code():
    box = _box("en")

    assert ">€25.00</dd>" in box
    assert "<dd>1M Register e.V.</dd>" in box
    assert '<span class="font-monospace">DE89 3704 0044 0532 0130 00</span>' in box
    assert '<span class="font-monospace">COBADEFFXXX</span>' in box
    assert '<dd class="payment-reference" translate="no">1M-K7QX4-4</dd>' in box
    assert "Saturday 6 September 2031, 23:59</time>" in box
    assert "(Europe/Berlin)" in box
    assert "Scan the code with your banking app, or type the details." in box
    assert 'role="img" aria-label="GiroCode for a transfer of €25.00 with the reference 1M-K7QX4-4"><svg' in box
    assert box.count("<svg") == 1


def test_payment_box_in_german():
    box = _box("de")

    assert ">25,00\u00a0€</dd>" in box
    assert "Kontoinhaber" in box
    assert "Samstag, 6. September 2031, 23:59</time>" in box
    assert "Scanne den Code mit deiner Banking-App oder gib die Daten von Hand ein." in box


def test_payment_mail_parts_carry_the_details_and_the_inline_code():
    entry = SimpleNamespace(amount_due=Decimal("25.00"), payment_reference="1M-K7QX4-4", payment_due=DUE)
    context = giro.payment_context(entry)

    with translation.override("en"):
        text = render_to_string("events/email/includes/payment.txt", context)
        html = render_to_string("events/email/includes/payment.html", context)

    assert "Amount: €25.00\n" in text
    assert "Account holder: 1M Register e.V.\n" in text
    assert "IBAN: DE89 3704 0044 0532 0130 00\n" in text
    assert "BIC: COBADEFFXXX\n" in text
    assert "Reference: 1M-K7QX4-4\n" in text
    assert "Pay by: Saturday 6 September 2031, 23:59 (Europe/Berlin)\n" in text
    assert '<img src="cid:girocode" alt="GiroCode for a transfer of €25.00 with the reference 1M-K7QX4-4"' in html
    assert '<td style="font-family: monospace; font-size: 20px; font-weight: bold;">1M-K7QX4-4</td>' in html


def test_payment_mail_parts_are_empty_for_a_free_entry():
    context = giro.payment_context(SimpleNamespace(amount_due=None, payment_reference=None, payment_due=None))

    assert render_to_string("events/email/includes/payment.txt", context).strip() == ""
    assert render_to_string("events/email/includes/payment.html", context).strip() == ""


def _event_page(session, language: str) -> str:
    # The event page's template with a real session: the view fills in the same names.
    request = RequestFactory().get(f"/events/{session.event.slug}/")
    request.user = AnonymousUser()
    context = {"event": session.event, "sessions": [session], "registration_open": False, "now": timezone.now()}
    with translation.override(language):
        return render_to_string("events/event_detail.html", context, request=request)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", '<dd class="col-sm-9">€25.00 <span'), ("de", '<dd class="col-sm-9">25,00\u00a0€ <span')],
)
def test_event_page_shows_a_sessions_fee(language, shown):
    session = Session.objects.with_counts().get(pk=SessionFactory().pk)
    session.fee = Decimal("25.00")

    page = _event_page(session, language)

    assert shown in page


@pytest.mark.django_db
@pytest.mark.parametrize("fee", [None, Decimal("0.00")])
def test_event_page_shows_no_fee_for_a_free_session(fee):
    session = Session.objects.with_counts().get(pk=SessionFactory().pk)
    session.fee = fee

    assert ">Fee</dt>" not in _event_page(session, "en")
