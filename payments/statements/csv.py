"""CSV exports of German banks' online banking, read with a column mapping (saved per bank by the treasurer, or
one of the built-in ones below)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from payments.statements.credit import Credit, StatementError, credit_new, text_decode


@dataclass(frozen=True)
class CsvMapping:
    """Which column holds what, and how numbers and dates are written.

    Amounts are signed (a minus is a debit) unless ``credit_debit_column`` names a column that marks each row
    (German banks write "S" for Soll, debit, and "H" for Haben, credit); a row whose mark is in ``debit_marks``
    is a debit. Rows whose ``pending_column`` says one of ``pending_marks`` are not booked yet and are skipped:
    the booked row comes in a later export. Lines before the header row (an export's title, the account,
    the period) are skipped; so are rows with an empty date (a closing balance line).
    """

    date_column: str
    amount_column: str
    remittance_column: str
    payer_name_column: str
    payer_iban_column: str = ""
    bank_reference_column: str = ""
    credit_debit_column: str = ""
    debit_marks: tuple[str, ...] = ("S", "D", "DBIT", "SOLL", "DEBIT")
    currency_column: str = ""
    currency: str = "EUR"
    pending_column: str = ""
    pending_marks: tuple[str, ...] = ()
    delimiter: str = ";"
    decimal_separator: str = ","
    date_format: str = "%d.%m.%Y"
    encoding: str = "cp1252"
    name: str = ""


# Sparkasse, export "CSV-CAMT V2" (Windows-1252, every field quoted, dates as dd.mm.yy).
SPARKASSE_CAMT_V2 = CsvMapping(
    name="Sparkasse CSV-CAMT V2",
    date_column="Buchungstag",
    amount_column="Betrag",
    remittance_column="Verwendungszweck",
    payer_name_column="Beguenstigter/Zahlungspflichtiger",
    payer_iban_column="Kontonummer/IBAN",
    currency_column="Waehrung",
    pending_column="Info",
    pending_marks=("Umsatz vorgemerkt",),
    date_format="%d.%m.%y",
)
# Volksbanken Raiffeisenbanken (online banking by Atruvia), "Umsätze als CSV exportieren" (dates as dd.mm.yyyy).
VOLKSBANK = CsvMapping(
    name="Volksbank Raiffeisenbank",
    date_column="Buchungstag",
    amount_column="Betrag",
    remittance_column="Verwendungszweck",
    payer_name_column="Name Zahlungsbeteiligter",
    payer_iban_column="IBAN Zahlungsbeteiligter",
    currency_column="Waehrung",
    date_format="%d.%m.%Y",
)
BUILT_IN = (SPARKASSE_CAMT_V2, VOLKSBANK)

_BLANKS = re.compile(r"\s+")


def csv_read(data: bytes, mapping: CsvMapping | None = None) -> list[tuple[Credit, str]]:
    """The credits of a CSV export; without a mapping, the built-in one whose columns the file has."""
    candidates = [mapping] if mapping else BUILT_IN
    for candidate in candidates:
        rows = _rows(text_decode(data, candidate.encoding), candidate)
        header = _header_find(rows, candidate)
        if header is not None:
            return _credits(rows, header, candidate)
    if mapping:
        raise StatementError(
            _("The CSV file has no header row with the columns “%(date)s” and “%(amount)s” of this mapping.")
            % {"date": mapping.date_column, "amount": mapping.amount_column}
        )
    raise StatementError(
        _("The file is neither a CAMT.053 nor an MT940 statement, nor a CSV export whose columns are known.")
    )


def _rows(text: str, mapping: CsvMapping) -> list[list[str]]:
    try:
        return list(csv.reader(text.splitlines(), delimiter=mapping.delimiter))
    except csv.Error as error:
        raise StatementError(_("The CSV file is damaged: %(problem)s") % {"problem": error}) from error


def _name(cell: str) -> str:
    return _BLANKS.sub(" ", cell.strip().strip("\ufeff")).casefold()


def _header_find(rows, mapping) -> tuple[int, dict[str, int]] | None:
    """The header row (its index) and each column's position; None when no row has the mapping's columns."""
    wanted = [
        column
        for column in (
            mapping.date_column,
            mapping.amount_column,
            mapping.remittance_column,
            mapping.payer_name_column,
            mapping.payer_iban_column,
            mapping.bank_reference_column,
            mapping.credit_debit_column,
            mapping.currency_column,
            mapping.pending_column,
        )
        if column
    ]
    for index, row in enumerate(rows[:50]):
        positions: dict[str, int] = {}
        for position, cell in enumerate(row):
            positions.setdefault(_name(cell), position)  # a repeated name (ING's two "Währung") means the first
        if all(_name(column) in positions for column in wanted):
            return index, {column: positions[_name(column)] for column in wanted}
    return None


def _credits(rows, header, mapping) -> list[tuple[Credit, str]]:
    start, columns = header
    debit_marks = {mark.casefold() for mark in mapping.debit_marks}
    pending_marks = {mark.casefold() for mark in mapping.pending_marks}
    credits = []
    for line, row in enumerate(rows[start + 1 :], start=start + 2):

        def cell(column, row=row):
            position = columns.get(column) if column else None
            return row[position].strip() if position is not None and position < len(row) else ""

        if not cell(mapping.date_column):
            continue
        if mapping.pending_column and cell(mapping.pending_column).casefold() in pending_marks:
            continue
        amount = _amount(cell(mapping.amount_column), mapping, line)
        if mapping.credit_debit_column and cell(mapping.credit_debit_column).casefold() in debit_marks:
            amount = -abs(amount)
        if amount <= 0:
            continue
        credit = credit_new(
            bank_reference=cell(mapping.bank_reference_column),
            booked_on=_date(cell(mapping.date_column), mapping, line),
            amount=amount,
            currency=cell(mapping.currency_column) or mapping.currency,
            remittance=cell(mapping.remittance_column),
            payer_name=cell(mapping.payer_name_column),
            payer_iban=cell(mapping.payer_iban_column),
        )
        credits.append((credit, ""))
    return credits


def _amount(text: str, mapping: CsvMapping, line: int) -> Decimal:
    """ "1.234,56", "-12,50", "+25,00 €" (comma decimals) or "1,234.56" (point decimals). Strict, so that a file
    read with the wrong mapping ("25.00" under comma decimals) stops instead of counting 2500."""
    point = re.escape(mapping.decimal_separator)
    thousands = re.escape("." if mapping.decimal_separator == "," else ",")
    pattern = rf"([+-]?)(\d{{1,3}}(?:{thousands}\d{{3}})+|\d+)(?:{point}(\d+))?"
    match = re.fullmatch(pattern, "".join(text.replace("€", "").replace("EUR", "").split()))
    if not match:
        raise StatementError(
            _("Line %(line)s of the CSV file has an amount that cannot be read: “%(value)s”.")
            % {"line": line, "value": text}
        )
    sign, whole, fraction = match.groups()
    return Decimal(f"{sign}{re.sub(r'[^0-9]', '', whole)}.{fraction or '0'}")


def _date(text: str, mapping: CsvMapping, line: int) -> date:
    try:
        return datetime.strptime(text, mapping.date_format).date()
    except ValueError as error:
        raise StatementError(
            _("Line %(line)s of the CSV file has a date that is not written as %(format)s: “%(value)s”.")
            % {"line": line, "format": mapping.date_format, "value": text}
        ) from error
