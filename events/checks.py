"""System checks of the bank account that entry fees are paid to (PAYMENT_* settings)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

# The EPC QR code (GiroCode) holds at most 70 characters of the beneficiary's name.
ACCOUNT_HOLDER_MAX = 70


def _invalid() -> list[Error]:
    errors = []
    holder = settings.PAYMENT_ACCOUNT_HOLDER
    if len(holder) > ACCOUNT_HOLDER_MAX:
        errors.append(
            Error(
                f"PAYMENT_ACCOUNT_HOLDER is {len(holder)} characters long; a GiroCode holds at most "
                f"{ACCOUNT_HOLDER_MAX}.",
                id="events.E002",
            )
        )
    if settings.PAYMENT_IBAN:
        try:
            iban = IBAN(settings.PAYMENT_IBAN)
        except SchwiftyException as error:
            errors.append(
                Error(f"PAYMENT_IBAN {settings.PAYMENT_IBAN!r} is not a valid IBAN: {error}.", id="events.E003")
            )
        else:
            if not iban.in_sepa_zone:
                errors.append(
                    Error(
                        f"PAYMENT_IBAN {settings.PAYMENT_IBAN!r} is outside SEPA: fees are paid by SEPA transfer.",
                        id="events.E004",
                    )
                )
    if settings.PAYMENT_BIC:
        try:
            BIC(settings.PAYMENT_BIC)
        except SchwiftyException as error:
            errors.append(
                Error(f"PAYMENT_BIC {settings.PAYMENT_BIC!r} is not a valid BIC: {error}.", id="events.E005")
            )
    return errors


@register()
def payment_account_is_valid(app_configs, **kwargs):
    """A mistyped IBAN or BIC would be printed on every payment box and in every GiroCode: refused at once,
    with or without DEBUG."""
    return _invalid()


@register(Tags.security, deploy=True)
def payment_account_is_set(app_configs, **kwargs):
    """In production the club's account must be configured: without it no driver of a paid session can pay."""
    if settings.DEBUG:
        return []
    missing = [
        name
        for name in ("PAYMENT_ACCOUNT_HOLDER", "PAYMENT_IBAN", "PAYMENT_BIC")
        if not getattr(settings, name).strip()
    ]
    if missing:
        return [
            Error(
                f"{', '.join(missing)} must be set when DEBUG is off: entry fees are paid to this account.",
                hint="e.g. PAYMENT_ACCOUNT_HOLDER='1M Register e.V.' PAYMENT_IBAN=DE… PAYMENT_BIC=…",
                id="events.E001",
            )
        ]
    return []
