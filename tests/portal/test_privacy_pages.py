"""The privacy page (EN and DE, from the map), and the staff's side: a person's data downloaded or erased for a
request by letter (actions on the accounts), the record of those requests and the retention runs."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest
from django.urls import reverse

from portal.models import DataRequest, RetentionRun
from portal.privacy.purposes import HGB_257_URL
from register.models import User
from tests.factories import UserFactory, organiser, registrar

pytestmark = pytest.mark.django_db


def test_the_privacy_page_lists_what_is_kept_why_and_how_long(client, settings):
    settings.MAIL_RECORDS_KEPT = settings.MAIL_RECORDS_KEPT.__class__(days=123)

    page = client.get("/privacy/").content.decode()

    assert "<h1" in page and "Privacy" in page
    assert "Legitimate interest (Art. 6(1)(f) GDPR)" in page
    assert "123 days after it was sent" in page
    assert f'href="{HGB_257_URL}"' in page
    assert "payer’s IBAN" in page or "payer&#x27;s IBAN" in page
    assert "registration document" in page


def test_the_privacy_page_in_german(client):
    client.cookies["django_language"] = "de"

    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Datenschutz" in page and "Rechtsgrundlage" in page
    assert "Berechtigtes Interesse (Art. 6 Abs. 1 lit. f DSGVO)" in page
    assert "Jahre nach dem Ende des Jahres der Zahlung" in page


def test_every_page_links_the_privacy_page_in_its_footer(client):
    assert 'href="/privacy/"' in client.get("/").content.decode()


def actions_post(client, action: str, *people, follow: bool = False, **extra):
    return client.post(
        reverse("admin:register_user_changelist"),
        {"action": action, "_selected_action": [str(p.pk) for p in people], "index": "0", **extra},
        follow=follow,
    )


def test_a_registrar_downloads_a_persons_data_for_a_request_by_letter(client):
    staff, person = registrar(), UserFactory(display_name="Letter Writer")
    client.force_login(staff)

    response = actions_post(client, "export_personal_data", person)

    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(BytesIO(response.content))
    assert "Letter Writer" in archive.read("data.json").decode()
    request = DataRequest.objects.get()
    assert (request.kind, request.subject_id, request.by, request.by_staff) == ("export", person.pk, staff, True)


def test_the_download_is_for_one_person_at_a_time(client):
    client.force_login(registrar())

    response = actions_post(client, "export_personal_data", UserFactory(), UserFactory(), follow=True)

    assert "Choose one person." in response.content.decode()
    assert not DataRequest.objects.exists()


def test_organisers_have_neither_action(client):
    client.force_login(organiser())
    person = UserFactory()

    for action in ("export_personal_data", "erase_personal_data"):
        response = actions_post(client, action, person, confirmed="yes", checked="on")
        assert response["Content-Type"].startswith("text/html")

    assert User.objects.filter(pk=person.pk).exists()
    assert not DataRequest.objects.exists()


def test_a_registrar_erases_a_person_after_confirming(client, django_capture_on_commit_callbacks):
    staff, person = registrar(), UserFactory(email="erase-me@example.org")
    client.force_login(staff)

    asked = actions_post(client, "erase_personal_data", person)
    unchecked = actions_post(client, "erase_personal_data", person, confirmed="yes")
    with django_capture_on_commit_callbacks(execute=True):
        done = actions_post(client, "erase_personal_data", person, confirmed="yes", checked="on", follow=True)

    assert "erase-me@example.org" in asked.content.decode()
    assert unchecked.status_code == 200
    assert "1 person erased." in done.content.decode()
    assert not User.objects.filter(pk=person.pk).exists()
    request = DataRequest.objects.get()
    assert (request.kind, request.subject_id, request.by, request.by_staff) == ("erasure", person.pk, staff, True)


def test_registrars_read_the_requests_and_the_retention_runs(client):
    staff = registrar()
    client.force_login(staff)
    DataRequest.objects.create(kind="export", subject_id=4711, by=staff, by_staff=True)
    run = RetentionRun.objects.create(
        started="2031-03-01T03:17Z", finished="2031-03-01T03:17Z", counts={"sessions": 3}
    )

    requests = client.get(reverse("admin:portal_datarequest_changelist")).content.decode()
    runs = client.get(reverse("admin:portal_retentionrun_changelist")).content.decode()

    assert "4711" in requests
    assert "sessions" in runs and reverse("admin:portal_retentionrun_change", args=[run.pk]) in runs
