"""IBANs as staff see them: enough to tell two payers apart, not enough to pay from or impersonate."""

from __future__ import annotations

MASK = "•"
SHORTEST_IBAN = 15  # Norway's


def iban_compact(iban: str) -> str:
    """``iban`` without spaces and in capitals, the way it is stored and compared."""
    return "".join(iban.split()).upper()


def iban_masked(iban: str | None) -> str:
    """``DE89 •••• •••• •••• •••• 00``: printed in groups of four, the country and check digits (the first group)
    and the last group (one to four characters: what the country's length leaves) shown, every other
    character a dot. Something too short to be an IBAN is all dots; no IBAN gives ""."""
    compact = iban_compact(iban or "")
    if not compact:
        return ""
    groups = [compact[i : i + 4] for i in range(0, len(compact), 4)]
    if len(compact) < SHORTEST_IBAN:
        return " ".join(MASK * len(group) for group in groups)
    middle = [MASK * len(group) for group in groups[1:-1]]
    return " ".join([groups[0], *middle, groups[-1]])
