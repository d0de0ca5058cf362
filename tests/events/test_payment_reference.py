"""Payment references survive what banks do to them, and a typo is caught by the check character."""

from __future__ import annotations

import itertools

import pytest

from events.payment_reference import ALPHABET, check_character, payment_reference_find, payment_reference_new

REFERENCE = "1M-K7QXA-" + check_character("K7QXA")


def test_a_new_reference_is_short_uppercase_without_ambiguous_characters_and_checks():
    references = {payment_reference_new() for _ in range(500)}

    # Random draws: two of 500 are the same about once in a hundred runs (a sign-up then draws again, the database
    # refusing the clash); six or more, practically never.
    assert len(references) > 495
    for reference in references:
        prefix, payload, check = reference.split("-")
        assert (prefix, len(payload), len(check)) == ("1M", 5, 1)
        assert set(payload + check) <= set(ALPHABET)
        assert not set(payload + check) & set("0O1I2Z5S8B")
        assert check_character(payload) == check


@pytest.mark.parametrize(
    "remittance",
    [
        REFERENCE,
        REFERENCE.lower(),
        REFERENCE.replace("-", " ").lower(),
        REFERENCE.replace("-", ""),
        f"Anmeldung {REFERENCE[:5]}\n{REFERENCE[5:]} danke",
        f"000{REFERENCE}",
        f"ENTRY{REFERENCE.replace('-', '')}THANKS",
        f"1 m - {' '.join(REFERENCE[3:])}",
    ],
)
def test_find_reads_a_reference_however_the_bank_wrote_it(remittance):
    assert payment_reference_find(remittance) == [REFERENCE]


def test_find_rejects_every_single_wrong_character_and_every_swap_of_neighbours():
    payload_and_check = REFERENCE.replace("-", "")[2:]
    typos = set()
    for position, char in itertools.product(range(len(payload_and_check)), ALPHABET):
        typos.add(payload_and_check[:position] + char + payload_and_check[position + 1 :])
    for position in range(len(payload_and_check) - 1):
        chars = list(payload_and_check)
        chars[position], chars[position + 1] = chars[position + 1], chars[position]
        typos.add("".join(chars))
    typos.discard(payload_and_check)

    assert [typo for typo in typos if payment_reference_find("1M" + typo)] == []


def test_find_returns_each_reference_once_in_order():
    other = "1M-CDEFG-" + check_character("CDEFG")

    assert payment_reference_find(f"{other} and {REFERENCE} and {other.lower()}") == [other, REFERENCE]


def test_find_in_text_without_a_reference_is_empty():
    assert payment_reference_find("Miete Oktober 1M") == []
