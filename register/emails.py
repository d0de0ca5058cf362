"""Emails of the register, each rendered from a text and an HTML template."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send(template: str, *, to: list[str], context: dict) -> None:
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
