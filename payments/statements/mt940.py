"""MT940 (SWIFT customer statement), as German banks write it: the ``:86:`` details structured into ``?00``
posting text, ``?20``–``?29`` remittance (SEPA keywords such as ``EREF+`` and ``SVWZ+`` inside), ``?30`` BIC,
``?31`` IBAN, ``?32``/``?33`` payer's name. The ``mt-940`` library reads the tags and the sub-fields."""

from __future__ import annotations

import re
from datetime import date

import mt940
from django.utils.translation import gettext as _

from payments.statements.credit import Credit, StatementError, credit_new

# The library's fixes beyond its 5.0.0 behaviour that matter here: ?31 as the IBAN (not glued to the name),
# a reversed credit (RC) counted as the debit it is, details of any length, a byte-order mark dropped.
OPTIONS = mt940.Options(
    applicant_iban=True,
    reversal_sign=True,
    case_insensitive_marks=True,
    unbounded_details=True,
    merge_keeps_values=True,
    strip_bom=True,
    gvc_leading_text=True,
)
IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
NONREF = "NONREF"


def mt940_read(text: str) -> list[tuple[Credit, str]]:
    try:
        transactions = mt940.parse(text, options=OPTIONS)
    except Exception as error:  # the library raises what its parsing hits; any of it means an unreadable file
        raise StatementError(_("The MT940 file is damaged or incomplete.")) from error
    rows = []
    for number, transaction in enumerate(transactions, start=1):
        data = transaction.data
        amount = data.get("amount")
        booked_on = data.get("entry_date") or data.get("date")
        if amount is None or not isinstance(booked_on, date):
            raise StatementError(
                _("Transaction %(number)s of the MT940 file has no readable amount or date.") % {"number": number}
            )
        if amount.amount <= 0:
            continue
        details = data.get("purpose") or data.get("transaction_details") or ""
        iban = "".join((data.get("applicant_iban") or data.get("gvc_applicant_iban") or "").split()).upper()
        credit = credit_new(
            booked_on=date(booked_on.year, booked_on.month, booked_on.day),
            amount=amount.amount,
            currency=amount.currency or data.get("currency") or "",
            remittance=details,
            payer_name=data.get("applicant_name") or "",
            payer_iban=iban if IBAN.fullmatch(iban) else "",
        )
        # MT940 has no id that every bank fills and keeps unique, so the key is always the content hash; the
        # :61: references and the end-to-end id go into it to tell otherwise identical transfers apart.
        extra = " ".join(
            value
            for key in ("customer_reference", "bank_reference", "end_to_end_reference", "id")
            if (value := (data.get(key) or "").strip()) and value not in (NONREF, "NOTPROVIDED")
        )
        rows.append((credit, extra))
    return rows
