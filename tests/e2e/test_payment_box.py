"""The payment box in Chromium, at 375 px and on a desktop, in English and German: axe-clean, nothing sticking
out sideways, the reference in large monospace type and the GiroCode large enough to scan from the screen.

The box is rendered from its template with the project's stylesheets and loaded with ``set_content``, so it
is checked before any page shows it (and no test-only URL exists)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from tests.e2e.checks import assert_accessible
from tests.e2e.helpers import assert_no_horizontal_overflow
from tests.zbar import zbarimg_read

pytestmark = [pytest.mark.browser]

STATIC = settings.BASE_DIR / "static"
STYLESHEETS = ["vendor/bootstrap/bootstrap.min.css", "css/site.css", "css/events.css"]
REFERENCE_PX = 24
GIROCODE_PX = 150


def _document(language: str) -> str:
    payment = SimpleNamespace(
        amount=Decimal("1250.00"),
        reference="1M-K7QX4-4",
        due=datetime.datetime(2031, 9, 6, 21, 59, tzinfo=datetime.UTC),
    )
    css = "\n".join((STATIC / path).read_text() for path in STYLESHEETS)
    with translation.override(language):
        box = Template("{% load payments %}{% payment_box payment %}").render(Context({"payment": payment}))
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Payment</title>'
        f'<style>{css}</style></head><body><main class="container py-3"><h1>Entry</h1>{box}</main></body></html>'
    )


@pytest.mark.parametrize("language", ["en", "de"])
def test_payment_box_is_accessible_and_readable(page, settings, tmp_path, language):
    settings.PAYMENT_ACCOUNT_HOLDER = "Motorsportclub Nürburgring 1er M e.V."
    settings.PAYMENT_IBAN = "DE89370400440532013000"
    settings.PAYMENT_BIC = "COBADEFFXXX"

    page.set_content(_document(language))

    assert_accessible(page)
    assert_no_horizontal_overflow(page)
    reference = page.locator(".payment-reference")
    assert reference.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= REFERENCE_PX
    assert "monospace" in reference.evaluate("e => getComputedStyle(e).fontFamily")
    code = page.get_by_role("img", name="GiroCode", exact=False)
    box = code.locator("svg").bounding_box()
    assert box["width"] >= GIROCODE_PX
    assert box["width"] == box["height"]
    # Scanned from the screen as drawn, quiet zone and all: a code cut off by the layout fails here.
    code.screenshot(path=str(tmp_path / "girocode.png"))
    payload = zbarimg_read(tmp_path / "girocode.png").split("\n")
    assert (payload[5], payload[7], payload[10]) == ("Motorsportclub Nürburgring 1er M e.V.", "EUR1250", "1M-K7QX4-4")
