"""What every statement format is read into: one ``Credit`` per incoming transfer, with a key that stays the same
when the statement, or another one overlapping it, is imported again."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

CENT = Decimal("0.01")


class StatementError(ValueError):
    """A statement that cannot be read; the message is for the person who uploaded it (translated)."""


@dataclass(frozen=True)
class Credit:
    """Money received, as the bank booked it.

    ``bank_reference`` is the key a transaction is counted once by. It is the bank's own id of the transaction
    where the format carries one (CAMT.053's ``AcctSvcrRef``, a CSV mapping's reference column), else the SHA-256
    (hex) of the line's content: booking date, amount, currency, payer IBAN, payer name (blanks squeezed),
    remittance (blanks squeezed), what else the format says about the transaction (CAMT's ``EndToEndId``, the
    MT940 ``:61:`` references, the transaction code) and how many identical lines came before it in the same
    statement. Nothing that depends on the file (its name, the statement's number, the line's position) goes in,
    so a re-import and an overlapping statement give the same keys; the count keeps two identical transfers on
    one day apart (a statement holds both, an overlapping one the same two or the first of them).
    """

    bank_reference: str
    booked_on: date
    amount: Decimal
    currency: str
    remittance: str
    payer_name: str
    payer_iban: str


def credit_new(*, booked_on, amount, currency, remittance, payer_name="", payer_iban="", bank_reference=""):
    """A Credit with its text tidied: the amount to cents, the IBAN without blanks, upper case."""
    return Credit(
        bank_reference=bank_reference.strip(),
        booked_on=booked_on,
        amount=amount.quantize(CENT),
        currency=currency.strip().upper(),
        remittance=remittance.strip(),
        payer_name=" ".join(payer_name.split()),
        payer_iban="".join(payer_iban.split()).upper(),
    )


def credits_keyed(rows: list[tuple[Credit, str]]) -> list[Credit]:
    """The credits with their keys: rows are (credit, what else identifies it); a credit without the bank's id
    gets the content hash. A bank id that repeats within one statement (a bank that reuses it for every line of
    a batch) is told apart the same way, by its count, so no transfer is swallowed by another's key."""
    seen: Counter[str] = Counter()
    credits = []
    for credit, extra in rows:
        if credit.bank_reference:
            key = credit.bank_reference
            seen[key] += 1
            if seen[key] > 1:
                key = f"{key}/{seen[key]}"
        else:
            content = "\x1f".join(
                [
                    credit.booked_on.isoformat(),
                    f"{credit.amount:.2f}",
                    credit.currency,
                    credit.payer_iban,
                    credit.payer_name,
                    " ".join(credit.remittance.split()),
                    " ".join(extra.split()),
                ]
            )
            seen[content] += 1
            key = hashlib.sha256(f"{content}\x1f{seen[content]}".encode()).hexdigest()
        credits.append(replace(credit, bank_reference=key))
    return credits


def text_decode(data: bytes, encoding: str = "cp1252") -> str:
    """The text of a file from a bank: UTF-8 (with or without a byte-order mark) when it is valid UTF-8, else
    ``encoding`` (German banks' exports are mostly Windows-1252), else Latin-1, which reads any byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for candidate in ("utf-8", encoding, "latin-1"):
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover
