"""A drawn signature as the browser sends it, checked and cleaned; and the PDF of a signed declaration.

The browser sends the drawing as a ``data:image/png;base64,…`` URL (``static/js/declaration.js``, signature_pad's
``toDataURL``). Nothing of it is trusted: the text must be exactly such a URL of at most ``MAX_DATA_URL``
characters, the bytes must be a PNG Pillow reads, of sensible size, with some ink on it; what is stored is a PNG
Pillow writes anew from the pixels (no text chunks, no metadata of the sender's).

The PDF (WeasyPrint, https://doc.courtbouillon.org/weasyprint/, as ``events/marshal.py``) holds what was signed:
the version's text in the language it was read in, the event and session, the role, the full name, the drawing
(or the words "signed by typing the name"), the time and the version number. Its SHA-256 goes into the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageChops, UnidentifiedImageError

MAX_DATA_URL = 400_000  # characters: about 300 KB of PNG; a signature of a 375 px wide phone is well below
MAX_SIDE = 4000
MIN_INK = 40  # pixels that are not blank: fewer is a tap, not a signature
_DATA_URL = re.compile(r"data:image/png;base64,([A-Za-z0-9+/]+={0,2})")


class SignatureImageError(ValueError):
    """The drawing cannot be used; the message is for the person signing."""


def signature_png(data_url: str) -> bytes:
    """The PNG to keep from a drawing's data URL, or SignatureImageError."""
    if len(data_url) > MAX_DATA_URL:
        raise SignatureImageError(_("The drawing is too large. Clear it and sign again, or sign by typing your name."))
    match = _DATA_URL.fullmatch(data_url.strip())
    if not match:
        raise SignatureImageError(_("The drawing could not be read. Clear it and sign again."))
    try:
        raw = base64.b64decode(match.group(1), validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or max(image.size) > MAX_SIDE or min(image.size) < 20:
                raise SignatureImageError(_("The drawing could not be read. Clear it and sign again."))
            image.load()
            pixels = image.convert("RGBA")
    except (binascii.Error, UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise SignatureImageError(_("The drawing could not be read. Clear it and sign again.")) from error
    if _ink(pixels) < MIN_INK:
        raise SignatureImageError(_("Please draw your signature, or choose to sign by typing your name."))
    # Drawn on a transparent canvas: on white, so that it prints and shows the same everywhere.
    flat = Image.new("RGB", pixels.size, (255, 255, 255))
    flat.paste(pixels, mask=pixels.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _ink(image: Image.Image) -> int:
    """Pixels with ink: opaque enough and darker than paper."""
    alpha = image.getchannel("A").point(lambda a: 255 if a > 64 else 0)
    dark = image.convert("L").point(lambda v: 255 if v < 200 else 0)
    return ImageChops.multiply(alpha, dark).histogram()[255]


def declaration_pdf(*, signature, text: str, image: bytes | None) -> bytes:
    """The PDF of ``signature`` (not yet saved; its entry, version, name, method, time and language set)."""
    from PIL import ImageFile
    from weasyprint import HTML  # imported here: loading Pango costs a second, only signing needs it

    # Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process (see events/marshal.py).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    entry = signature.entry
    with translation.override(signature.language):
        html = render_to_string(
            "events/declaration_pdf.html",
            {
                "signature": signature,
                "entry": entry,
                "session": entry.session,
                "event": entry.session.event,
                "text": text,
                "image": base64.b64encode(image).decode() if image else "",
                "signed_at": timezone.localtime(signature.signed_at),
                "LANGUAGE_CODE": signature.language,
            },
        )
    return HTML(string=html).write_pdf()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
