"""One person with a value in every personal field the map finds for them: the export must show each value,
the erasure must leave none behind (except what the map keeps: the books, the car's photos)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import BytesIO

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from events.declaration_pdf import signature_png
from events.models import (
    AttentionNote,
    EmergencyContact,
    EntrantMessage,
    EntrantMessageRecipient,
    Entry,
    PendingNotice,
    Session,
)
from events.services import passenger_name
from outbox.models import Message
from payments.models import BankTransaction, Refund, Statement
from register.models import Ownership, User, VinCheckCounter
from register.photos import photo_add
from register.services import claim_create
from tests.events.declaring import data_url, published, sign
from tests.factories import EntryFactory, SessionFactory, UserFactory, VerifiedCarFactory

EMAIL = "qx7-person@example.org"
SECOND_EMAIL = "qx7-second@example.org"
IBAN = "DE89370400440532013000"

VALUES = {
    ("register.User", "email"): EMAIL,
    ("register.User", "display_name"): "Qx7 Display",
    ("register.User", "first_name"): "Qx7First",
    ("register.User", "last_name"): "Qx7Last",
    ("account.EmailAddress", "email"): SECOND_EMAIL,
    ("register.CarPhoto", "caption"): "Qx7 caption",
    ("register.Claim", "message"): "Qx7 claim message",
    ("events.EntrantMessageRecipient", "email"): EMAIL,
    ("events.EmergencyContact", "name"): "Qx7 Emergency Contact",
    ("events.EmergencyContact", "phone"): "+4915771234567",
    ("events.AttentionNote", "note"): "Qx7 first time on the Nordschleife",
    ("outbox.Message", "recipient"): EMAIL,
    ("outbox.Message", "subject"): "Qx7 mail subject",
    ("outbox.Message", "text"): "Qx7 mail text",
    ("payments.BankTransaction", "payer_name"): "Qx7 Payer",
    ("payments.BankTransaction", "payer_iban"): IBAN,
    ("payments.BankTransaction", "remittance"): "Qx7 remittance",
    ("payments.Refund", "payer_name"): "Qx7 Refund payer",
    **{
        (label, name): value
        for label in ("axes.AccessAttempt", "axes.AccessFailureLog", "axes.AccessLog")
        for name, value in (("ip_address", "198.51.100.77"), ("user_agent", "Qx7 agent"), ("path_info", "/qx7/login/"))
    },
    ("payments.Refund", "payer_iban"): "AT611904300234573201",
    ("admin.LogEntry", "object_repr"): "Qx7 Display",
    ("admin.LogEntry", "change_message"): "Qx7 changed",
    ("events.DeclarationSignature", "name"): "Qx7 Signer",
    ("events.Passenger", "name"): "Qx7 Passenger",
}


def jpeg(name: str) -> SimpleUploadedFile:
    buf = BytesIO()
    Image.new("RGB", (120, 80), (226, 97, 27)).save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def seed_person(*, language: str = "en") -> dict:
    """The person and what they have; ``values``: (record label, field) → the value seeded there."""
    person = UserFactory(
        email=EMAIL,
        display_name="Qx7 Display",
        first_name="Qx7First",
        last_name="Qx7Last",
        country="AT",
        show_name_publicly=True,
        language=language,
    )
    person.emailaddress_set.create(email=SECOND_EMAIL, verified=False, primary=False)
    car = VerifiedCarFactory(owner=person, nickname="Qx7 Car")
    Ownership.objects.create(car=car, owner=person, started=timezone.now() - datetime.timedelta(days=400))
    photo = photo_add(car=car, upload=jpeg("car.jpg"), caption="Qx7 caption")
    other_car = VerifiedCarFactory()
    claim = claim_create(car=other_car, claimant=person, message="Qx7 claim message", evidence=jpeg("papers.jpg"))
    counter = VinCheckCounter.objects.create(
        kind=VinCheckCounter.Kind.ACCOUNT, key=str(person.pk), user=person, window_start=timezone.now(), checks=7
    )
    session = SessionFactory(fee=Decimal("45.00"))
    entry = EntryFactory(
        session=session, car=car, driver=person, amount_due=Decimal("45.00"), payment_reference="QX7REF"
    )
    entry.paid_at = timezone.now()
    entry.save(update_fields=["paid_at"])
    # The session needs the declaration: the person signed it (drawn) and named a passenger.
    Session.objects.filter(pk=session.pk).update(declaration_required=True)
    session.declaration_required = True
    passenger_name(entry=entry, name="Qx7 Passenger", by=person)
    signature = sign(entry, published(session.event), name="Qx7 Signer", image=signature_png(data_url()))
    EmergencyContact.objects.create(entry=entry, name="Qx7 Emergency Contact", phone="+4915771234567")
    AttentionNote.objects.create(entry=entry, note="Qx7 first time on the Nordschleife")
    PendingNotice.objects.create(driver=person, event=session.event, send_after=timezone.now())
    message = EntrantMessage.objects.create(event=session.event, subject="Qx7 briefing", body="Qx7 meet at 8")
    EntrantMessageRecipient.objects.create(message=message, user=person, email=EMAIL)
    Message.objects.create(
        message_id="<qx7-plain@example.org>",
        from_email="register@example.org",
        recipient=EMAIL,
        to=[EMAIL],
        subject="Qx7 mail subject",
        text="Qx7 mail text",
        carries_secret=False,
        language="en",
        status=Message.Status.SENT,
    )
    Message.objects.create(
        message_id="<qx7-secret@example.org>",
        from_email="register@example.org",
        recipient=SECOND_EMAIL,
        to=[SECOND_EMAIL],
        subject="Qx7 reset subject",
        text="Qx7 secret link",
        carries_secret=True,
        status=Message.Status.QUEUED,
    )
    statement = Statement.objects.create(file_name="qx7.xml", sha256="0" * 64, format=Statement.Format.CAMT)
    credit = BankTransaction.objects.create(
        bank_reference="QX7-BANK-1",
        statement=statement,
        booked_on=timezone.localdate(),
        amount=Decimal("45.00"),
        remittance="Qx7 remittance QX7REF",
        payer_name="Qx7 Payer",
        payer_iban=IBAN,
        status=BankTransaction.Status.PAID,
        entry=entry,
    )
    Refund.objects.create(
        entry=entry,
        transaction=credit,
        amount=Decimal("5.00"),
        payer_name="Qx7 Refund payer",
        payer_iban="AT611904300234573201",
    )
    login = {"ip_address": "198.51.100.77", "user_agent": "Qx7 agent", "path_info": "/qx7/login/"}
    AccessAttempt.objects.create(username=EMAIL, failures_since_start=1, get_data="", post_data="", **login)
    AccessFailureLog.objects.create(username=EMAIL, **login)
    AccessLog.objects.create(username=SECOND_EMAIL, **login)
    LogEntry.objects.create(
        user=UserFactory(is_staff=True, is_superuser=True),
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(person.pk),
        object_repr="Qx7 Display",
        action_flag=CHANGE,
        change_message="Qx7 changed the display name",
    )
    return {
        "person": person,
        "car": car,
        "photo": photo,
        "claim": claim,
        "entry": Entry.objects.get(pk=entry.pk),
        "counter": counter,
        "credit": credit,
        "signature": signature,
        "values": {
            **VALUES,
            ("events.Entry", "ticket_code"): entry.ticket_code,
            ("events.DeclarationSignature", "sha256"): signature.sha256,
        },
    }
