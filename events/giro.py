"""What a driver needs to pay an entry fee by bank transfer: the club's account, the amount, the entry's
reference, and a GiroCode (EPC QR code) that a banking app scans to fill in the transfer.

Duck-typed on the entry (``amount_due``, ``payment_reference``, ``payment_due``), so pages and mails can
show the box for anything that has those.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import segno
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from schwifty import IBAN
from segno.helpers import make_epc_qr

GIROCODE_CID = "girocode"
CENT = Decimal("0.01")


def _exact_euros(amount: Decimal) -> Decimal:
    """The amount in whole cents, or ValueError: a fee is never rounded on its way into a transfer."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    cents = amount.quantize(CENT)
    if cents != amount:
        raise ValueError(f"amount {amount} is not a whole number of cents")
    return cents


def _girocode(*, amount: Decimal, reference: str) -> segno.QRCode:
    return make_epc_qr(
        name=settings.PAYMENT_ACCOUNT_HOLDER,
        iban=IBAN(settings.PAYMENT_IBAN).compact,
        bic=settings.PAYMENT_BIC.replace(" ", "").upper(),
        amount=_exact_euros(amount),
        # Unstructured remittance: the entry's reference is not an ISO 11649 creditor reference ("RF…").
        text=reference,
        encoding="utf-8",
    )


def giro_code_png(*, amount: Decimal, reference: str) -> bytes:
    """The GiroCode as PNG, for the email: mail programs do not show inline SVG."""
    buffer = io.BytesIO()
    _girocode(amount=amount, reference=reference).save(buffer, kind="png", scale=5, border=4)
    return buffer.getvalue()


def giro_code_svg(*, amount: Decimal, reference: str) -> str:
    """The GiroCode as an inline ``<svg>`` element (no XML declaration), dark on white with a quiet zone.

    With a viewBox and no fixed size (``omitsize``), so the stylesheet scales it: a fixed width narrowed by
    CSS would cut off the code's edge and the quiet zone that scanners need."""
    return _girocode(amount=amount, reference=reference).svg_inline(
        scale=5, border=4, dark="#000", light="#fff", omitsize=True
    )


def epc_payload_parse(payload: str) -> dict:
    """The fields of an EPC QR payload (EPC069-12, version 002), e.g. as read back by a scanner."""
    lines = payload.split("\n")
    names = ["service", "version", "charset", "identification", "bic", "name", "iban", "amount", "purpose"]
    fields = dict(zip(names, lines, strict=False))
    fields["reference"] = lines[9] if len(lines) > 9 else ""
    fields["text"] = lines[10] if len(lines) > 10 else ""
    amount = fields.get("amount", "")
    fields["amount"] = Decimal(amount[3:]) if amount.startswith("EUR") and amount[3:] else None
    return fields


def money(amount: Decimal | None) -> str:
    """An amount in euros as the reader's language writes it: "€1,250.00" in English, "1.250,00 €" in
    German."""
    if amount is None:
        return ""
    figure = number_format(_exact_euros(amount), 2, use_l10n=True, force_grouping=True)
    # Translators: an amount of money in euros; German puts the sign after the number.
    return _("€%(amount)s") % {"amount": figure}


def iban_display(iban: str) -> str:
    """The IBAN in groups of four, as printed on bank cards and statements."""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


@dataclass(frozen=True)
class PaymentDetails:
    """One payment to make: what, by when, to which account, and with which reference."""

    amount: Decimal
    reference: str
    due: datetime | None
    account_holder: str
    iban: str
    bic: str

    @classmethod
    def of(cls, *, amount: Decimal, reference: str, due: datetime | None) -> PaymentDetails:
        return cls(
            amount=amount,
            reference=reference,
            due=due,
            account_holder=settings.PAYMENT_ACCOUNT_HOLDER,
            iban=settings.PAYMENT_IBAN,
            bic=settings.PAYMENT_BIC,
        )

    @classmethod
    def for_entry(cls, entry) -> PaymentDetails | None:
        """The entry's payment, or None when it owes nothing (a free session, or no amount recorded)."""
        amount = getattr(entry, "amount_due", None)
        reference = getattr(entry, "payment_reference", None)
        if not amount or not reference:
            return None
        return cls.of(amount=amount, reference=reference, due=getattr(entry, "payment_due", None))

    @property
    def amount_display(self) -> str:
        return money(self.amount)

    @property
    def iban_display(self) -> str:
        return iban_display(self.iban)

    def girocode_svg(self) -> str:
        return giro_code_svg(amount=self.amount, reference=self.reference)

    def girocode_png(self) -> bytes:
        return giro_code_png(amount=self.amount, reference=self.reference)


def payment_context(entry) -> dict:
    """For a mail about ``entry``: ``payment`` (or None) for ``events/email/includes/payment.*``."""
    return {"payment": PaymentDetails.for_entry(entry), "girocode_cid": GIROCODE_CID}


def payment_images(entry) -> dict[str, bytes]:
    """For a mail about ``entry``: the GiroCode as the inline image ``cid:girocode``, or nothing to pay."""
    payment = PaymentDetails.for_entry(entry)
    return {GIROCODE_CID: payment.girocode_png()} if payment else {}
