"""The checkers the journeys rely on find what they are for: a journey that passes them has been checked."""

from __future__ import annotations

import pytest

from tests.e2e.checks import nu_errors

pytestmark = pytest.mark.browser

PAGE = "<!doctype html><html lang=en><title>A page</title>{body}</html>"


def test_the_nu_checker_reports_errors_by_document_and_leaves_warnings_out():
    errors = nu_errors(
        {
            "broken": PAGE.format(body="<p><div>Unclosed</p>"),
            # A section without a heading is a warning, not an error.
            "valid": PAGE.format(body="<section><p>Fine</p></section>"),
        }
    )

    assert errors, "the Nu checker reported nothing for a broken document"
    assert all(error.startswith("broken:1: ") for error in errors), errors
    assert any("Unclosed element “div”" in error for error in errors), errors
