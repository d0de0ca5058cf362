"""A person downloads their data from the account page, at both widths and in German: the browser saves one
ZIP whose index is in their language; then the footer leads to the privacy page, which says why and how long."""

from __future__ import annotations

import json
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import assert_no_horizontal_overflow, ensure_reference_data, log_in
from tests.factories import UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_download_my_data_then_read_the_privacy_page_in_german(page, live_server, tmp_path):
    ensure_reference_data()
    person = UserFactory(email="daten@example.org", display_name="Dora Daten", language="de")
    car = VerifiedCarFactory(owner=person, nickname="Grüne Welle")
    log_in(page, live_server.url, email=person.email)

    page.goto(f"{live_server.url}/garage/profile/")
    button = page.get_by_role("button", name="Meine Daten herunterladen")
    expect(button).to_be_visible()
    assert_no_horizontal_overflow(page)
    with page.expect_download() as download:
        button.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)

    archive = zipfile.ZipFile(saved)
    data = json.loads(archive.read("data.json"))
    assert data["records"]["register.User"][0]["display_name"] == "Dora Daten"
    assert data["records"]["register.Car"][0]["vin"] == car.vin
    assert "Deine Daten im 1M Register" in archive.read("index.html").decode()

    page.get_by_role("contentinfo").get_by_role("link", name="Datenschutz").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Datenschutz")
    expect(page.get_by_text("Berechtigtes Interesse (Art. 6 Abs. 1 lit. f DSGVO)").first).to_be_visible()
    assert_no_horizontal_overflow(page)
