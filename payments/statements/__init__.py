"""Bank statements read into credits: ``statement_read`` tells CAMT.053 (XML), MT940 and CSV apart by their
content and returns the incoming transfers, each with a key that a re-import or an overlapping statement repeats
(see ``Credit``). Debits, reversals, pending and zero rows are left out. Pure parsing: nothing is stored here."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from payments.statements.camt import camt_read
from payments.statements.credit import Credit, StatementError, credits_keyed, text_decode
from payments.statements.csv import BUILT_IN, SPARKASSE_CAMT_V2, VOLKSBANK, CsvMapping, csv_read
from payments.statements.mt940 import mt940_read

__all__ = [
    "BUILT_IN",
    "SPARKASSE_CAMT_V2",
    "VOLKSBANK",
    "Credit",
    "CsvMapping",
    "StatementError",
    "statement_format",
    "statement_read",
]

_MT940 = re.compile(r"^\s*(\{1:|:20:)", re.MULTILINE)
_MT940_BALANCE = re.compile(r"^:60[FM]:", re.MULTILINE)


def statement_format(data: bytes, *, filename: str = "") -> str:
    """ "camt", "mt940" or "csv": how ``statement_read`` reads ``data`` (empty data counts as CSV)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") or filename.lower().endswith(".xml"):
        return "camt"
    text = text_decode(data)
    # An MT940 file starts with its :20: reference (perhaps after a SWIFT header) and has an opening balance.
    if _MT940.search(text[:4096]) and _MT940_BALANCE.search(text):
        return "mt940"
    return "csv"


def statement_read(data: bytes, *, filename: str = "", csv_mapping: CsvMapping | None = None) -> list[Credit]:
    """The credits of a statement file, in the file's order. ``filename`` only breaks a tie: a file named
    ``.xml`` is read as XML whatever it starts with. A CSV file without ``csv_mapping`` is read with the
    built-in mapping whose columns it has. Raises StatementError (a message for the uploader) for anything
    else."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise StatementError(_("The file is empty."))
    kind = statement_format(data, filename=filename)
    if kind == "camt":
        rows = camt_read(head)
    elif kind == "mt940":
        rows = mt940_read(text_decode(data))
    else:
        rows = csv_read(data, csv_mapping)
    return credits_keyed(rows)
