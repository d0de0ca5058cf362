"""An organiser's messages to the drivers of an event or of one session: who they reach, when they may be
sent, and the sending (one email per driver through the outbox; the message and its recipients are kept).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from events import emails
from events.models import EntrantMessage, EntrantMessageRecipient, Entry, Event, Session
from events.services._base import EntryError
from register.models import User


def entrant_message_recipients(*, event: Event, session: Session | None, include_waitlisted: bool) -> list[User]:
    """The drivers a message reaches: confirmed or awaiting payment (and, if asked, waitlisted) entries of the
    event's sessions not yet over, or of one of them; each driver once, by name."""
    statuses = [*Entry.HOLDING_PLACE, Entry.Status.WAITLISTED] if include_waitlisted else list(Entry.HOLDING_PLACE)
    entries = Entry.objects.not_over().filter(session__event=event, status__in=statuses)
    if session is not None:
        entries = entries.filter(session=session)
    return list(
        User.objects.filter(pk__in=entries.values("driver_id"), is_active=True)
        .exclude(email="")
        .order_by("display_name", "email")
    )


def entrant_message_check(*, event: Event, session: Session | None) -> None:
    """Raise ``EntryError`` when no message may go to these drivers: the session belongs to another event or
    is over, or (for the whole event) every session of the event is over. The message form asks the same."""
    if session is None:
        last_end = Session.objects.filter(event=event).aggregate(last=Max("ends_at"))["last"]
        if last_end is not None and last_end <= timezone.now():
            raise EntryError(_("Every session of this event is over: no message goes to its drivers."))
    elif session.event_id != event.pk:
        raise EntryError(_("This session belongs to another event."))
    elif session.is_over:
        raise EntryError(_("This session is over: no message goes to its drivers."))


@transaction.atomic
def entrant_message_send(
    *,
    event: Event,
    session: Session | None,
    include_waitlisted: bool,
    subject: str,
    body: str,
    by: User | None,
) -> EntrantMessage:
    """Send an organiser's message to the drivers of an event (or one session): queued in the outbox, one
    email per driver in their language around the organiser's text; the message and its recipients are kept.

    The subject and the text must not be empty; the session must belong to the event and not be over, and
    without a session one of the event's sessions must not be over (``entrant_message_check``): its drivers
    are those of sessions not yet over. A message that would reach nobody is refused.
    """
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    if not subject or not body:
        raise EntryError(_("A message needs a subject and a text."))
    entrant_message_check(event=event, session=session)
    recipients = entrant_message_recipients(event=event, session=session, include_waitlisted=include_waitlisted)
    if not recipients:
        raise EntryError(_("Nobody would get this message: no driver is entered there."))
    message = EntrantMessage.objects.create(
        event=event,
        session=session,
        include_waitlisted=include_waitlisted,
        subject=subject,
        body=body,
        sent_by=by,
    )
    EntrantMessageRecipient.objects.bulk_create(
        [EntrantMessageRecipient(message=message, user=user, email=user.email) for user in recipients]
    )
    for user in recipients:
        emails.entrant_message(user, message)
    return message
