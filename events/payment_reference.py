"""Payment references: the code a driver types into their bank transfer, e.g. ``1M-K7QXA-4``.

Banks mangle what people type: they change the case, add or drop spaces and dashes, break lines, pad with
leading zeros or glue the reference to the words around it. So a reference is short, uppercase, drawn from an
alphabet without characters that are easily confused (no 0/O, 1/I, 2/Z, 5/S, 8/B), and ends with a check
character (Luhn mod N over that alphabet), which catches every single wrong character and every swap of two
neighbours. ``payment_reference_find`` reads the references out of a remittance text whatever the bank did to it.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
PREFIX = "1M"
LENGTH = 5  # 26**5 = 11.9 million codes; a clash with an existing entry is drawn again (unique constraint)

_FIND = re.compile(f"{PREFIX}([{ALPHABET}]{{{LENGTH}}})([{ALPHABET}])")
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Z]")


def check_character(payload: str) -> str:
    """Luhn mod N (N = the alphabet's size) of ``payload``."""
    n, total, factor = len(ALPHABET), 0, 2
    for char in reversed(payload):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 3 - factor
    return ALPHABET[-total % n]


def payment_reference_new() -> str:
    payload = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{PREFIX}-{payload}-{check_character(payload)}"


def payment_reference_find(text: str) -> list[str]:
    """Every valid reference in ``text``, written the canonical way, in the order found (each once).

    Case, spaces, dashes, line breaks and other punctuation are ignored, and so are leading zeros (the alphabet
    has no 0, so ``0001M…`` reads as ``1M…``); a candidate whose check character is wrong is not a reference.
    """
    squeezed = _NOT_ALPHANUMERIC.sub("", text.upper())
    found = []
    for start in range(len(squeezed)):
        match = _FIND.match(squeezed, start)
        if match and check_character(match[1]) == match[2]:
            reference = f"{PREFIX}-{match[1]}-{match[2]}"
            if reference not in found:
                found.append(reference)
    return found
