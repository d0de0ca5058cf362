"""Emails of the register, each rendered from a text and an HTML template.

They are queued in the outbox inside the transaction of the change (outbox/): a rolled-back change
mails nobody, and a slow or absent mail server never holds a request.
"""

from __future__ import annotations

from django.conf import settings

from outbox.mail import send


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
