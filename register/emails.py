"""Emails of the register, each rendered from a text and an HTML template.

They are queued in the outbox inside the transaction of the change (outbox/): a rolled-back change
mails nobody, and a slow or absent mail server never holds a request.
"""

from __future__ import annotations

from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from outbox.services import message_declare
from register.i18n import user_language
from register.models import User


def single_line(text: str) -> str:
    """A header value on one line: any run of whitespace (line breaks included) becomes one space, so a
    name typed with a line break cannot break the subject."""
    return " ".join(text.split())


def send(
    template: str,
    *,
    to: User | None,
    context: dict,
    carries_secret: bool,
    images: dict[str, bytes] | None = None,
) -> None:
    """Queue one email to the user ``to``: ``<template>_subject.txt``, ``.txt`` and ``.html`` rendered in
    their language, the subject on one line.

    ``carries_secret``: the body holds a personal link or code (a ticket): the outbox never shows it to staff
    and erases it once sent. The outbox records ``template`` as the mail's kind.
    ``images`` maps a Content-ID to PNG bytes shown inside the HTML part (``<img src="cid:…">``).
    """
    if to is None or not to.email:
        return
    context = {"site_name": settings.SITE_NAME, "recipient": to, **context}
    with translation.override(user_language(to)):
        subject = single_line(render_to_string(f"{template}_subject.txt", context))
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
        message = EmailMultiAlternatives(
            f"[{translation.gettext('1M Register')}] {subject}", text, settings.DEFAULT_FROM_EMAIL, [to.email]
        )
        message.attach_alternative(html, "text/html")
        if images:
            # multipart/related: the images belong to the HTML part instead of being offered as downloads.
            message.mixed_subtype = "related"
            for content_id, data in images.items():
                image = MIMEImage(data, "png")
                image.add_header("Content-ID", f"<{content_id}>")
                image.add_header("Content-Disposition", "inline", filename=f"{content_id}.png")
                message.attach(image)
        message_declare(message, kind=template, carries_secret=carries_secret)
        message.send()


def car_verified(car) -> None:
    send(
        "register/email/car_verified",
        to=car.owner,
        context={"car": car, "car_url": settings.SITE_URL + car.get_absolute_url()},
        carries_secret=False,
    )


def claim_received(claim) -> None:
    send("register/email/claim_received", to=claim.claimant, context={"claim": claim}, carries_secret=False)


def claim_approved(claim, previous_owner, *, cancelled=()) -> None:
    # ``cancelled``: the car's entries the approval cancelled (their drivers got a cancellation each).
    context = {"claim": claim, "car": claim.car, "cancelled": list(cancelled)}
    send("register/email/claim_approved_new_owner", to=claim.claimant, context=context, carries_secret=False)
    if previous_owner is not None:
        send(
            "register/email/claim_approved_previous_owner",
            to=previous_owner,
            context={**context, "previous_owner": previous_owner},
            carries_secret=False,
        )


def claim_rejected(claim) -> None:
    send("register/email/claim_rejected", to=claim.claimant, context={"claim": claim}, carries_secret=False)
