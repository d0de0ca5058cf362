"""Declarations: publishing a version, naming a passenger, signing (``events/declarations.py`` says what they are).

Locking: publishing and signing lock the event's ``Declaration`` row, so a signature is always checked against the
version that is current when it is written, and two publishes at once make two versions one after the other (the
second sees the first and has nothing new to publish). The PDF is drawn before the lock (it takes a moment);
when the checks under the lock refuse, its files are deleted again.

Every change touches the entries it concerns (``_touch``): the gate's list (``events.gatelist``) sends a phone
the entries changed since its last download, and a new signature or version changes what the gate shows.
"""

from __future__ import annotations

import datetime
import secrets

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from events import declaration_pdf, emails
from events.declaration_status import declaration_state
from events.declarations import Declaration, DeclarationSignature, DeclarationVersion, Passenger
from events.models import Entry, Event
from events.services._base import EntryError, is_organiser
from register.models import User

Role, Method = DeclarationSignature.Role, DeclarationSignature.Method


def _touch(entries) -> None:
    """A no-op write, for the trigger that stamps ``Entry.changed_at`` (the gate's list sends them again)."""
    Entry.objects.filter(pk__in=entries.values("pk")).update(status=F("status"))


@transaction.atomic
def declaration_publish(
    *, declaration: Declaration, by: User | None, now: datetime.datetime | None = None, notify: bool = True
):
    """Freeze the draft as the next version; refused when the driver's text is empty in both languages or when
    nothing changed since the current version. With ``notify``, every driver with an active entry in a session
    that needs it and is not over is asked by email to sign the new version (the demo seeding mails nobody)."""
    locked = Declaration.objects.select_for_update().get(pk=declaration.pk)
    draft = locked.draft()
    if not (draft["driver_text_en"].strip() or draft["driver_text_de"].strip()):
        raise EntryError(_("Write the driver’s declaration (in English or German) before publishing."))
    current = locked.current
    if current is not None and all(getattr(current, name) == value for name, value in draft.items()):
        raise EntryError(
            _("Nothing changed since version %(number)d: it stays the current one.") % {"number": current.number}
        )
    version = DeclarationVersion.objects.create(
        declaration=locked,
        number=(current.number if current else 0) + 1,
        published_at=now or timezone.now(),
        published_by=by,
        **draft,
    )
    concerned = Entry.objects.filter(session__event_id=locked.event_id, session__declaration_required=True)
    _touch(concerned)
    if notify:
        _ask_to_sign(concerned, version)
    return version


def _ask_to_sign(entries, version: DeclarationVersion) -> None:
    """One mail per driver of the active entries not yet over (their first entry in the event's order)."""
    drivers: dict[int, Entry] = {}
    pending = entries.active().not_over().filter(driver__isnull=False)
    for entry in pending.select_related("session__event", "car__colour", "driver").order_by(
        "session__starts_at", "pk"
    ):
        drivers.setdefault(entry.driver_id, entry)
    emails.declaration_published(list(drivers.values()), version=version)


def declaration_for(event: Event) -> Declaration:
    declaration, _created = Declaration.objects.get_or_create(event=event)
    return declaration


@transaction.atomic
def passenger_name(*, entry: Entry, name: str, by: User | None) -> Passenger | None:
    """Name (or with an empty name, remove) the passenger of ``entry``: its driver or an organiser. A new name is a
    new person: a signature given before it does not count for them."""
    if by is None or not (by.pk == entry.driver_id or is_organiser(by)):
        raise EntryError(_("Only the driver names their passenger."))
    if not entry.is_active or entry.session.is_over:
        raise EntryError(_("This entry can no longer be changed."))
    name = " ".join(name.split())
    passenger = Passenger.objects.select_for_update().filter(entry=entry).first()
    if passenger is None and not name:
        return None
    if passenger is not None and passenger.name == name:
        return passenger
    passenger = passenger or Passenger(entry=entry)
    passenger.name = name
    passenger.named_at = timezone.now()
    passenger.save()
    _touch(Entry.objects.filter(pk=entry.pk))
    return passenger


def declaration_sign(
    *,
    entry: Entry,
    role: str,
    version_id: int | None,
    name: str,
    image: bytes | None,
    language: str,
    by: User | None,
) -> DeclarationSignature:
    """Sign the current version of the entry's event for ``role``: with a drawing (``image``, a PNG already
    checked by ``declaration_pdf.signature_png``) or, without one, by the typed name.

    Rules: the driver signs on their own account, an organiser's phone takes the signature at the gate; the session
    needs a declaration; the entry is active and its session not over; a version is published and it is the one
    read (``version_id``: a version published meanwhile is read first); a passenger is named; the same version is
    signed once (a driver once per event, whichever entry).
    """
    entry = Entry.objects.select_related("session__event", "car__colour").get(pk=entry.pk)
    at_gate = by is not None and by.pk != entry.driver_id and is_organiser(by)
    if by is None or not (by.pk == entry.driver_id or at_gate):
        raise EntryError(_("Only the driver signs for this entry."))
    name = " ".join(name.split())
    if not name:
        raise EntryError(_("Type the full name."))
    _check(entry, role, version_id)
    state = declaration_state(entry)
    signature = DeclarationSignature(
        entry=entry,
        role=role,
        version=state.current,
        name=name,
        method=Method.DRAWN if image else Method.TYPED,
        signed_at=timezone.now(),
        language="de" if language.startswith("de") else "en",
        collected_by=by if at_gate else None,
    )
    pdf = declaration_pdf.declaration_pdf(signature=signature, text=signature.text, image=image)
    stem = secrets.token_hex(16)
    if image:
        signature.image.save(f"{stem}.png", ContentFile(image), save=False)
    signature.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
    signature.sha256 = declaration_pdf.sha256(pdf)
    try:
        with transaction.atomic():
            Declaration.objects.select_for_update().get(event=entry.session.event)
            entry.status = Entry.objects.values_list("status", flat=True).get(pk=entry.pk)  # as committed now
            _check(entry, role, version_id)
            signature.save(force_insert=True)
            drivers = Entry.objects.filter(session__event=entry.session.event, driver_id=entry.driver_id)
            _touch(drivers if role == Role.DRIVER and entry.driver_id else Entry.objects.filter(pk=entry.pk))
    except (EntryError, IntegrityError):
        for field in (signature.image, signature.pdf):
            if field:
                field.storage.delete(field.name)
        raise
    return signature


def _check(entry: Entry, role: str, version_id: int | None) -> None:
    if role not in Role.values:
        raise EntryError(_("Unknown role."))
    session = entry.session
    if not session.declaration_required:
        raise EntryError(_("This session needs no declaration."))
    if not entry.is_active:
        raise EntryError(_("This entry is cancelled: there is nothing to sign."))
    if session.is_over:
        raise EntryError(_("This session is over: there is nothing to sign."))
    state = declaration_state(entry)
    if state.current is None:
        raise EntryError(_("The organisers have not published the declaration yet."))
    if version_id != state.current.pk:
        raise EntryError(
            _("A new version (v%(number)d) was published while you were reading: please read it and sign it.")
            % {"number": state.current.number}
        )
    if role == Role.PASSENGER and not state.passenger_name:
        raise EntryError(_("Name the passenger first."))
    if state.driver_signed if role == Role.DRIVER else state.passenger_signed:
        raise EntryError(_("Version %(number)d is signed already.") % {"number": state.current.number})
