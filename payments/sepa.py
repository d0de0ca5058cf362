"""Refunds out: one SEPA credit transfer file (``pain.001.001.03``) for the club's online banking.

The file is built and checked against its XML schema by ``sepaxml``; what the schema cannot see is checked here
first, so a bad refund stops the export with a ``ValueError`` instead of reaching the bank:
- amounts are ``Decimal`` (never float), above zero, in whole cents;
- IBANs and BICs pass ``schwifty`` (country, length, check digits);
- names and texts are written in the SEPA character set (letters a-z, digits, ``/ - ? : ( ) . , ' +`` and
  space), because many banks reject a file with anything else: German umlauts the German way (ü → ue, ß → ss),
  other letters without their accents, anything else dropped; cut to the schema's 70 (name), 140 (remittance)
  and 35 (identifiers) characters.
The club is the debtor: settings ``PAYMENT_ACCOUNT_HOLDER``, ``PAYMENT_IBAN`` and ``PAYMENT_BIC`` (if empty, the
BIC of the IBAN's bank, where ``schwifty`` knows it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import schwifty
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from sepaxml import SepaTransfer
from text_unidecode import unidecode

from payments.iban import iban_compact

SCHEMA = "pain.001.001.03"
LARGEST_AMOUNT = Decimal("999999999.99")  # the EPC rulebook's ceiling for one credit transfer
NAME_LENGTH, TEXT_LENGTH, ID_LENGTH = 70, 140, 35

_GERMAN = str.maketrans({"Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "SS"})
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_SPACES = re.compile(r" {2,}")


@dataclass(frozen=True)
class RefundLine:
    """One refund: who gets how much on which account, and the text their statement shows."""

    name: str
    iban: str
    amount: Decimal
    description: str  # e.g. "Refund 1M-K7QXA-4"
    bic: str | None = None  # inside SEPA the bank finds the account by IBAN alone
    end_to_end_id: str | None = None  # handed back by the bank with a returned transfer; "NOTPROVIDED" if None


def sepa_text(text: str, *, length: int) -> str:
    """``text`` in the SEPA character set (see the module's docstring), at most ``length`` characters."""
    cleaned = _NOT_SEPA.sub(" ", unidecode(text.translate(_GERMAN)).replace("\n", " "))
    return _SPACES.sub(" ", cleaned).strip()[:length].rstrip()


def amount_cents(amount: Decimal) -> int:
    """``amount`` in whole cents, exactly: a ``Decimal`` above zero with no fraction of a cent (``25.000`` is
    fine, ``25.001`` is not), at most the EPC's 999,999,999.99. Anything else is a ``ValueError``."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"An amount must be a finite Decimal, not {amount!r}.")
    cents = amount.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"An amount has whole cents; {amount} does not.")
    if not Decimal(0) < amount <= LARGEST_AMOUNT:
        raise ValueError(f"An amount is above 0 and at most {LARGEST_AMOUNT}; {amount} is not.")
    return int(cents)


def _iban(iban: str, whose: str) -> str:
    try:
        return schwifty.IBAN(iban_compact(iban)).compact
    except schwifty.exceptions.SchwiftyException as error:
        raise ValueError(f"{whose}: not a valid IBAN ({error}).") from error


def _bic(bic: str, whose: str) -> str:
    try:
        return schwifty.BIC(bic.strip()).compact
    except schwifty.exceptions.SchwiftyException as error:
        raise ValueError(f"{whose}: not a valid BIC ({error}).") from error


def _identifier(text: str, what: str) -> str:
    """Identifiers go to the bank as given, or not at all: a cut or cleaned id would no longer match ours."""
    if not text or len(text) > ID_LENGTH or _NOT_SEPA.search(text) or text != text.strip():
        raise ValueError(f"{what} is 1 to {ID_LENGTH} characters of the SEPA character set; {text!r} is not.")
    return text


def _debtor() -> dict:
    holder = getattr(settings, "PAYMENT_ACCOUNT_HOLDER", "")
    iban = getattr(settings, "PAYMENT_IBAN", "")
    bic = getattr(settings, "PAYMENT_BIC", "")
    if not holder or not iban:
        raise ImproperlyConfigured("Refunds need PAYMENT_ACCOUNT_HOLDER and PAYMENT_IBAN.")
    iban = _iban(iban, "PAYMENT_IBAN")
    # German banks want the debtor's bank named; schwifty knows it for German IBANs.
    known = schwifty.IBAN(iban).bic
    bic = _bic(bic, "PAYMENT_BIC") if bic else known.compact if known else ""
    if not bic:
        raise ImproperlyConfigured("Refunds need PAYMENT_BIC: the bank is not known from PAYMENT_IBAN.")
    return {
        "name": sepa_text(holder, length=NAME_LENGTH),
        "IBAN": iban,
        "BIC": bic,
        "currency": "EUR",
        "batch": True,
    }


def _payment(line: RefundLine, execution_date: date) -> dict:
    whose = f"Refund to {line.name!r}"
    name = sepa_text(line.name, length=NAME_LENGTH)
    description = sepa_text(line.description, length=TEXT_LENGTH)
    if not name or not description:
        raise ValueError(f"{whose}: a name and a text are needed, in letters the bank accepts.")
    payment = {
        "name": name,
        "IBAN": _iban(line.iban, whose),
        "amount": amount_cents(line.amount),
        "description": description,
        "execution_date": execution_date,
    }
    if line.bic:
        payment["BIC"] = _bic(line.bic, whose)
    if line.end_to_end_id is not None:
        payment["endtoend_id"] = _identifier(line.end_to_end_id, "An end-to-end id")
    return payment


def refunds_pain001(refunds: Sequence[RefundLine], *, execution_date: date, message_id: str) -> bytes:
    """One ``pain.001.001.03`` file paying every refund from the club's account on ``execution_date``, as one
    batch whose control sum and count the bank checks. ``message_id`` (1-35 SEPA characters) names the file;
    German banks refuse a second upload with the same one, so a file uploaded twice is not paid twice. Every line is
    checked before anything is built, and the result is validated against the schema (``sepaxml``); an empty
    list or any bad line is a ``ValueError``."""
    if not refunds:
        raise ValueError("There are no refunds to export.")
    message_id = _identifier(message_id, "A message id")
    debtor = _debtor()
    payments = [_payment(line, execution_date) for line in refunds]
    transfer = SepaTransfer(debtor, schema=SCHEMA, clean=True)
    transfer.msg_id = message_id
    transfer._xml.find("CstmrCdtTrfInitn/GrpHdr/MsgId").text = message_id  # sepaxml draws a random one
    for payment in payments:
        transfer.add_payment(payment)
    return transfer.export(validate=True)
