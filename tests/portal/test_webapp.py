"""The installable web app through Django's client: the service worker, the manifest, the CSP they need, the
pages that opt in to offline reading (X-Offline: keep) and those that never do."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from portal import webapp
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = pytest.mark.django_db


def _worker_config(response) -> dict:
    body = response.content.decode()
    match = re.search(r"^const CONFIG = (\{.*\});$", body, re.MULTILINE)
    assert match, "sw.js starts with its CONFIG"
    return json.loads(match.group(1))


def test_service_worker_is_javascript_at_the_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    config = _worker_config(response)
    assert config["header"] == "X-Offline"
    assert "/admin/" in config["never"] and "/accounts/" in config["never"]
    assert "/favicon.ico" in config["never"]  # the admin's icon, outside the worker as the admin is
    assert config["personal"] == [reverse("events:my_entries")]
    assert config["mediaPrefix"] == "/media/"  # a saved page's photos are saved with it
    assert "{{" not in response.content.decode()


def test_the_precache_list_names_the_pages_files_and_each_resolves(client):
    config = _worker_config(client.get("/sw.js"))
    urls = config["precache"]
    for name in (
        "css/site.css",
        "css/events.css",
        "js/offline.js",
        "js/roster.js",
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "img/icon-192.png",
    ):
        assert static(name) in urls
    assert not [url for url in urls if url.endswith(".map") or "admin" in url]
    for url in urls:
        assert finders.find(url.removeprefix("/static/")), url
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_the_version_follows_the_files_contents(tmp_path, settings):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("one")
    settings.STATICFILES_DIRS = [tmp_path]
    webapp.precache.cache_clear()
    try:
        first = webapp.precache()
        (tmp_path / "js" / "a.js").write_text("two")
        webapp.precache.cache_clear()
        second = webapp.precache()
    finally:
        webapp.precache.cache_clear()
    assert first[0] == second[0] == [static("js/a.js")]
    assert first[1] != second[1]


@pytest.mark.parametrize(("language", "name"), [("en", "1M Register"), ("de", "1er M Register")])
def test_manifest_is_translated_and_installable(client, language, name):
    response = client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == name
    assert data["lang"] == language
    assert (data["start_url"], data["scope"], data["display"]) == ("/", "/", "standalone")
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    assert len(data["short_name"]) <= 12  # what a home screen shows under the icon
    for icon in data["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200
        response.close()


def test_csp_lets_the_site_serve_its_worker_and_manifest(client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "manifest-src 'self'" in policy
    assert "worker-src 'self'" in policy
    assert "script-src 'self'" in policy  # still no inline script


def test_every_page_links_the_manifest_and_loads_offline_js_deferred(client):
    html = client.get("/").content.decode()
    assert f'<link rel="manifest" href="{reverse("manifest")}"' in html
    assert re.search(r'<script src="[^"]*js/offline\.js" defer data-worker="/sw\.js"', html)


def test_reading_pages_opt_in_and_private_or_admin_pages_do_not(client, django_user_model):
    event = EventFactory(slug="ring", roster_published=True)
    session = SessionFactory(event=event, slug="convoy")
    driver = UserFactory()
    car = VerifiedCarFactory(owner=driver)
    entry = EntryFactory(session=session, car=car, driver=driver, slot=1)
    for url in ("/", event.get_absolute_url(), reverse("events:roster", args=[event.slug])):
        assert client.get(url)["X-Offline"] == "keep", url
    client.force_login(driver)
    for url in (reverse("events:my_entries"), entry.get_ticket_url()):
        assert client.get(url)["X-Offline"] == "keep", url
    # Not: forms, the account, the admin, another person's ticket (a 404), an export.
    other = EntryFactory(session=session, slot=2)
    for url in (
        reverse("events:entry_cancel", args=[entry.pk]),
        reverse("register:profile"),
        other.get_ticket_url(),
        reverse("events:roster_json", args=[event.slug]),
        "/sw.js",
    ):
        assert "X-Offline" not in client.get(url), url
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert "X-Offline" not in client.get(reverse("admin:index"))


def test_my_entries_lists_every_ticket_to_save_cancelled_ones_too(client):
    driver = UserFactory()
    session = SessionFactory()
    kept = EntryFactory(session=session, car=VerifiedCarFactory(owner=driver), driver=driver, slot=1)
    gone = EntryFactory(
        session=session, car=VerifiedCarFactory(owner=driver), driver=driver, status="cancelled", slot=None
    )
    client.force_login(driver)
    html = client.get(reverse("events:my_entries")).content.decode()
    urls = re.search(r'data-offline-prefetch data-urls="([^"]*)"', html).group(1).split()
    assert sorted(urls) == sorted([kept.get_ticket_url(), gone.get_ticket_url()])


def test_keep_for_offline_lists_every_roster_page_of_an_event_not_over(client):
    event = EventFactory(slug="ring", roster_published=True)
    SessionFactory(event=event, slug="convoy")
    html = client.get(event.get_absolute_url()).content.decode()
    urls = re.search(r'data-offline-keep data-urls="([^"]*)"', html).group(1).split()
    assert urls == [event.get_absolute_url(), reverse("events:roster", args=[event.slug])]


def test_logging_out_tells_the_browser_to_clear_what_the_site_stored(client):
    client.force_login(UserFactory())
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "Clear-Site-Data" not in client.get(reverse("account_logout"))
