"""What the gate knows of an entry besides its ticket (``events/attention.py``): the driver's emergency contact,
an organiser's attention flag with its note, and their erasure once the event is long enough over.

Rules: the emergency contact is the driver's — given at sign-up (``entry_create`` saves it with the entry) and
changed by the driver alone, until the session starts; a name and a number, or nothing. The attention note is the
organisers'. Both are deleted ``GATE_DATA_KEPT_DAYS`` after the event's last day (``gate_data_forget``, called by
the daily retention job).
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import PhoneNumber, to_python

from events.attention import NAME_MAX, NOTE_MAX, AttentionNote, EmergencyContact
from events.models import Entry
from events.services._base import EntryError, is_organiser
from register.models import User


class Contact(NamedTuple):
    """An emergency contact as a form hands it over: a name, and a valid phone number."""

    name: str
    phone: PhoneNumber


def _clean_contact(contact: Contact) -> Contact:
    name = " ".join((contact.name or "").split())
    phone = to_python(contact.phone) if contact.phone else None
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise EntryError(_("Give your emergency contact's name, at most %(max)d characters.") % {"max": NAME_MAX})
    if not isinstance(phone, PhoneNumber) or not phone.is_valid():
        raise EntryError(_("Give your emergency contact's phone number, with its country code if not German."))
    return Contact(name, phone)


def emergency_contact_save(entry: Entry, contact: Contact | None) -> EmergencyContact | None:
    """Store ``contact`` as the entry's emergency contact (None: remove it); no rule checked (the callers do)."""
    if contact is None:
        EmergencyContact.objects.filter(entry=entry).delete()
        return None
    contact = _clean_contact(contact)
    saved, _created = EmergencyContact.objects.update_or_create(
        entry=entry, defaults={"name": contact.name, "phone": contact.phone}
    )
    return saved


@transaction.atomic
def emergency_contact_set(*, entry: Entry, by: User | None, contact: Contact | None) -> EmergencyContact | None:
    """The driver changes (or, with None, removes) the emergency contact of their entry.

    Rules: only the entry's driver; only an entry that still has or awaits a place (confirmed, awaiting payment,
    waitlisted); only until its session starts (the gate then has it)."""
    entry = Entry.objects.select_for_update(of=("self",)).select_related("session").get(pk=entry.pk)
    if by is None or entry.driver_id != by.pk:
        raise EntryError(_("Only the driver of an entry can change its emergency contact."))
    if not entry.is_active:
        raise EntryError(_("This entry is no longer active: its emergency contact cannot be changed."))
    if entry.session.has_started:
        raise EntryError(
            _("This session has started: ask the organisers at the gate to change your emergency contact.")
        )
    return emergency_contact_save(entry, contact)


def emergency_contact_last(*, user: User) -> EmergencyContact | None:
    """The emergency contact the person gave last (what a new sign-up offers again), if one is still kept."""
    return EmergencyContact.objects.of_driver(user).order_by("-updated_at").first()


def attention_flag(*, entry: Entry, by: User | None, note: str) -> AttentionNote:
    """An organiser flags the entry as needing attention at the gate, with a note (a new note replaces the old)."""
    if not is_organiser(by):
        raise EntryError(_("Only the event's organisers may flag an entry."))
    note = " ".join((note or "").split())
    if not note:
        raise EntryError(_("Write what the gate needs to know."))
    if len(note) > NOTE_MAX:
        raise EntryError(_("The note can have at most %(max)d characters.") % {"max": NOTE_MAX})
    flag, _created = AttentionNote.objects.update_or_create(
        entry=entry, defaults={"note": note, "flagged_at": timezone.now()}
    )
    return flag


def attention_clear(*, entry: Entry, by: User | None) -> bool:
    """An organiser takes the flag off; False when there was none."""
    if not is_organiser(by):
        raise EntryError(_("Only the event's organisers may flag an entry."))
    deleted, _per_model = AttentionNote.objects.filter(entry=entry).delete()
    return bool(deleted)


@transaction.atomic
def gate_data_forget(*, now: datetime.datetime | None = None) -> int:
    """Delete the emergency contacts and attention notes of events that ended ``GATE_DATA_KEPT_DAYS`` ago (the
    retention job's rule); how many were deleted."""
    deleted = 0
    for model in (EmergencyContact, AttentionNote):
        count, _per_model = model.objects.due_for_erasure(now).delete()
        deleted += count
    return deleted
