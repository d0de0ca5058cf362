"""What the gate needs to know about an entry besides its ticket, for the organisers only (of the events app,
imported by ``events/models.py``): the driver's emergency contact, given at sign-up, and an organiser's
attention flag with its note ("first time on the Nordschleife"), as pretix's check-in "attention" flag and
check-in text. The check-in result shows both in large type, online and offline (``events.gatelist``).

**Who sees them.** The organisers at the gate (``services.is_organiser``: the check-in page, its list for a
phone, the entry's page in the admin) and, for the emergency contact, the driver in "My entries", who may change
it until the session starts. Never the roster, its downloads, the calendar, another driver or staff of other
roles (the treasurers read entries too).

**Why tables of their own, not columns of the entry.** The entry's audit trail (django-simple-history) copies the
entry's columns into every snapshot, where the retention job would have to hunt them down; a row per entry here
is deleted whole.

**How long.** Both are for the event's days: the retention job (``portal.privacy.retention``) deletes them
``GATE_DATA_KEPT_DAYS`` after the event's last day (``gate_data_due``), and so does erasing the person.

**The phone at the gate** learns of a change with its next sync: a write here (insert, update, delete) touches
the entry's ``changed_at`` through a database trigger (migration ``events/0011``), which is the list's cursor.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

NAME_MAX = 80
NOTE_MAX = 200


def gate_data_due(now: datetime.datetime | None = None) -> Q:
    """The entries whose gate data is due for erasure at ``now``: those of events whose last day ended
    ``GATE_DATA_KEPT_DAYS`` days ago or more (last day 1 June, 30 days: erased from 2 July, 00:00 Berlin time)."""
    today = timezone.localdate(now or timezone.now())
    return Q(entry__session__event__ends_on__lt=today - datetime.timedelta(days=settings.GATE_DATA_KEPT_DAYS))


class GateDataQuerySet(models.QuerySet):
    def due_for_erasure(self, now=None):
        return self.filter(gate_data_due(now))

    def of_driver(self, user):
        return self.filter(entry__driver=user)


def phone_shown(phone) -> str:
    """ "+49 171 1234567": a number as a person reads it out, with its country code (as stored, if not valid)."""
    return phone.as_international if phone and phone.is_valid() else str(phone)


def phone_dialled(phone) -> str:
    """ "+491711234567": a number for a ``tel:`` link (as stored, if not valid)."""
    return phone.as_e164 if phone and phone.is_valid() else str(phone)


class EmergencyContact(models.Model):
    """Whom to call if something happens to the driver at the event: one per entry (a driver may give another
    one for each event)."""

    entry = models.OneToOneField(
        "events.Entry",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="emergency_contact",
        verbose_name=_("entry"),
    )
    name = models.CharField(_("name"), max_length=NAME_MAX)
    phone = PhoneNumberField(_("phone"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = GateDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")
        constraints = [
            models.CheckConstraint(condition=~Q(name="") & ~Q(phone=""), name="emergency_contact_not_empty"),
        ]

    def __str__(self):
        return f"{self.name}, {self.phone_display}"

    @property
    def phone_display(self) -> str:
        return phone_shown(self.phone)

    @property
    def phone_tel(self) -> str:
        return phone_dialled(self.phone)


class AttentionNote(models.Model):
    """An organiser's flag on an entry, with what the gate must know: shown in large type at check-in."""

    entry = models.OneToOneField(
        "events.Entry",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="attention",
        verbose_name=_("entry"),
    )
    note = models.CharField(
        _("attention note"),
        max_length=NOTE_MAX,
        help_text=_("Shown in large type at the gate, e.g. “first time on the Nordschleife”."),
    )
    flagged_at = models.DateTimeField(_("flagged"), default=timezone.now)

    objects = GateDataQuerySet.as_manager()

    class Meta:
        verbose_name = _("attention note")
        verbose_name_plural = _("attention notes")
        constraints = [models.CheckConstraint(condition=~Q(note=""), name="attention_note_not_empty")]

    def __str__(self):
        return self.note
