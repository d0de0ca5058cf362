"""Statements in, matched: the suite's statement files imported against entries awaiting payment with the
references those files carry; re-imports and overlaps change nothing; flagged, late and unmatched credits are
decided by the treasurer; the expiry job racing an import; the command."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from events.models import Entry
from events.services import entries_expire_overdue
from outbox.models import Message
from payments.models import BankTransaction, CsvLayout, Statement
from payments.services import (
    PaymentError,
    statement_import,
    transaction_assign,
    transaction_ignore,
    transaction_match,
    transaction_reinstate,
)
from payments.statements import StatementError
from tests.audit import entry_changes
from tests.events.test_race import run_at_once
from tests.factories import EntryFactory, EventFactory, SessionFactory, treasurer

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
Status = BankTransaction.Status


def paid_session(*, capacity=10, fee=Decimal("45.00")):
    starts_at = timezone.now() + datetime.timedelta(days=40)
    return SessionFactory(
        event=EventFactory(),
        capacity=capacity,
        fee=fee,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
    )


def awaiting(reference: str, amount: str, *, session=None, due=None) -> Entry:
    """An entry awaiting payment of ``amount`` with ``reference`` (as the statement files name them)."""
    session = session or paid_session(fee=Decimal(amount))
    return EntryFactory(
        session=session,
        status=Entry.Status.AWAITING_PAYMENT,
        slot=None,
        amount_due=Decimal(amount),
        payment_reference=reference,
        payment_due=due or timezone.now() + datetime.timedelta(days=10),
    )


def load(name: str, **kwargs) -> Statement:
    return statement_import(data=(FILES / name).read_bytes(), file_name=name, by=None, **kwargs)


def camt(*credits: tuple[str, str, str]) -> bytes:
    """A CAMT.053.001.02 statement with one booked credit per (bank reference, amount, remittance)."""
    entries = "".join(
        f"""<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2024-04-02</Dt></BookgDt><AcctSvcrRef>{key}</AcctSvcrRef>
        <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Anna Schmidt</Nm></Dbtr>
        <DbtrAcct><Id><IBAN>DE44500105175407324931</IBAN></Id></DbtrAcct></RltdPties>
        <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""
        for key, amount, remittance in credits
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>T1</MsgId><CreDtTm>2024-04-02T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2024-04-02T20:00:00</CreDtTm>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>{entries}</Stmt></BkToCstmrStmt></Document>""".encode()


def imported(*credits: tuple[str, str, str]) -> Statement:
    return statement_import(data=camt(*credits), file_name="test.xml", by=None)


def statuses() -> dict[str, str]:
    return dict(BankTransaction.objects.values_list("bank_reference", "status"))


def status_of(entry: Entry) -> str:
    entry.refresh_from_db()
    return entry.status


# --- matching -----------------------------------------------------------------------------------------------


def test_import_pays_exact_credits_in_any_writing_of_the_reference_and_flags_the_short_one(deliver_mail):
    lower_case_spaces = awaiting("1M-HTWRE-Y", "25.00")  # "1m htwre y Anmeldung Konvoi"
    split = awaiting("1M-PMN3C-9", "45.00")  # "Startgeld 1M-PMN3 C-9 Nordschleife"
    leading_zeros = awaiting("1M-DF4GU-Q", "25.00")  # "0001M-DF4GU-Q"
    short = awaiting("1M-YV96L-H", "45.00")  # 30.00 paid

    statement = load("camt053_001_02.xml")

    assert statement.outcome() == {"read": 4, "new": 4, "paid": 3, "flagged": 1, "unmatched": 0}
    assert (statement.format, statement.file_name) == ("camt", "camt053_001_02.xml")
    for entry in (lower_case_spaces, split, leading_zeros):
        entry.refresh_from_db()
        assert (entry.status, entry.has_valid_ticket) == (Entry.Status.CONFIRMED, True)
        assert entry.paid_at == timezone.make_aware(datetime.datetime(2024, 3, 15))
        assert [c.reason for c in entry_changes(entry) if c.field == "status"] == [
            "marked paid: bank transfer 2024-03-15"
        ]
    assert status_of(short) == Entry.Status.AWAITING_PAYMENT
    assert dict(BankTransaction.objects.values_list("entry__payment_reference", "status")) == {
        "1M-HTWRE-Y": Status.PAID,
        "1M-PMN3C-9": Status.PAID,
        "1M-DF4GU-Q": Status.PAID,
        "1M-YV96L-H": Status.UNDERPAID,
    }
    mails = deliver_mail()
    assert sorted(mail.to[0] for mail in mails) == sorted(
        entry.driver.email for entry in (lower_case_spaces, split, leading_zeros)
    )
    assert all(mail.subject.startswith("[1M Register] Payment received:") for mail in mails)


def test_a_reference_with_a_typo_is_unmatched_and_pays_nothing(deliver_mail):
    entry = awaiting("1M-HTWRE-Y", "25.00")

    statement = imported(("T-1", "25.00", "1M-HTWRF-Y"))

    assert statement.outcome()["unmatched"] == 1
    assert list(BankTransaction.objects.values_list("status", "entry")) == [(Status.UNMATCHED, None)]
    assert status_of(entry) == Entry.Status.AWAITING_PAYMENT
    assert deliver_mail() == []


def test_a_remittance_without_a_reference_is_unmatched():
    imported(("T-1", "25.00", "Mitgliedsbeitrag 2024"))

    assert statuses() == {"T-1": Status.UNMATCHED}


@pytest.mark.parametrize(("amount", "flag"), [("44.99", Status.UNDERPAID), ("90.00", Status.OVERPAID)])
def test_a_wrong_amount_is_flagged_the_entry_keeps_waiting_and_nobody_is_mailed(amount, flag, deliver_mail):
    entry = awaiting("1M-HTWRE-Y", "45.00")

    statement = imported(("T-1", amount, "1M-HTWRE-Y"))

    assert statement.outcome() == {"read": 1, "new": 1, "paid": 0, "flagged": 1, "unmatched": 0}
    assert list(BankTransaction.objects.values_list("status", "entry")) == [(flag, entry.pk)]
    assert status_of(entry) == Entry.Status.AWAITING_PAYMENT
    assert deliver_mail() == []


def test_a_second_payment_for_a_paid_entry_is_flagged_overpaid(deliver_mail):
    entry = awaiting("1M-HTWRE-Y", "25.00")

    imported(("T-1", "25.00", "1M-HTWRE-Y"), ("T-2", "25.00", "1m-htwre-y again"))

    assert statuses() == {"T-1": Status.PAID, "T-2": Status.OVERPAID}
    assert status_of(entry) == Entry.Status.CONFIRMED
    assert len(deliver_mail()) == 1


def test_two_identical_transfers_in_an_mt940_statement_are_both_counted():
    entry = awaiting("1M-TQ3MX-Y", "45.00")

    statement = load("mt940_overlap.sta")

    assert statement.outcome() == {"read": 3, "new": 3, "paid": 1, "flagged": 1, "unmatched": 1}
    assert sorted(BankTransaction.objects.filter(entry=entry).values_list("status", flat=True)) == [
        Status.OVERPAID,
        Status.PAID,
    ]


def test_a_csv_statement_is_read_with_a_saved_layout():
    layout = CsvLayout.objects.create(
        name="Volksbank",
        date_column="Buchungstag",
        amount_column="Betrag",
        remittance_column="Verwendungszweck",
        payer_name_column="Name Zahlungsbeteiligter",
        payer_iban_column="IBAN Zahlungsbeteiligter",
        currency_column="Waehrung",
    )
    entry = awaiting("1M-CAE7J-H", "90.00")

    statement = load("volksbank.csv", csv_layout=layout)

    assert (statement.format, statement.outcome()["paid"]) == ("csv", 1)
    assert status_of(entry) == Entry.Status.CONFIRMED


def test_a_payment_after_expiry_is_late_and_the_entry_stays_expired(deliver_mail, mailoutbox):
    entry = awaiting("1M-HTWRE-Y", "25.00", due=timezone.now() - datetime.timedelta(minutes=1))
    entries_expire_overdue()
    deliver_mail()
    mailoutbox.clear()

    imported(("T-1", "25.00", "1M-HTWRE-Y"))

    assert statuses() == {"T-1": Status.LATE}
    assert status_of(entry) == Entry.Status.EXPIRED
    assert deliver_mail() == []


def test_a_payment_for_a_cancelled_entry_is_late():
    entry = awaiting("1M-HTWRE-Y", "25.00")
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.CANCELLED)

    imported(("T-1", "25.00", "1M-HTWRE-Y"))

    assert statuses() == {"T-1": Status.LATE}


# --- re-import and overlap ----------------------------------------------------------------------------------


def test_importing_a_statement_again_changes_nothing(deliver_mail):
    awaiting("1M-HTWRE-Y", "25.00")
    awaiting("1M-YV96L-H", "45.00")
    load("camt053_001_02.xml")
    before = sorted(BankTransaction.objects.values_list("bank_reference", "status", "entry", "statement"))
    assert len(deliver_mail()) == 1

    again = load("camt053_001_02.xml")

    assert again.outcome() == {"read": 4, "new": 0, "paid": 0, "flagged": 0, "unmatched": 0}
    assert sorted(BankTransaction.objects.values_list("bank_reference", "status", "entry", "statement")) == before
    assert Message.objects.count() == 1


def test_an_overlapping_statement_adds_only_its_new_credits():
    awaiting("1M-RXP4K-Y", "45.00")
    awaiting("1M-YV96L-H", "30.00")
    first = load("camt053_001_02.xml")

    overlap = load("camt053_001_02_overlap.xml")

    assert overlap.outcome() == {"read": 3, "new": 1, "paid": 1, "flagged": 0, "unmatched": 0}
    assert BankTransaction.objects.count() == 5
    assert BankTransaction.objects.get(entry__payment_reference="1M-YV96L-H").statement == first
    assert BankTransaction.objects.get(entry__payment_reference="1M-RXP4K-Y").statement == overlap


def test_matching_a_credit_again_changes_nothing():
    entry = awaiting("1M-HTWRE-Y", "25.00")
    imported(("T-1", "25.00", "1M-HTWRE-Y"))
    transaction = BankTransaction.objects.get()

    assert transaction_match(transaction=transaction).status == Status.PAID
    assert len([c for c in entry_changes(entry) if c.field == "status"]) == 1


def test_a_file_that_is_no_statement_stores_nothing():
    with pytest.raises(StatementError):
        statement_import(data=b"\x89PNG\r\n garbage", file_name="photo.png", by=None)

    assert (Statement.objects.count(), BankTransaction.objects.count()) == (0, 0)


# --- the treasurer's decisions ------------------------------------------------------------------------------


def test_assigning_an_unmatched_credit_of_the_fee_pays_the_entry(deliver_mail):
    entry = awaiting("1M-HTWRE-Y", "25.00")
    imported(("T-1", "25.00", "Startgeld Anna"))
    staff = treasurer()

    transaction = transaction_assign(transaction=BankTransaction.objects.get(), entry=entry, by=staff)

    assert (transaction.status, transaction.entry, transaction.decided_by) == (Status.PAID, entry, staff)
    assert status_of(entry) == Entry.Status.CONFIRMED
    assert [c.by for c in entry_changes(entry) if c.field == "status"] == [staff.pk]
    assert len(deliver_mail()) == 1


def test_assigning_a_credit_of_another_amount_keeps_it_flagged_with_the_entry():
    entry = awaiting("1M-HTWRE-Y", "45.00")
    imported(("T-1", "25.00", "Startgeld Anna"))

    transaction = transaction_assign(transaction=BankTransaction.objects.get(), entry=entry, by=treasurer())

    assert (transaction.status, transaction.entry) == (Status.UNDERPAID, entry)
    assert status_of(entry) == Entry.Status.AWAITING_PAYMENT


def test_a_paid_credit_cannot_be_assigned_or_ignored():
    entry = awaiting("1M-HTWRE-Y", "25.00")
    imported(("T-1", "25.00", "1M-HTWRE-Y"))
    transaction = BankTransaction.objects.get()

    with pytest.raises(PaymentError, match="dealt with already"):
        transaction_assign(transaction=transaction, entry=entry, by=treasurer())
    with pytest.raises(PaymentError, match="dealt with already"):
        transaction_ignore(transaction=transaction, by=treasurer(), note="donation")


def test_ignoring_a_credit_keeps_the_note_and_needs_one():
    imported(("T-1", "50.00", "Spende"))
    transaction = BankTransaction.objects.get()
    staff = treasurer()

    with pytest.raises(PaymentError, match="why"):
        transaction_ignore(transaction=transaction, by=staff, note="  ")
    transaction = transaction_ignore(transaction=transaction, by=staff, note="a donation")

    transaction.refresh_from_db()
    assert (transaction.status, transaction.note, transaction.decided_by) == (Status.IGNORED, "a donation", staff)


def test_reinstating_a_late_payment_with_a_place_free_pays_the_entry(deliver_mail):
    entry = awaiting("1M-HTWRE-Y", "25.00", due=timezone.now() - datetime.timedelta(minutes=1))
    entries_expire_overdue()
    imported(("T-1", "25.00", "1M-HTWRE-Y"))

    transaction = transaction_reinstate(transaction=BankTransaction.objects.get(), by=treasurer())

    assert transaction.status == Status.PAID
    entry.refresh_from_db()
    assert (entry.status, entry.has_valid_ticket) == (Entry.Status.CONFIRMED, True)


def test_reinstating_a_late_payment_without_a_place_free_is_refused_and_stays_late():
    session = paid_session(capacity=1, fee=Decimal("25.00"))
    entry = awaiting("1M-HTWRE-Y", "25.00", session=session, due=timezone.now() - datetime.timedelta(minutes=1))
    entries_expire_overdue()
    EntryFactory(session=session, slot=1)  # the place went to someone else
    imported(("T-1", "25.00", "1M-HTWRE-Y"))
    transaction = BankTransaction.objects.get()

    with pytest.raises(PaymentError, match="No place is free"):
        transaction_reinstate(transaction=transaction, by=treasurer())

    transaction.refresh_from_db()
    assert transaction.status == Status.LATE
    assert status_of(entry) == Entry.Status.EXPIRED


# --- the expiry job racing an import ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("round_", range(3))
def test_expiry_racing_an_import_has_exactly_one_outcome(round_):
    entry = awaiting("1M-HTWRE-Y", "25.00", due=timezone.now() - datetime.timedelta(seconds=1))
    data = camt(("T-1", "25.00", "1M-HTWRE-Y"))

    def work(index: int):
        if index == 0:
            return entries_expire_overdue()
        return statement_import(data=data, file_name="race.xml", by=None)

    expired, _statement = run_at_once(2, work)

    assert not isinstance(_statement, Exception)
    entry.refresh_from_db()
    transaction = BankTransaction.objects.get()
    if entry.status == Entry.Status.CONFIRMED:
        assert expired == []
        assert transaction.status == Status.PAID
    else:
        assert [e.pk for e in expired] == [entry.pk]
        assert (entry.status, entry.paid_at, transaction.status) == (Entry.Status.EXPIRED, None, Status.LATE)
    assert transaction.entry_id == entry.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_imports_of_one_statement_at_once_pay_once():
    entry = awaiting("1M-HTWRE-Y", "25.00")
    data = camt(("T-1", "25.00", "1M-HTWRE-Y"))

    first, second = run_at_once(2, lambda index: statement_import(data=data, file_name="s.xml", by=None))

    assert sorted([first.credits_new, second.credits_new]) == [0, 1]
    assert status_of(entry) == Entry.Status.CONFIRMED
    assert BankTransaction.objects.get().status == Status.PAID
    assert len([c for c in entry_changes(entry) if c.field == "status"]) == 1


# --- the command --------------------------------------------------------------------------------------------


def test_import_statement_command_prints_the_counts():
    awaiting("1M-HTWRE-Y", "25.00")
    out = StringIO()

    call_command("import_statement", str(FILES / "camt053_001_02.xml"), stdout=out)

    assert out.getvalue() == "4 read, 4 new, 1 paid, 0 flagged, 3 unmatched.\n"


def test_import_statement_command_with_a_saved_layout_and_an_unknown_one():
    CsvLayout.objects.create(
        name="Sparkasse",
        date_column="Buchungstag",
        amount_column="Betrag",
        remittance_column="Verwendungszweck",
        payer_name_column="Beguenstigter/Zahlungspflichtiger",
        pending_column="Info",
        pending_marks="Umsatz vorgemerkt",
        date_format="%d.%m.%y",
    )
    out = StringIO()

    call_command("import_statement", str(FILES / "sparkasse_csv_camt_v2.csv"), "--layout", "Sparkasse", stdout=out)

    assert out.getvalue() == "2 read, 2 new, 0 paid, 0 flagged, 2 unmatched.\n"
    with pytest.raises(CommandError, match="No CSV layout"):
        call_command("import_statement", str(FILES / "volksbank.csv"), "--layout", "Postbank")


def test_import_statement_command_refuses_garbage_with_the_reason(tmp_path):
    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(b"<not-a-statement/>")

    with pytest.raises(CommandError, match="not a CAMT.053"):
        call_command("import_statement", str(garbage))
