"""The marshal sheet: a printable PDF of one session's convoy order, for the marshals at the gate.

Rendered from an HTML template by WeasyPrint (https://doc.courtbouillon.org/weasyprint/), which lays
text out with the system's Pango. A4, the pace car on top, then every confirmed car in slot order,
``ROWS_PER_PAGE`` rows a page so the sheet can be read on a clipboard.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from events.models import Entry, Session

ROWS_PER_PAGE = 28


@dataclass
class SheetRow:
    slot: int | None
    colour_hex: str
    colour: str
    register_number: int | None
    nickname: str
    first_name: str


def first_name(entry: Entry) -> str:
    """The driver's first name, only when they agreed to show their name (privacy: the sheet is paper on
    a public car park)."""
    if entry.driver is None or not entry.driver.public_name:
        return ""
    return entry.driver.first_name or entry.driver.public_name.split()[0]


def sheet_rows(session: Session) -> list[SheetRow]:
    entries = Entry.objects.filter(session=session).for_roster()
    return [
        SheetRow(
            slot=entry.slot,
            colour_hex=entry.car.colour.hex,
            colour=entry.car.colour_label,
            register_number=entry.car.register_number,
            nickname=entry.car.nickname,
            first_name=first_name(entry),
        )
        for entry in entries
    ]


def marshal_sheet_pdf(session: Session) -> bytes:
    from PIL import ImageFile
    from weasyprint import HTML  # imported here: loading Pango costs a second, only this view needs it

    # Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process; photo uploads in
    # this worker rely on Pillow refusing a truncated file (register/photos.py). The sheet has no photos.
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    rows = sheet_rows(session)
    pages = [rows[i : i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    html = render_to_string(
        "events/marshal_sheet.html",
        {"session": session, "event": session.event, "pages": pages, "total": len(rows), "printed": timezone.now()},
    )
    return HTML(string=html).write_pdf()
