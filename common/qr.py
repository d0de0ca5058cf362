"""QR codes as PNG, the way mail shows them (mail programs do not show inline SVG)."""

from __future__ import annotations

import io

import segno


def qr_png(text: str) -> bytes:
    """``text`` as a QR code PNG (error correction M, 6 pixels a module, the standard quiet zone of 4)."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()
