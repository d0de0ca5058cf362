"""Tickets: an unguessable token in a QR code, and a short code to read out at the gate.

Both are random and stored on the entry (never derived from a database id), so a ticket cannot be
guessed from another one. Only a confirmed entry's ticket is valid: the check-in refuses the others.
"""

from __future__ import annotations

import secrets

import segno

from common import qr

# Crockford's base32 alphabet without 0/O, 1/I/L and U: nothing to mishear or misread at the gate.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8


def new_token() -> str:
    """256 bits from the operating system's generator (``secrets``), URL-safe."""
    return secrets.token_urlsafe(32)


def new_code() -> str:
    """Eight characters of a 30-letter alphabet (about 39 bits), shown as ``ABCD-EFGH``."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What an organiser types, as stored: upper case, no dashes or spaces."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def qr_svg(token: str) -> str:
    """The QR code as an inline ``<svg>`` element (no XML declaration), dark on white with a quiet zone."""
    return segno.make_qr(token, error="m").svg_inline(scale=6, border=4, dark="#000", light="#fff")


def qr_png(token: str) -> bytes:
    """The same QR code as PNG, as the email shows it (``outbox.mail.send``'s ``qr_codes`` draw it when the mail
    is sent)."""
    return qr.qr_png(token)
