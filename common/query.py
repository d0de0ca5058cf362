"""Numbers read from a URL's query string (``?entry=``, ``?session=``, ``?page=``, a search for ``#1234``).

Anyone can type any value there. ``int()`` takes "-1", " 7", "١٢" and "１２", and raises ValueError on a
number of more than 4,300 digits; PostgreSQL refuses one beyond bigint. So a value is a number here only when
it is what the site's own links carry: 1 to 19 ASCII digits, from 1 up to a maximum (bigint's by default).
Anything else is None, which the caller ignores or answers with a 404.
"""

from __future__ import annotations

import re

BIGINT_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def positive_int(value: str | None, *, maximum: int = BIGINT_MAX) -> int | None:
    """``value`` as a whole number from 1 to ``maximum`` written in ASCII digits, else None."""
    if value is None or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= maximum else None
