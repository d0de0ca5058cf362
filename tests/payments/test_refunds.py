"""Refunds: recorded when a paid entry is cancelled (by the driver before the cut-off, by an organiser always),
or when a treasurer returns a late or overpaid credit; exported as one pain.001 file, once; marked done."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
from django.db import connection
from django.utils import timezone
from lxml import etree

from events.models import Entry
from events.services import entry_cancel
from payments.models import BankTransaction, Refund
from payments.refunds import RefundError, refund_create, refunds_export, refunds_mark_done
from tests.events.test_race import run_at_once
from tests.factories import UserFactory, organiser
from tests.payments.helpers import FEE, PAYER_IBAN, credit, paid_entry, paid_session

pytestmark = pytest.mark.django_db

XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


@pytest.fixture(autouse=True)
def _club_account(settings):
    settings.PAYMENT_ACCOUNT_HOLDER = "1M Register e.V."
    settings.PAYMENT_IBAN = "DE89370400440532013000"
    settings.PAYMENT_BIC = "COBADEFFXXX"


def refund_rows():
    return list(Refund.objects.values_list("entry__payment_reference", "amount", "payer_name", "payer_iban", "status"))


# --- cancelling a paid entry ---------------------------------------------------------------------------------


def test_cancel_by_the_driver_before_refund_until_records_a_refund_due_to_the_payer():
    session = paid_session(refund_until=timezone.now() + datetime.timedelta(days=3))
    entry = paid_entry(session, reference="1M-AAAAA-1")

    entry_cancel(entry=entry, by=entry.driver)

    assert refund_rows() == [("1M-AAAAA-1", FEE, "Anna Berger", PAYER_IBAN, Refund.Status.DUE)]
    refund = Refund.objects.get()
    assert refund.transaction == entry.bank_transactions.get()
    assert refund.reason == "Cancelled by the driver"
    assert refund.payer_iban_masked == "DE02 •••• •••• •••• •••• 51"


def test_cancel_by_the_driver_after_refund_until_records_no_refund():
    session = paid_session(refund_until=timezone.now() - datetime.timedelta(minutes=1))
    entry = paid_entry(session, reference="1M-AAAAA-1")

    cancelled = entry_cancel(entry=entry, by=entry.driver)

    assert cancelled.status == Entry.Status.CANCELLED
    assert refund_rows() == []


def test_cancel_by_the_driver_without_refund_until_is_refunded_until_the_session_starts():
    entry = paid_entry(paid_session(), reference="1M-AAAAA-1")

    entry_cancel(entry=entry, by=entry.driver)

    assert refund_rows() == [("1M-AAAAA-1", FEE, "Anna Berger", PAYER_IBAN, Refund.Status.DUE)]


def test_cancel_by_an_organiser_after_refund_until_is_refunded():
    session = paid_session(refund_until=timezone.now() - datetime.timedelta(days=1))
    entry = paid_entry(session, reference="1M-AAAAA-1")

    entry_cancel(entry=entry, by=organiser())

    assert refund_rows() == [("1M-AAAAA-1", FEE, "Anna Berger", PAYER_IBAN, Refund.Status.DUE)]
    assert Refund.objects.get().reason == "Cancelled by an organiser"


def test_cancel_of_an_entry_paid_in_cash_records_a_cash_refund_without_iban():
    entry = paid_entry(paid_session(), reference="1M-AAAAA-1", bank=False)

    entry_cancel(entry=entry, by=entry.driver)

    assert refund_rows() == [("1M-AAAAA-1", FEE, "", "", Refund.Status.DUE)]
    assert Refund.objects.get().transaction is None


def test_cancel_of_an_entry_awaiting_payment_records_no_refund():
    session = paid_session()
    entry = paid_entry(session, reference="1M-AAAAA-1", bank=False)
    Entry.objects.filter(pk=entry.pk).update(
        status=Entry.Status.AWAITING_PAYMENT, slot=None, paid_at=None, payment_due=session.starts_at
    )

    entry_cancel(entry=entry, by=entry.driver)

    assert refund_rows() == []


def test_cancel_page_says_before_confirming_that_a_late_cancel_is_not_refunded(client):
    session = paid_session(refund_until=timezone.now() - datetime.timedelta(hours=1))
    entry = paid_entry(session, reference="1M-AAAAA-1")
    client.force_login(entry.driver)

    page = client.get(f"/events/my-entries/{entry.pk}/cancel/").content.decode()

    assert "if you cancel now, the fee of €45.00 is not refunded." in page


def test_cancel_page_says_in_german_that_the_fee_is_refunded_before_the_cut_off(client):
    session = paid_session(refund_until=timezone.now() + datetime.timedelta(days=2))
    entry = paid_entry(session, reference="1M-AAAAA-1")
    entry.driver.language = "de"
    entry.driver.save(update_fields=["language"])
    client.force_login(entry.driver)

    page = client.get(f"/events/my-entries/{entry.pk}/cancel/", headers={"accept-language": "de"}).content.decode()

    assert "Du hast 45,00\xa0€ bezahlt. Wenn du vor " in page


def test_cancellation_mail_says_the_fee_is_refunded_before_the_cut_off(deliver_mail):
    session = paid_session(refund_until=timezone.now() + datetime.timedelta(days=3))
    entry = paid_entry(session, reference="1M-AAAAA-1")

    entry_cancel(entry=entry, by=entry.driver)

    [mail] = deliver_mail()
    for text in (mail.body, mail.alternatives[0][0]):
        assert "The fee of €45.00 that you paid will be refunded to you." in text
        assert "not refunded" not in text


def test_cancellation_mail_after_the_cut_off_says_in_german_that_the_fee_stays(deliver_mail):
    session = paid_session(refund_until=timezone.now() - datetime.timedelta(hours=1))
    entry = paid_entry(session, reference="1M-AAAAA-1")
    entry.driver.language = "de"
    entry.driver.save(update_fields=["language"])

    entry_cancel(entry=entry, by=entry.driver)

    [mail] = deliver_mail()
    assert "Die bezahlte Gebühr wird nicht erstattet: Gebühren werden nur bei Stornierungen vor dem " in mail.body
    assert "erstattet." in mail.body and "wird dir erstattet" not in mail.body


def test_cancellation_mail_of_a_free_or_unpaid_entry_says_nothing_of_fees(deliver_mail):
    session = paid_session()
    entry = paid_entry(session, reference="1M-AAAAA-1", bank=False)
    Entry.objects.filter(pk=entry.pk).update(
        status=Entry.Status.AWAITING_PAYMENT, slot=None, paid_at=None, payment_due=session.starts_at
    )
    entry.refresh_from_db()

    entry_cancel(entry=entry, by=entry.driver)

    [mail] = deliver_mail()
    assert "refund" not in mail.body and "fee" not in mail.body


# --- a late or overpaid credit returned ----------------------------------------------------------------------


def test_refund_create_late_credit_refunds_it_in_full_and_marks_it_refunded():
    entry = paid_entry(paid_session(), reference="1M-AAAAA-1", bank=False)
    late = credit(entry, amount=Decimal("45.00"), status=BankTransaction.Status.LATE, payer_name="Bert Late")
    treasurer = UserFactory()

    refund = refund_create(transaction=late, by=treasurer, reason="  no place  free ")

    assert (refund.amount, refund.payer_name, refund.reason, refund.status) == (
        Decimal("45.00"),
        "Bert Late",
        "no place free",
        Refund.Status.DUE,
    )
    late.refresh_from_db()
    assert (late.status, late.decided_by) == (BankTransaction.Status.REFUNDED, treasurer)


def test_refund_create_overpaid_credit_refunds_the_excess():
    entry = paid_entry(paid_session(), reference="1M-AAAAA-1", bank=False)
    over = credit(entry, amount=Decimal("50.50"), status=BankTransaction.Status.OVERPAID)

    refund = refund_create(transaction=over, by=None, reason="")

    assert (refund.amount, refund.reason) == (Decimal("5.50"), "Overpaid")


def test_refund_create_second_time_is_refused():
    entry = paid_entry(paid_session(), reference="1M-AAAAA-1", bank=False)
    late = credit(entry, amount=Decimal("45.00"), status=BankTransaction.Status.LATE)
    refund_create(transaction=late, by=None, reason="first")
    BankTransaction.objects.filter(pk=late.pk).update(status=BankTransaction.Status.LATE)

    with pytest.raises(RefundError, match="already has an open refund"):
        refund_create(transaction=late, by=None, reason="second")

    assert Refund.objects.count() == 1


def test_refund_create_paid_credit_is_refused():
    entry = paid_entry(paid_session(), reference="1M-AAAAA-1")

    with pytest.raises(RefundError, match="Only a late or overpaid credit"):
        refund_create(transaction=entry.bank_transactions.get(), by=None, reason="")


# --- export and done -----------------------------------------------------------------------------------------


def cancelled_refunds(*payers):
    session = paid_session()
    for number, (name, bank) in enumerate(payers):
        entry = paid_entry(session, reference=f"1M-AAAA{number}-1", bank=bank, payer_name=name)
        entry_cancel(entry=entry, by=entry.driver)
    return Refund.objects.order_by("pk")


def test_refunds_export_writes_a_valid_pain001_of_the_due_refunds_with_an_iban():
    refunds = cancelled_refunds(("Anna Berger", True), ("Cash Carl", False), ("Jürgen Weiß", True))

    document, export_id = refunds_export(refunds=refunds, by=None)

    xml = etree.fromstring(document)
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(xml)
    assert xml.xpath("//p:GrpHdr/p:MsgId/text()", namespaces=NS) == [export_id]
    assert xml.xpath("//p:CdtTrfTxInf/p:Cdtr/p:Nm/text()", namespaces=NS) == ["Anna Berger", "Juergen Weiss"]
    assert xml.xpath("//p:RmtInf/p:Ustrd/text()", namespaces=NS) == ["Refund 1M-AAAA0-1", "Refund 1M-AAAA2-1"]
    assert xml.xpath("//p:GrpHdr/p:CtrlSum/text()", namespaces=NS) == ["90.00"]
    assert list(refunds.values_list("payer_name", "status", "export_id")) == [
        ("Anna Berger", Refund.Status.EXPORTED, export_id),
        ("", Refund.Status.DUE, ""),
        ("Jürgen Weiß", Refund.Status.EXPORTED, export_id),
    ]


def test_refunds_export_of_cash_refunds_only_is_refused():
    refunds = cancelled_refunds(("Cash Carl", False))

    with pytest.raises(RefundError, match="nothing to export"):
        refunds_export(refunds=refunds, by=None)

    assert list(refunds.values_list("status", flat=True)) == [Refund.Status.DUE]


def test_refunds_export_again_leaves_exported_refunds_out():
    refunds = cancelled_refunds(("Anna Berger", True))
    refunds_export(refunds=refunds, by=None)

    with pytest.raises(RefundError, match="nothing to export"):
        refunds_export(refunds=refunds, by=None)


@pytest.mark.django_db(transaction=True)
def test_refunds_export_twice_at_once_exports_each_refund_once():
    ids = [refund.pk for refund in cancelled_refunds(("Anna Berger", True), ("Bert Bauer", True))]

    def export(_index):
        return refunds_export(refunds=Refund.objects.filter(pk__in=ids), by=None)

    results = run_at_once(2, export)

    files = [result for result in results if isinstance(result, tuple)]
    refused = [result for result in results if isinstance(result, RefundError)]
    assert (len(files), len(refused)) == (1, 1)
    [(_document, export_id)] = files
    assert list(Refund.objects.order_by("pk").values_list("status", "export_id")) == [
        (Refund.Status.EXPORTED, export_id),
        (Refund.Status.EXPORTED, export_id),
    ]
    connection.close()


def test_refunds_mark_done_marks_open_refunds_done_once():
    refunds = cancelled_refunds(("Anna Berger", True), ("Cash Carl", False))
    refunds_export(refunds=refunds, by=None)
    treasurer = UserFactory()

    assert refunds_mark_done(refunds=refunds, by=treasurer) == 2
    assert refunds_mark_done(refunds=refunds, by=treasurer) == 0

    assert list(refunds.values_list("status", "done_by")) == [
        (Refund.Status.DONE, treasurer.pk),
        (Refund.Status.DONE, treasurer.pk),
    ]
