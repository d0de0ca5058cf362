"""A receipt for a paid entry fee: a one-page PDF for the driver, in the driver's language.

Rendered from an HTML template by WeasyPrint, as the marshal sheet is (``events.marshal``). The receipt number is
the entry's payment reference: unique to the entry, and the text the payer's bank statement shows.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from common.i18n import user_language
from events.models import Entry
from payments.models import BankTransaction


def receipt_language(entry: Entry) -> str:
    return user_language(entry.driver)


def receipt_pdf(entry: Entry) -> bytes:
    """The receipt of a paid entry (``entry.paid_at`` set): the club, the driver, the car, the session, the amount,
    when it was paid and the reference, in the driver's language."""
    from PIL import ImageFile
    from weasyprint import HTML  # imported here: loading Pango costs a second, only this view needs it

    # Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process; photo uploads rely on
    # Pillow refusing a truncated file (register/photos.py). A receipt has no pictures.
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    paid_by_bank = entry.bank_transactions.filter(status=BankTransaction.Status.PAID).exists()
    with translation.override(receipt_language(entry)):
        html = render_to_string(
            "payments/receipt.html",
            {
                "entry": entry,
                "session": entry.session,
                "event": entry.session.event,
                "club": settings.PAYMENT_ACCOUNT_HOLDER,
                "paid_by_bank": paid_by_bank,
                "printed": timezone.now(),
            },
        )
    return HTML(string=html).write_pdf()
