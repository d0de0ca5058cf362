"""The kinds the map (``portal.privacy.datamap``) is written in, and how it finds one person's rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events.models import Entry


class Erase(models.TextChoices):
    DELETE = "delete", _("deleted")
    BLANK = "blank", _("emptied")
    PLACEHOLDER = "placeholder", _("replaced by “deleted account”")
    UNLINK = "unlink", _("the link to your account is removed")
    KEEP = "keep", _("kept")


@dataclass(frozen=True)
class Personal:
    what: str
    purpose: str  # a key of purposes.PURPOSES
    erase: str  # an Erase value


@dataclass(frozen=True)
class Record:
    """One model in the map: its personal fields, its other fields, and how to find one person's rows."""

    label: str  # "app_label.ModelName"
    title: str
    personal: dict[str, Personal]
    other: frozenset[str] = frozenset()
    # The person's rows (export and erasure); None: none to find (reached through another record, or none).
    rows: Callable | None = None
    # The rows the erasure acts on, when not all of ``rows``.
    erase_rows: Callable | None = None
    # Fields in the export: the personal ones (with their files) and those that say what a row is about.
    shown: tuple[str, ...] = ()
    # Per field, how the export writes it when it is not the stored value: (row, user) -> value.
    formats: dict[str, Callable] = field(default_factory=dict)

    @property
    def model(self):
        return apps.get_model(self.label)


def you(attribute: str, other: str) -> Callable:
    def format_(row, user):
        return gettext("you") if getattr(row, attribute) == user.pk else other

    return format_


def addresses(user) -> set[str]:
    """Every email address of the person (the account's and allauth's), as stored and in lower case."""
    stored = {user.email, *user.emailaddress_set.values_list("email", flat=True)}
    return stored | {address.lower() for address in stored}


def mail_to(user):
    found = Q()
    for address in addresses(user):
        found |= Q(to__contains=[address]) | Q(cc__contains=[address]) | Q(bcc__contains=[address])
        found |= Q(recipient__iexact=address)
    return apps.get_model("outbox.Message").objects.filter(found)


def mail_to_erase(user):
    """The person's mail records, except those still queued: the mails about the account's closing (an entry
    cancelled) are queued in its transaction and still go out; the retention job deletes them once sent
    (``retention.mail_to_no_account``)."""
    message = apps.get_model("outbox.Message")
    return mail_to(user).exclude(status=message.Status.QUEUED)


def logins(model_label: str):
    def rows(user):
        found = Q()
        for address in addresses(user):
            found |= Q(username__iexact=address)
        return apps.get_model(model_label).objects.filter(found)

    return rows


def sessions_of(user):
    """Login sessions of the person: a session names its account only inside its signed data."""
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    return Session.objects.filter(session_key__in=keys)


def entries_of(user):
    return Entry.objects.visible_to(user)


def signatures_of(user):
    """The person's own signatures as a driver (a passenger's, given on their phone, is the passenger's)."""
    signature = apps.get_model("events.DeclarationSignature")
    return signature.objects.filter(entry__in=entries_of(user), role=signature.Role.DRIVER)


def body_without_secrets(row, user):
    return "" if row.carries_secret else row.text
