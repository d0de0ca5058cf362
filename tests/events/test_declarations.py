"""Declarations: publishing freezes a version, signing makes a PDF whose hash is kept, a new version asks again."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.db import IntegrityError, transaction
from PIL import Image
from pypdf import PdfReader

from events.declaration_pdf import MAX_DATA_URL, SignatureImageError, signature_png
from events.declaration_status import declaration_state
from events.models import Declaration, DeclarationSignature, DeclarationVersion, Entry
from events.services import EntryError, declaration_publish, passenger_name
from register.models import private_storage
from tests.events.declaring import DRIVER_DE, DRIVER_EN, data_url, drawing_png, published, sign
from tests.factories import EntryFactory, SessionFactory, organiser

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def entry():
    return EntryFactory(session=SessionFactory(declaration_required=True))


def pdf_text(signature) -> str:
    with private_storage.open(signature.pdf.name, "rb") as handle:
        return " ".join(page.extract_text() for page in PdfReader(handle).pages)


def test_publishing_freezes_the_draft_and_later_edits_make_the_next_version(entry):
    first = published(entry.session.event)
    declaration = Declaration.objects.get(event=entry.session.event)
    declaration.driver_text_en = "A new rule."
    declaration.save()

    assert DeclarationVersion.objects.get(pk=first.pk).driver_text_en == DRIVER_EN
    second = declaration_publish(declaration=declaration, by=None)

    assert (first.number, second.number) == (1, 2)
    assert (second.driver_text_en, second.driver_text_de) == ("A new rule.", DRIVER_DE)
    assert declaration.current == second


def test_publishing_refuses_an_empty_driver_text_and_an_unchanged_draft(entry):
    declaration = Declaration.objects.create(event=entry.session.event)
    with pytest.raises(EntryError, match="Write the driver"):
        declaration_publish(declaration=declaration, by=None)
    published(entry.session.event)
    with pytest.raises(EntryError, match="Nothing changed since version 1"):
        declaration_publish(declaration=declaration, by=None)
    assert DeclarationVersion.objects.count() == 1


def test_the_database_refuses_to_change_a_published_version_but_may_forget_who_published(entry):
    staff = organiser()
    version = published(entry.session.event, by=staff)

    for change in ({"driver_text_en": "Changed."}, {"number": 5}, {"passenger_text_de": ""}):
        with pytest.raises(IntegrityError, match="never changes"), transaction.atomic():
            DeclarationVersion.objects.filter(pk=version.pk).update(**change)
    DeclarationVersion.objects.filter(pk=version.pk).update(published_by=None)

    version.refresh_from_db()
    assert (version.driver_text_en, version.number, version.published_by) == (DRIVER_EN, 1, None)


def test_a_typed_signature_makes_a_pdf_whose_hash_is_kept(entry, storage_backend):
    version = published(entry.session.event)

    signature = sign(entry, version, name="Dana  Driver")

    assert (signature.method, signature.name, signature.image.name) == ("typed", "Dana Driver", "")
    with private_storage.open(signature.pdf.name, "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == signature.sha256
    text = pdf_text(signature)
    assert "Dana Driver" in text and "Version 1" in text and "own risk" in text
    assert entry.session.event.name in text and "typing the full name" in text
    assert declaration_state(entry).state("driver") == "signed"


def test_a_drawn_signature_is_stored_as_a_clean_png_and_shown_in_the_pdf(entry, storage_backend):
    version = published(entry.session.event)

    signature = sign(entry, version, image=signature_png(data_url()), language="de")

    with private_storage.open(signature.image.name, "rb") as handle, Image.open(handle) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (600, 200), "RGB")
    text = pdf_text(signature)
    assert "Fahrererklärung" in text and "Seite 1" in text
    assert DRIVER_DE in text.replace("\n", " ")
    assert signature.method == "drawn"


def test_nothing_to_sign_before_publishing_nor_an_old_version_nor_twice(entry):
    with pytest.raises(EntryError, match="not published"):
        sign(entry, DeclarationVersion(pk=999))
    first = published(entry.session.event)
    second = published(entry.session.event, suffix=" Helmets on.")
    with pytest.raises(EntryError, match="v2"):
        sign(entry, first)
    sign(entry, second)
    with pytest.raises(EntryError, match="Version 2 is signed already"):
        sign(entry, second)
    assert DeclarationSignature.objects.count() == 1
    assert len(list(private_storage.listdir("declarations")[1])) == 1  # the refused ones left no file


def test_a_new_version_asks_again_and_the_old_signature_stays(entry):
    first = published(entry.session.event)
    old = sign(entry, first)

    second = published(entry.session.event, suffix=" Helmets on.")

    state = declaration_state(entry)
    assert (state.state("driver"), state.version, state.driver) == ("again", 2, old)
    new = sign(entry, second)
    assert declaration_state(entry).driver == new
    assert DeclarationSignature.objects.filter(pk=old.pk).exists()


def test_one_driver_signature_counts_for_all_their_entries_of_the_event(entry):
    other = EntryFactory(
        session=SessionFactory(event=entry.session.event, declaration_required=True),
        car=entry.car,
        driver=entry.driver,
    )
    sign(entry, published(entry.session.event))

    assert declaration_state(other).driver_signed
    with pytest.raises(EntryError, match="signed already"):
        sign(other, declaration_state(other).current)


def test_only_the_driver_or_an_organiser_signs_and_only_where_needed(entry):
    version = published(entry.session.event)
    stranger = EntryFactory().driver
    with pytest.raises(EntryError, match="Only the driver"):
        sign(entry, version, by=stranger)
    at_gate = sign(entry, version, by=organiser())
    assert at_gate.collected_by is not None
    free = EntryFactory(session=SessionFactory(event=entry.session.event))
    with pytest.raises(EntryError, match="needs no declaration"):
        sign(free, version)
    cancelled = EntryFactory(session=entry.session, status=Entry.Status.CANCELLED, slot=None)
    with pytest.raises(EntryError, match="cancelled"):
        sign(cancelled, version)


def test_a_passenger_signs_once_named_and_a_new_name_signs_again(entry):
    version = published(entry.session.event)
    with pytest.raises(EntryError, match="Name the passenger"):
        sign(entry, version, role="passenger")

    passenger_name(entry=entry, name="  Pia   Passenger ", by=entry.driver)
    sign(entry, version, role="passenger", name="Pia Passenger")
    assert declaration_state(entry).passenger_signed
    assert not declaration_state(entry).complete  # the driver has not signed

    passenger_name(entry=entry, name="Paul Other", by=entry.driver)
    state = declaration_state(entry)
    assert (state.passenger_name, state.passenger_signed) == ("Paul Other", False)
    sign(entry, version, role="passenger", name="Paul Other")
    assert declaration_state(entry).passenger_signed


def test_signing_and_publishing_touch_the_entries_for_the_gate_list(entry):
    before = Entry.objects.get(pk=entry.pk).changed_at
    version = published(entry.session.event)
    published_at = Entry.objects.get(pk=entry.pk).changed_at
    sign(entry, version)

    assert before < published_at < Entry.objects.get(pk=entry.pk).changed_at


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "could not be read"),
        ("data:image/png;base64,not base64!", "could not be read"),
        ("data:image/svg+xml;base64,PHN2Zz4=", "could not be read"),
        ("data:image/png;base64," + "A" * MAX_DATA_URL, "too large"),
        (data_url(b"\x89PNG\r\n\x1a\n" + b"0" * 100), "could not be read"),
        (data_url(drawing_png(ink=False)), "Please draw"),
        (data_url(drawing_png(5000, 10)), "could not be read"),
    ],
)
def test_a_drawing_that_cannot_be_used_is_refused(text, message):
    with pytest.raises(SignatureImageError, match=message):
        signature_png(text)


def test_a_jpeg_in_a_png_data_url_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), (0, 0, 0)).save(buffer, format="JPEG")
    with pytest.raises(SignatureImageError, match="could not be read"):
        signature_png(data_url(buffer.getvalue()))


def test_publishing_asks_each_driver_still_to_sign_by_mail_once_in_their_language(entry, deliver_mail):
    event = entry.session.event
    same_driver = EntryFactory(
        session=SessionFactory(event=event, declaration_required=True), car=entry.car, driver=entry.driver
    )
    german = EntryFactory(session=entry.session)
    german.driver.language = "de"
    german.driver.save()
    EntryFactory(session=entry.session, status=Entry.Status.CANCELLED, slot=None)
    EntryFactory(session=SessionFactory(event=event))  # a session that needs no declaration

    version = published(event, suffix=" Helmets on.")

    mails = {mail.to[0]: mail for mail in deliver_mail()}
    assert set(mails) == {entry.driver.email, german.driver.email}
    assert mails[entry.driver.email].subject.endswith(f"Please sign the declaration (v{version.number}): {event.name}")
    assert f"/events/my-entries/{min(entry.pk, same_driver.pk)}/declaration/" in mails[entry.driver.email].body
    assert "Bitte unterschreibe die Erklärung (v1)" in mails[german.driver.email].subject


def test_publishing_mails_nobody_whose_session_is_over_and_nobody_when_told_not_to(deliver_mail):
    import datetime

    from django.utils import timezone

    past = SessionFactory(
        declaration_required=True,
        starts_at=timezone.now() - datetime.timedelta(days=2),
        ends_at=timezone.now() - datetime.timedelta(days=1),
    )
    EntryFactory(session=past)
    published(past.event)
    quiet = EntryFactory(session=SessionFactory(declaration_required=True))
    declaration = Declaration.objects.create(event=quiet.session.event, driver_text_en="At my own risk.")
    declaration_publish(declaration=declaration, by=None, notify=False)

    assert deliver_mail() == []
