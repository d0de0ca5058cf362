"""Emails to drivers about their entries, each rendered from a text and an HTML template.

They are queued in the outbox inside the transaction of the change (events.services): a rolled-back
change mails nobody, and the worker delivers them with retries.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from events import giro
from events.models import Entry, Session
from outbox.mail import compose, send, send_all

TICKET_CID = "ticket-qr"


def _context(entry: Entry, **extra) -> dict:
    session = entry.session
    return {
        "entry": entry,
        "session": session,
        "event": session.event,
        "car": entry.car,
        "driver": entry.driver,
        # The slot is a place in the line behind the pace car: only worth telling for a convoy.
        "show_slot": session.kind == Session.Kind.CONVOY and entry.slot is not None,
        **extra,
    }


def _send(template: str, entry: Entry, **kwargs) -> None:
    send_all([_compose(template, entry, **kwargs)])


def _compose(
    template: str, entry: Entry, *, ticket: bool = False, payment: bool = False, **extra
) -> EmailMultiAlternatives | None:
    images, qr_codes, secret = {}, {}, False
    if ticket and entry.has_valid_ticket:
        # The ticket travels as a link (to the page with the SVG) and as an inline PNG of the same QR code
        # (``tickets.qr_png``), drawn when the mail is sent.
        qr_codes[TICKET_CID] = entry.ticket_token
        extra.update(ticket_url=settings.SITE_URL + entry.get_ticket_url(), ticket_cid=TICKET_CID)
        secret = True
    if payment:
        # The transfer's details and the GiroCode (events/giro.py). A reference only says whose fee a payment is:
        # not a secret.
        extra.update(giro.payment_context(entry))
        images.update(giro.payment_images(entry))
    # A mail with the ticket carries its secrets (link, code, QR code); the others name the entry only.
    return compose(
        f"events/email/{template}",
        to=entry.driver,
        context=_context(entry, **extra),
        carries_secret=secret,
        images=images or None,
        qr_codes=qr_codes or None,
    )


def entry_confirmed(entry: Entry) -> None:
    _send("entry_confirmed", entry, ticket=True)


def entry_waitlisted(entry: Entry, *, position: int | None) -> None:
    _send("entry_waitlisted", entry, position=position)


def entry_promoted(entry: Entry) -> None:
    _send("entry_promoted", entry, ticket=True)


def entry_awaiting_payment(entry: Entry, *, promoted: bool = False, extended: bool = False) -> None:
    """A place held until the fee arrives: amount, account, reference and deadline; no ticket yet.
    ``promoted``: the place came from the waitlist; ``extended``: an organiser moved the deadline."""
    _send("entry_awaiting_payment", entry, promoted=promoted, extended=extended, payment=True)


def entry_payment_reminder(entry: Entry) -> None:
    _send("entry_payment_reminder", entry, payment=True)


def entry_paid(entry: Entry) -> None:
    """The fee arrived (or was paid at the gate): the place is confirmed, with the ticket."""
    _send("entry_paid", entry, ticket=True)


def entries_paid(entries: list[Entry]) -> None:
    """``entry_paid`` for each of many entries (a bank statement's), queued together."""
    send_all([_compose("entry_paid", entry, ticket=True) for entry in entries])


def declaration_published(entries: list[Entry], *, version) -> None:
    """A version of the event's declaration is published: each driver who still has to sign it, once (one of
    their entries names the event), with the link to the page where they read and sign it."""
    send_all(
        [
            _compose(
                "declaration_published",
                entry,
                version=version,
                sign_url=settings.SITE_URL + reverse("events:declaration", args=[entry.pk]),
            )
            for entry in entries
        ]
    )


def entries_paid_later() -> None:
    """The worker is to compose the mails of the entries a statement just paid (flagged ``paid_mail_due``):
    its job is queued in this transaction, so it exists exactly when the payments do."""
    from events.tasks import send_paid_mails

    send_paid_mails.defer()


def entry_expired(entry: Entry) -> None:
    """The deadline passed without the fee: the place is released."""
    _send("entry_expired", entry)


def entry_cancelled(entry: Entry, *, by_organiser: bool = False) -> None:
    """The entry is cancelled; a paid one says whether its fee comes back (the rule of ``payments.refunds``)."""
    paid = entry.paid_at is not None and bool(entry.amount_due)
    refunded = entry.refunded_if_cancelled(by_organiser=by_organiser, now=entry.cancelled_at)
    _send(
        "entry_cancelled",
        entry,
        by_organiser=by_organiser,
        refunded=refunded,
        not_refunded=paid and not refunded,
        refund_until=entry.refund_until,
    )


def _entry_lines(entries: list[Entry]) -> tuple[list[dict], dict[str, str]]:
    """Each entry with its ticket (link, code, inline QR image drawn when sent) for a mail about several
    entries; and the QR codes' texts by Content-ID."""
    lines, qr_codes = [], {}
    for entry in entries:
        cid = f"{TICKET_CID}-{entry.pk}"
        qr_codes[cid] = entry.ticket_token
        lines.append(
            {
                "entry": entry,
                "session": entry.session,
                "show_slot": entry.session.kind == Session.Kind.CONVOY and entry.slot is not None,
                "ticket_url": settings.SITE_URL + entry.get_ticket_url(),
                "ticket_cid": cid,
            }
        )
    return lines, qr_codes


def roster_published(driver, event, entries: list[Entry]) -> None:
    """One email per driver when the roster is published: their sessions, slots and tickets."""
    lines, qr_codes = _entry_lines(entries)
    context = {"event": event, "lines": lines}
    send("events/email/roster_published", to=driver, context=context, carries_secret=True, qr_codes=qr_codes)


def slots_changed(driver, event, entries: list[Entry]) -> None:
    """One email per driver after a batch of slot changes in a published roster: where they are now."""
    lines, qr_codes = _entry_lines(entries)
    context = {"event": event, "lines": lines}
    send("events/email/slots_changed", to=driver, context=context, carries_secret=True, qr_codes=qr_codes)


def entrant_message(user, message) -> None:
    """An organiser's message, wrapped in the recipient's language: written by staff, it carries no secret."""
    send(
        "events/email/entrant_message",
        to=user,
        context={"message": message, "event": message.event, "session": message.session},
        carries_secret=False,
    )
