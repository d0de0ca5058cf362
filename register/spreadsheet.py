"""One guard for every cell the app writes into a CSV or XLSX file.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return, which some
programs skip before looking) as a formula: ``=HYPERLINK(...)`` in an owner's nickname would
become a live link next to every VIN and email of an export (OWASP, "CSV Injection"). Such a
cell is written with a leading apostrophe, so it reads as the text it is.
"""

from __future__ import annotations

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
