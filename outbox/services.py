"""Queue and deliver email through the outbox.

Every email of the project goes through ``message_queue`` or, many at once, ``messages_queue``
(``settings.EMAIL_BACKEND`` is ``outbox.backends.QueueBackend``, so ``send_mail``, ``EmailMessage.send()`` and
allauth all land here); a procrastinate worker (``manage.py procrastinate worker``) runs ``message_deliver``
for each row with the real backend, ``settings.EMAIL_DELIVERY_BACKEND``.
"""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Sequence
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from outbox.models import Message


class TemporaryFailure(Exception):
    """The server could not take the message now (down, timed out, 4xx): the queue retries it later."""


class OutboxError(Exception):
    """A request the outbox refuses; the message is for the staff member who asked."""


def message_declare(
    email: EmailMessage, *, kind: str, carries_secret: bool, qr_codes: dict[str, str] | None = None
) -> EmailMessage:
    """Tell the outbox what ``email`` is before it is sent: its ``kind`` (the template that made it) and
    whether its body carries a personal secret (a reset or confirmation link, a ticket). Kept as attributes
    of the Python object that ``message_queue`` reads, never as a header: nothing of it goes out in the mail.
    Mail sent without a declaration is stored with no kind and as secret-bearing. The language active when it
    is declared is recorded as the reader's.

    ``qr_codes`` maps a Content-ID to the text of a QR code shown inside the HTML part: stored as its text and
    drawn as PNG (``common.qr``) when the message is delivered (``Message.as_email``), not when it is queued.
    Drawing one takes milliseconds: a statement import that pays thousands of entries queues their tickets'
    mails without drawing any."""
    email.outbox_kind = kind
    email.outbox_carries_secret = carries_secret
    email.outbox_qr_codes = qr_codes or {}
    # The reader's language, active while their mail is rendered: kept for a message queued later.
    email.outbox_language = translation.get_language()
    return email


def message_queue(*, email: EmailMessage) -> Message:
    """Queue one email in the current transaction: its outbox row and its delivery job are committed
    with the change that caused them, or rolled back with it.

    The kind, whether the body carries a secret and the reader's language come from ``message_declare``;
    undeclared mail is secret-bearing, in the language active now. The Message-ID is fixed here, so every
    delivery attempt carries the same one. A message that cannot be built (a header with a line break, say) is
    kept as failed with the reason, for staff to see in the admin; it never breaks the change that wanted to
    send it.
    """
    return messages_queue(emails=[email])[0]


def messages_queue(*, emails: Sequence[EmailMessage]) -> list[Message]:
    """``message_queue`` for many emails at once (a statement import's paid entries): their rows in one
    INSERT and their delivery jobs in another (procrastinate's ``batch_defer``), instead of two each."""
    messages = [_message(email) for email in emails]
    # No savepoint: inside the change's transaction an error here rolls the change back anyway; outside one,
    # this opens the transaction that commits rows and jobs together.
    with transaction.atomic(savepoint=False):
        Message.objects.bulk_create(messages, batch_size=500)
        queued = [message for message in messages if message.status == Message.Status.QUEUED]
        if queued:
            # Deferred through Django's connection (procrastinate's DjangoConnector): same transaction.
            from outbox.tasks import deliver

            deliver.batch_defer(*({"message_id": message.pk} for message in queued))
    return messages


def _message(email: EmailMessage) -> Message:
    """The outbox row of ``email``, not saved yet."""
    email.extra_headers.setdefault("Message-ID", make_msgid(domain=DNS_NAME))
    try:
        email.message()
    except ValueError as exc:  # BadHeaderError and encoding errors are ValueErrors
        status, error = Message.Status.FAILED, f"The message cannot be built: {exc}"
    else:
        status, error = Message.Status.QUEUED, ""
    html = next((content for content, mimetype in getattr(email, "alternatives", []) if mimetype == "text/html"), "")
    headers = {key: str(value) for key, value in email.extra_headers.items() if key != "Message-ID"}
    return Message(
        message_id=email.extra_headers["Message-ID"],
        from_email=email.from_email,
        recipient=", ".join(email.to),
        to=list(email.to),
        cc=list(email.cc),
        bcc=list(email.bcc),
        reply_to=list(email.reply_to),
        headers=headers,
        subject=str(email.subject),
        text=str(email.body),
        html=str(html),
        attachments=[_attachment(item) for item in email.attachments]
        + [_qr_code(content_id, text) for content_id, text in getattr(email, "outbox_qr_codes", {}).items()],
        mixed_subtype=getattr(email, "mixed_subtype", "mixed"),
        kind=getattr(email, "outbox_kind", ""),
        carries_secret=getattr(email, "outbox_carries_secret", True),
        language=getattr(email, "outbox_language", None) or translation.get_language() or "",
        status=status,
        last_error=error,
    )


def message_deliver(*, message_id: int) -> None:
    """Send one queued message with ``EMAIL_DELIVERY_BACKEND``.

    The row stays locked while the server is talking, so a second job for the same message waits and
    then finds it sent. A temporary failure (connection refused, timeout, an SMTP 4xx answer) raises
    ``TemporaryFailure`` for the queue to retry with backoff, until ``MAIL_GIVE_UP_AFTER`` has passed
    since the message was queued; a permanent one (an SMTP 5xx answer, a message that cannot be built)
    marks it failed at once. Attempts and the last error are recorded either way.

    A secret-bearing message loses its body (text, HTML, attachments) in the same update that marks it
    sent: the record (recipient, kind, subject, status, attempts) stays, the link or code is gone.
    """
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != Message.Status.QUEUED:
            return
        now = timezone.now()
        message.attempts += 1
        message.last_attempt = now
        retry = False
        try:
            with get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False) as connection:
                connection.send_messages([message.as_email()])
        except Exception as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"
            retry = _is_temporary(exc) and now - message.created < settings.MAIL_GIVE_UP_AFTER
            if not retry:
                message.status = Message.Status.FAILED
        else:
            message.status = Message.Status.SENT
            message.sent = now
            message.last_error = ""
            if message.carries_secret:
                message.text, message.html, message.attachments = "", "", []
        message.save(
            update_fields=["attempts", "last_attempt", "last_error", "status", "sent", "text", "html", "attachments"]
        )
    if retry:
        raise TemporaryFailure(message.last_error)


def message_send_again(*, message: Message) -> None:
    """Queue a failed or sent message once more, with a new delivery job.

    A message that was sent gets a new Message-ID: the reader's server would drop a second copy with the
    old one as a duplicate. A message still queued is left alone (its job is on its way). A sent
    secret-bearing message is refused (``OutboxError``): its body was erased when it was sent, and a link
    or code is asked for anew by its owner (a new reset link, say); a failed one still has its body.
    """
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.status == Message.Status.QUEUED:
            return
        if message.status == Message.Status.SENT and message.carries_secret:
            raise OutboxError(
                _(
                    "Not sent again: it carried a personal link or code, erased once it was sent. The person asks "
                    "for a new link (a password reset, say) or finds their ticket under “My entries”."
                )
            )
        if message.status == Message.Status.SENT:
            message.message_id = make_msgid(domain=DNS_NAME)
        message.status = Message.Status.QUEUED
        message.save(update_fields=["message_id", "status"])
        _defer(message)


def _defer(message: Message) -> None:
    # Deferred through Django's connection (procrastinate's DjangoConnector): same transaction.
    from outbox.tasks import deliver

    deliver.defer(message_id=message.pk)


def _attachment(item) -> dict:
    if isinstance(item, MIMEBase):  # a ready MIME part, such as an inline image with a Content-ID
        own = {"content-type", "mime-version", "content-transfer-encoding"}
        return {
            "mimetype": item.get_content_type(),
            "content": base64.b64encode(item.get_payload(decode=True)).decode(),
            "headers": [[name, str(value)] for name, value in item.items() if name.lower() not in own],
        }
    filename, content, mimetype = item
    if isinstance(content, str):
        content = content.encode()
    return {"filename": filename, "content": base64.b64encode(content).decode(), "mimetype": mimetype}


def _qr_code(content_id: str, text: str) -> dict:
    """An inline QR code image as ``_attachment`` stores an inline PNG, with its text instead of its content."""
    return {
        "mimetype": "image/png",
        "qr": text,
        "headers": [
            ["Content-ID", f"<{content_id}>"],
            ["Content-Disposition", f'inline; filename="{content_id}.png"'],
        ],
    }


def _is_temporary(exc: Exception) -> bool:
    """SMTP 4xx and network trouble are temporary; 5xx and anything else (a bug, a bad message) are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # Connection refused, reset or timed out (SMTPServerDisconnected too: SMTPException is an OSError).
    return isinstance(exc, OSError)
