"""The treasurer's admin: the import page (upload, errors next to the field), the statements and bank transactions
lists, the decisions (assign, ignore, reinstate) and who may open them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from events.models import Entry
from events.services import entries_expire_overdue
from payments.admin.statements import LARGEST_UPLOAD
from payments.models import BankTransaction, CsvLayout, Refund, Statement
from tests.factories import organiser, treasurer
from tests.payments.test_import import awaiting, imported

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
IMPORT = reverse("admin:payments_statement_import")
TRANSACTIONS = reverse("admin:payments_banktransaction_changelist")
STATEMENTS = reverse("admin:payments_statement_changelist")
LAYOUTS = reverse("admin:payments_csvlayout_changelist")


@pytest.fixture
def treasurer_client(client):
    client.force_login(treasurer())
    return client


def upload(name: str, data: bytes | None = None):
    return SimpleUploadedFile(name, data if data is not None else (FILES / name).read_bytes())


@pytest.mark.parametrize("url", [IMPORT, TRANSACTIONS, STATEMENTS, LAYOUTS, reverse("admin:index")])
def test_treasurer_opens_the_payments_pages(treasurer_client, url):
    assert treasurer_client.get(url).status_code == 200


@pytest.mark.parametrize("url", [IMPORT, TRANSACTIONS, STATEMENTS, LAYOUTS])
def test_organiser_without_the_treasurer_permission_is_refused(client, url):
    client.force_login(organiser())

    assert client.get(url).status_code == 403


def test_admin_index_links_the_import_page_for_treasurers_only(client):
    client.force_login(treasurer())
    assert f'href="{IMPORT}"' in client.get(reverse("admin:index")).content.decode()

    client.force_login(organiser())
    assert f'href="{IMPORT}"' not in client.get(reverse("admin:index")).content.decode()


def test_import_page_imports_and_matches_and_says_the_counts(treasurer_client):
    entry = awaiting("1M-HTWRE-Y", "25.00")

    response = treasurer_client.post(IMPORT, {"file": upload("camt053_001_02.xml")}, follow=True)

    assert response.redirect_chain == [(TRANSACTIONS, 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "camt053_001_02.xml: 4 read, 4 new, 1 paid, 0 flagged, 3 unmatched."
    ]
    entry.refresh_from_db()
    assert entry.status == Entry.Status.CONFIRMED
    assert Statement.objects.get().imported_by.groups.get().name == "Treasurers"


def test_import_page_with_a_saved_layout(treasurer_client):
    layout = CsvLayout.objects.create(
        name="Volksbank",
        date_column="Buchungstag",
        amount_column="Betrag",
        remittance_column="Verwendungszweck",
        payer_name_column="Name Zahlungsbeteiligter",
    )

    treasurer_client.post(IMPORT, {"file": upload("volksbank.csv"), "csv_layout": layout.pk})

    assert Statement.objects.get().outcome()["new"] == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n garbage \x00\xff", "neither a CAMT.053 nor an MT940 statement"),
        (b"<html><body>nope</body></html>", "not a CAMT.053 bank statement"),
        (b"", "The submitted file is empty."),
    ],
)
def test_a_bad_upload_is_answered_next_to_the_field(treasurer_client, data, message):
    response = treasurer_client.post(IMPORT, {"file": upload("statement.dat", data)})

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1 and message in errors[0]
    assert Statement.objects.count() == 0


def test_an_upload_over_5_mb_is_refused(treasurer_client):
    response = treasurer_client.post(IMPORT, {"file": upload("big.csv", b"x" * (LARGEST_UPLOAD + 1))})

    assert response.context["form"].errors["file"] == [
        "The file is larger than 5 MB: a bank statement is much smaller."
    ]


def test_transactions_list_filters_by_status_and_masks_the_iban(treasurer_client):
    imported(("T-1", "25.00", "Spende"))

    response = treasurer_client.get(TRANSACTIONS, {"status__exact": "unmatched"})

    page = response.content.decode()
    assert "DE44 •••• •••• •••• •••• 31" in page
    assert "DE44500105175407324931" not in page
    assert list(response.context["cl"].result_list) == list(BankTransaction.objects.all())


def test_assign_action_asks_for_the_entry_then_pays_it(treasurer_client):
    entry = awaiting("1M-HTWRE-Y", "25.00")
    imported(("T-1", "25.00", "Startgeld Anna"))
    transaction = BankTransaction.objects.get()
    selected = {"action": "assign", "_selected_action": [transaction.pk]}

    page = treasurer_client.post(TRANSACTIONS, selected)
    unknown = treasurer_client.post(TRANSACTIONS, {**selected, "confirmed": "yes", "entry": "1M-HTWRF-Y"})
    done = treasurer_client.post(TRANSACTIONS, {**selected, "confirmed": "yes", "entry": "1m htwre y"})

    assert page.status_code == 200 and "Assign to entry" in page.content.decode()
    assert unknown.context["form"].errors["entry"] == ["No entry has this payment reference or number."]
    assert done.status_code == 302
    transaction.refresh_from_db()
    assert (transaction.status, transaction.entry) == (BankTransaction.Status.PAID, entry)


def test_ignore_action_keeps_the_note(treasurer_client):
    imported(("T-1", "50.00", "Spende"))
    transaction = BankTransaction.objects.get()

    treasurer_client.post(
        TRANSACTIONS,
        {"action": "ignore", "_selected_action": [transaction.pk], "confirmed": "yes", "note": "donation"},
    )

    transaction.refresh_from_db()
    assert (transaction.status, transaction.note) == (BankTransaction.Status.IGNORED, "donation")


def test_reinstate_action_gives_a_late_payments_entry_its_place(treasurer_client):
    entry = awaiting("1M-HTWRE-Y", "25.00", due=timezone.now() - datetime.timedelta(minutes=1))
    entries_expire_overdue()
    imported(("T-1", "25.00", "1M-HTWRE-Y"))
    transaction = BankTransaction.objects.get()

    response = treasurer_client.post(
        TRANSACTIONS, {"action": "reinstate", "_selected_action": [transaction.pk]}, follow=True
    )

    assert "1 entry reinstated." in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.CONFIRMED


def test_refund_action_asks_why_then_records_a_refund_due_for_a_late_payment(treasurer_client):
    entry = awaiting("1M-HTWRE-Y", "25.00", due=timezone.now() - datetime.timedelta(minutes=1))
    entries_expire_overdue()
    imported(("T-1", "25.00", "1M-HTWRE-Y"))
    transaction = BankTransaction.objects.get()
    chosen = {"action": "refund", "_selected_action": [transaction.pk]}

    asked = treasurer_client.post(TRANSACTIONS, chosen)
    assert "Refund payments" in asked.content.decode() and not Refund.objects.exists()

    done = treasurer_client.post(TRANSACTIONS, {**chosen, "confirmed": "yes", "reason": "no place free"}, follow=True)

    assert "1 refund recorded." in done.content.decode()
    refund = Refund.objects.get()
    assert (refund.entry, refund.amount, refund.status) == (entry, Decimal("25.00"), Refund.Status.DUE)
    transaction.refresh_from_db()
    assert transaction.status == BankTransaction.Status.REFUNDED
