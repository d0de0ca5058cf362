"""One guard for every cell the app writes into a CSV or XLSX file, and the CSV a spreadsheet opens.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return, which some
programs skip before looking) as a formula: ``=HYPERLINK(...)`` in an owner's nickname would
become a live link next to every VIN and email of an export (OWASP, "CSV Injection"). Such a
cell is written with a leading apostrophe, so it reads as the text it is.
"""

from __future__ import annotations

from django.utils import translation
from import_export.formats.base_formats import CSV

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """``text`` as a cell that a spreadsheet shows as text, never runs."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class FormulaSafeExport:
    """For a django-import-export resource: every text cell it exports goes through ``formula_safe``.

    Not ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT``: in django-import-export 4.4 it only drops a leading
    "=" (so "+", "-", "@" and "==" still run) and turns every cell, empty ones included, into text ("None").
    """

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        return formula_safe(value) if isinstance(value, str) else value


# CSV for spreadsheets ---------------------------------------------------------------------------------

#: Excel reads a CSV file as UTF-8 only when it starts with this mark; without it "Kürbis" opens as "KÃ¼rbis".
BOM = "\ufeff"

#: ``?sep=`` of a CSV download: the reader's choice over the default of their language.
SEPARATORS = {"comma": ",", "semicolon": ";"}


def csv_separator(choice: str | None = None) -> str:
    """The field separator of a CSV file the app writes: ``choice`` if it names one of ``SEPARATORS``,
    else ``;`` for a German reader and ``,`` for everyone else.

    A spreadsheet opened by double-click splits on the list separator of the reader's regional settings,
    and where the decimal mark is a comma (German) that is ``;``: a comma-separated file there opens as one
    column. Anything else in ``choice`` (a typo, a hostile value) is the language's default, never an error.
    """
    if choice in SEPARATORS:
        return SEPARATORS[choice]
    return ";" if (translation.get_language() or "").split("-")[0] == "de" else ","


def csv_separator_read(text: str) -> str:
    """The separator of an uploaded CSV file: ``;`` when its first line (the column names, which hold
    neither character) has more of them than commas, else ``,``. The file is the registrar's own or a
    spreadsheet's save, so both must read back."""
    first_line = text.split("\n", 1)[0]
    return ";" if first_line.count(";") > first_line.count(",") else ","


class SpreadsheetCSV(CSV):
    """django-import-export's CSV format as a spreadsheet opens it: written with the BOM and the
    separator of the reader's language (``csv_separator``); read with or without a BOM, separated by
    commas or semicolons."""

    def export_data(self, dataset, **kwargs):
        kwargs.setdefault("delimiter", csv_separator())
        return BOM + super().export_data(dataset, **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        text = in_stream.decode(self.encoding or "utf-8-sig") if isinstance(in_stream, bytes) else in_stream
        text = text.removeprefix(BOM)
        kwargs.setdefault("delimiter", csv_separator_read(text))
        return super().create_dataset(text, **kwargs)
