"""HTML compression: the public reading pages go out gzipped to a browser that accepts it; pages with a
form that carries a secret next to what a visitor types (log in, profile, garage) do not (SECURITY.md,
"Compression")."""

from __future__ import annotations

import gzip
import re

import pytest
from django.urls import reverse

from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    event = EventFactory(slug="ring-2031", roster_published=True)
    session = SessionFactory(event=event)
    car = VerifiedCarFactory(register_number=77)
    EntryFactory(session=session, car=car, slot=1)
    return event


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/register/",
        "/register/stats/",
        "/register/cars/77/",
        "/events/",
        "/events/ring-2031/",
        "/events/ring-2031/roster/",
        "/events/ring-2031/roster/?colour=1",
    ],
)
def test_public_reading_pages_are_gzipped(client, world, path):
    plain = client.get(path)
    packed = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert packed.status_code == plain.status_code == 200
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert len(packed.content) < len(plain.content)
    assert gzip.decompress(packed.content).decode().count("<main") == 1


@pytest.mark.parametrize("path", ["/accounts/login/", "/garage/", "/garage/profile/", "/events/my-entries/"])
def test_pages_with_forms_and_secrets_are_not_compressed(client, world, path):
    if path != "/accounts/login/":
        client.force_login(UserFactory())

    response = client.get(path, HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")


@pytest.mark.django_db(transaction=True)
def test_a_revalidating_browser_still_gets_304_through_compression(client, world):
    url = reverse("events:roster", args=["ring-2031"])
    first = client.get(url, HTTP_ACCEPT_ENCODING="gzip")

    again = client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Content-Encoding"] == "gzip"
    assert first["ETag"].startswith('W/"roster-')  # weakened by compression, still matched
    assert again.status_code == 304


@pytest.mark.django_db(transaction=True)
def test_a_cached_public_page_is_compressed_once_and_served_as_stored(client, world):
    url = reverse("events:roster", args=["ring-2031"])
    plain = client.get(url)

    first = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    second = client.get(url, HTTP_ACCEPT_ENCODING="gzip")

    # Compressed when the page was built, not per response: the same bytes each time (gzip_page's random
    # padding would differ), and they unpack to the page.
    assert first["Content-Encoding"] == second["Content-Encoding"] == "gzip"
    assert first.content == second.content
    assert gzip.decompress(first.content) == plain.content
    assert first["Content-Length"] == str(len(first.content))
    assert first["ETag"] == f"W/{plain['ETag']}"
    assert client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


@pytest.mark.django_db(transaction=True)
def test_a_logged_in_visitor_gets_a_compressed_page_with_a_token_of_their_own(client, world):
    url = reverse("events:roster", args=["ring-2031"])
    client.force_login(UserFactory())

    first = gzip.decompress(client.get(url, HTTP_ACCEPT_ENCODING="gzip").content).decode()
    second = gzip.decompress(client.get(url, HTTP_ACCEPT_ENCODING="gzip").content).decode()

    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1) for page in (first, second)]
    assert tokens[0] != tokens[1]
    assert "csrf-token-of-this-request" not in first
