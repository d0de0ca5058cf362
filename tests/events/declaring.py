"""Declarations for the tests: one published for an event, a real drawing as the browser sends it."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw

from events.models import Declaration
from events.services import declaration_publish, declaration_sign

DRIVER_EN = "I drive at my own risk and follow the marshals' instructions."
DRIVER_DE = "Ich fahre auf eigene Gefahr und folge den Anweisungen der Streckenposten."
PASSENGER_EN = "I ride along at my own risk."
PASSENGER_DE = "Ich fahre auf eigene Gefahr mit."


def drawing_png(width: int = 600, height: int = 200, *, ink: bool = True) -> bytes:
    """A signature as signature_pad draws it: black strokes on a transparent canvas."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if ink:
        ImageDraw.Draw(image).line([(20, 150), (120, 40), (220, 160), (380, 50), (560, 120)], fill="black", width=5)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes | None = None) -> str:
    return "data:image/png;base64," + base64.b64encode(png if png is not None else drawing_png()).decode()


def published(event, *, by=None, suffix: str = ""):
    """The event's declaration with all four texts, published; returns the version."""
    declaration, _created = Declaration.objects.get_or_create(event=event)
    declaration.driver_text_en = DRIVER_EN + suffix
    declaration.driver_text_de = DRIVER_DE + suffix
    declaration.passenger_text_en = PASSENGER_EN + suffix
    declaration.passenger_text_de = PASSENGER_DE + suffix
    declaration.save()
    return declaration_publish(declaration=declaration, by=by)


def sign(entry, version, *, role="driver", by=None, name="Dana Driver", image=None, language="en"):
    return declaration_sign(
        entry=entry,
        role=role,
        version_id=version.pk,
        name=name,
        image=image,
        language=language,
        by=by or entry.driver,
    )
