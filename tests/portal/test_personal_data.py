"""Download my data and erasure, by the map: one person with a value in every personal field; the ZIP holds
each value (and the photos and documents), the erasure leaves none of them in any table of the database,
while the car's rows and the books remain."""

from __future__ import annotations

import hashlib
import json
import zipfile
from io import BytesIO

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse

from outbox.models import Message
from payments.models import BankTransaction
from portal.models import DataRequest
from portal.privacy.datamap import BY_LABEL, RECORDS
from portal.privacy.retention import retention_run
from portal.privacy.schema import Erase
from register.models import Car, Ownership, private_storage
from tests.portal.people import EMAIL, IBAN, SECOND_EMAIL, VALUES, seed_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return seed_person()


def download(client, person) -> zipfile.ZipFile:
    client.force_login(person)
    response = client.post(reverse("my_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(BytesIO(response.content))


def database_text() -> str:
    """Every column of every row of every table of the database, as text: what a dump would hold."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, string_agg(quote_ident(column_name) || '::text', ', ') FROM information_schema.columns"
            " WHERE table_schema = 'public' GROUP BY table_name"
        )
        tables = cursor.fetchall()
        text = []
        for table, columns in tables:
            cursor.execute(f"SELECT concat_ws(chr(10), {columns}) FROM {connection.ops.quote_name(table)}")
            text += [row[0] for row in cursor.fetchall()]
    return "\n".join(text)


def test_every_personal_text_field_the_export_shows_is_seeded_by_the_test():
    """So that a new personal field in the export needs a value in ``seed_person`` to pass the tests below."""
    pairs = set(VALUES) | {("events.Entry", "ticket_code"), ("events.DeclarationSignature", "sha256")}
    missing = []
    for record in RECORDS:
        for name in record.shown:
            if name not in record.personal or name in record.formats:
                continue
            field = record.model._meta.get_field(name)
            if (
                field.get_internal_type() in ("CharField", "TextField", "EmailField", "GenericIPAddressField")
                and not field.choices
            ) and (record.label, name) not in pairs:
                missing.append((record.label, name))
    assert missing == []


def test_download_my_data_holds_every_value_and_the_files(client, storage_backend, seeded):
    # storage_backend before seeded: the files are stored on the disk, then in the buckets.
    person = seeded["person"]

    archive = download(client, person)

    names = archive.namelist()
    assert {"data.json", "index.html"} <= set(names)
    text = archive.read("data.json").decode()
    data = json.loads(text)
    for (label, name), value in seeded["values"].items():
        if name in BY_LABEL[label].shown:
            assert value in text, (label, name)
    # The car as its owner sees it (the full VIN), the entry's ticket code, the payment of the entry.
    assert data["records"]["register.Car"][0]["vin"] == seeded["car"].vin
    assert data["records"]["events.Entry"][0]["ticket_code"] == seeded["entry"].ticket_code
    assert data["records"]["payments.BankTransaction"][0]["payer_iban"] == IBAN
    assert data["records"]["register.Ownership"][0]["owner"] == "you"
    # Mail: both addresses' mail is there; the body of a mail with a secret link is not.
    subjects = {mail["subject"] for mail in data["records"]["outbox.Message"]}
    assert {"Qx7 mail subject", "Qx7 reset subject"} <= subjects
    assert "Qx7 secret link" not in text
    # Photos and documents as files, named in the data.
    photo, evidence = f"files/{seeded['photo'].image.name}", f"files/{seeded['claim'].evidence.name}"
    assert photo in names and evidence in names
    assert archive.read(photo)[:2] == b"\xff\xd8"
    assert data["records"]["register.Claim"][0]["evidence"] == evidence
    # The declaration signed: its row (version, hash) and its drawing and PDF as files.
    signature = seeded["signature"]
    signed = data["records"]["events.DeclarationSignature"][0]
    assert (signed["sha256"], signed["method"], signed["role"]) == (signature.sha256, "drawn", "driver")
    assert signed["pdf"] == f"files/{signature.pdf.name}" and signed["image"] == f"files/{signature.image.name}"
    assert archive.read(signed["pdf"]).startswith(b"%PDF")
    assert hashlib.sha256(archive.read(signed["pdf"])).hexdigest() == signature.sha256
    assert archive.read(signed["image"]).startswith(b"\x89PNG")
    assert data["records"]["events.Passenger"][0]["name"] == "Qx7 Passenger"
    # What is not the person's: another owner's claim, a staff member's name.
    assert "register.VinCheckCounter" in data["records"]
    index = archive.read("index.html").decode()
    assert "Qx7 Display" in index and "Qx7 claim message" in index
    assert 'lang="en"' in index
    export = DataRequest.objects.get()
    assert (export.kind, export.subject_id, export.by, export.by_staff) == ("export", person.pk, person, False)


def test_the_index_is_in_the_persons_language_and_needs_nothing_from_outside(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    seeded = seed_person(language="de")

    index = download(client, seeded["person"]).read("index.html").decode()

    assert 'lang="de"' in index
    assert "Deine Daten im 1M Register" in index
    assert "Deine Fahrzeuge" in index and "E-Mail-Adresse" in index
    # Nothing loaded or linked from elsewhere (the mails' texts may name the site's addresses, as text).
    for outside in ("<link", "<script", "src=", 'href="http', "url("):
        assert outside not in index


def test_download_is_post_only_and_for_the_signed_in(client, seeded):
    assert client.post(reverse("my_data")).status_code == 302
    client.force_login(seeded["person"])
    assert client.get(reverse("my_data")).status_code == 405
    assert DataRequest.objects.count() == 0


def test_the_profile_offers_the_download_and_links_the_privacy_page(client, seeded):
    client.force_login(seeded["person"])

    page = client.get(reverse("register:profile")).content.decode()

    assert f'action="{reverse("my_data")}"' in page
    assert 'href="/privacy/"' in page


def test_erasure_leaves_none_of_the_values_while_the_cars_and_the_books_remain(
    client, storage_backend, seeded, django_capture_on_commit_callbacks, deliver_mail
):
    person, car = seeded["person"], seeded["car"]
    evidence = seeded["claim"].evidence.name
    signature = seeded["signature"]
    client.force_login(person)
    assert Session.objects.exists()
    sent_before = len(deliver_mail())  # the claim's receipt: sent, so the erasure deletes its record

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("register:account_delete"), {"confirm": "on"})

    assert response.status_code == 302
    # Left for now: the mail saying that the entry is cancelled, still queued. It goes out, and the retention job
    # deletes it the next day (its address belongs to no account any more).
    left = Message.objects.filter(to__contains=[EMAIL])
    assert {(m.kind, m.status) for m in left} == {("events/email/entry_cancelled", Message.Status.QUEUED)}
    assert [mail.subject for mail in deliver_mail()[sent_before:]] == [left.get().subject]
    assert retention_run().counts["mail_to_no_account"] == 1
    dump = database_text()
    for (label, name), value in seeded["values"].items():
        record = BY_LABEL[label]
        if record.personal[name].erase == Erase.KEEP:
            assert value in dump, (label, name)
        else:
            assert value not in dump, (label, name)
    for value in (EMAIL, SECOND_EMAIL, "Qx7First", "Qx7Last", "Qx7 secret link", "198.51.100.77", "Qx7 agent"):
        assert value not in dump
    assert not Session.objects.exists()
    assert not private_storage.exists(evidence)
    # The declaration: drawing and PDF gone, the fact that version 1 was signed and the PDF's hash kept.
    assert not private_storage.exists(signature.pdf.name) and not private_storage.exists(signature.image.name)
    signature.refresh_from_db()
    assert (signature.name, signature.pdf.name, signature.image.name) == ("", "", "")
    assert signature.sha256 in dump and signature.version.number == 1
    # The register keeps the car (without owner) and its history; the books keep the payment.
    car.refresh_from_db()
    assert car.owner is None
    assert Ownership.objects.get(car=car).former_owner_id == person.pk
    assert BankTransaction.objects.get(pk=seeded["credit"].pk).payer_name == "Qx7 Payer"
    assert f"deleted account #{person.pk}" in dump
    erasure = DataRequest.objects.get(kind="erasure")
    assert (erasure.subject_id, erasure.by, erasure.by_staff) == (person.pk, None, False)
    assert Car.objects.filter(pk=seeded["photo"].car_id).exists()
