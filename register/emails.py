"""Emails of the register, each rendered from a text and an HTML template."""

from __future__ import annotations

from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send(template: str, *, to: list[str], context: dict, images: dict[str, bytes] | None = None) -> None:
    """Render ``<template>_subject.txt``, ``.txt`` and ``.html`` and send them.

    ``images`` maps a Content-ID to PNG bytes shown inside the HTML part (``<img src="cid:…">``).
    """
    recipients = [address for address in to if address]
    if not recipients:
        return
    context = {"site_name": settings.SITE_NAME, **context}
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        f"[{settings.SITE_NAME}] {subject}", text, settings.DEFAULT_FROM_EMAIL, recipients
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
    message.send()


def claim_received(claim) -> None:
    send("register/email/claim_received", to=[claim.claimant.email], context={"claim": claim})


def claim_approved(claim, previous_owner) -> None:
    context = {"claim": claim, "car": claim.car}
    send("register/email/claim_approved_new_owner", to=[claim.claimant.email], context=context)
    if previous_owner is not None:
        send(
            "register/email/claim_approved_previous_owner",
            to=[previous_owner.email],
            context={**context, "previous_owner": previous_owner},
        )


def claim_rejected(claim) -> None:
    send("register/email/claim_rejected", to=[claim.claimant.email], context={"claim": claim})
