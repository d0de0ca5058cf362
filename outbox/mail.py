"""Sending a templated email to a person: rendered in their language, declared to the outbox, queued.

Every app's own mails (``register/emails.py``, ``events/emails.py``) call ``send``, or ``compose`` and ``send_all``
for many at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from common.i18n import user_language
from outbox.services import message_declare


def single_line(text: str) -> str:
    """A header value on one line: any run of whitespace (line breaks included) becomes one space, so a
    name typed with a line break cannot break the subject."""
    return " ".join(text.split())


def send(
    template: str,
    *,
    to,
    context: dict,
    carries_secret: bool,
    images: dict[str, bytes] | None = None,
    qr_codes: dict[str, str] | None = None,
) -> None:
    """Queue one email to the user ``to``: ``<template>_subject.txt``, ``.txt`` and ``.html`` rendered in
    their language, the subject on one line.

    ``carries_secret``: the body holds a personal link or code (a ticket): the outbox never shows it to staff
    and erases it once sent. The outbox records ``template`` as the mail's kind.
    ``images`` maps a Content-ID to PNG bytes shown inside the HTML part (``<img src="cid:…">``); ``qr_codes``
    maps one to the text of a QR code shown there, drawn when the mail is sent (``message_declare``).
    """
    send_all(
        [compose(template, to=to, context=context, carries_secret=carries_secret, images=images, qr_codes=qr_codes)]
    )


def send_all(emails: Iterable[EmailMessage | None]) -> None:
    """Queue the emails ``compose`` made (None, for nobody to write to, is skipped) together: one INSERT for
    all their rows and one for their delivery jobs (``outbox.services.messages_queue``)."""
    emails = [email for email in emails if email is not None]
    if emails:
        get_connection().send_messages(emails)


def compose(
    template: str,
    *,
    to,
    context: dict,
    carries_secret: bool,
    images: dict[str, bytes] | None = None,
    qr_codes: dict[str, str] | None = None,
) -> EmailMultiAlternatives | None:
    """The email ``send`` queues, rendered and declared but not queued (for ``send_all``); None if ``to`` has
    no address."""
    if to is None or not to.email:
        return None
    context = {"site_name": settings.SITE_NAME, "recipient": to, **context}
    with translation.override(user_language(to)):
        subject = single_line(render_to_string(f"{template}_subject.txt", context))
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
        message = EmailMultiAlternatives(
            f"[{translation.gettext('1M Register')}] {subject}", text, settings.DEFAULT_FROM_EMAIL, [to.email]
        )
        message.attach_alternative(html, "text/html")
        if images or qr_codes:
            # multipart/related: the images belong to the HTML part instead of being offered as downloads.
            message.mixed_subtype = "related"
            for content_id, data in (images or {}).items():
                image = MIMEImage(data, "png")
                image.add_header("Content-ID", f"<{content_id}>")
                image.add_header("Content-Disposition", "inline", filename=f"{content_id}.png")
                message.attach(image)
        return message_declare(message, kind=template, carries_secret=carries_secret, qr_codes=qr_codes)
