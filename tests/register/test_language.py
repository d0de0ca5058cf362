"""Each person's language: the browser's, then the cookie's, and a logged-in person's saved one."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import icalendar
import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.shortcuts import render
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.views import defaults

from common.i18n import user_language
from events.services import entry_cancel, entry_create
from register.models import User
from register.services import claim_create, claim_reject
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


def test_anonymous_visitor_gets_the_browsers_language_first(client):
    assert html_lang(client.get(reverse("register:stats"), headers={"accept-language": "de-DE,de;q=0.9"})) == "de"
    assert html_lang(client.get(reverse("register:stats"), headers={"accept-language": "en-GB"})) == "en"


def test_anonymous_visitors_choice_wins_over_the_browser(client):
    client.post(reverse("language"), {"language": "en", "next": "/"})

    response = client.get(reverse("register:stats"), headers={"accept-language": "de"})

    assert html_lang(response) == "en"


def test_signup_saves_the_language_the_visitor_reads_in(client):
    client.post(
        reverse("account_signup"),
        {"email": "neu@example.org", "password1": "a-Long-passw0rd!", "password2": "a-Long-passw0rd!"},
        headers={"accept-language": "de"},
    )

    assert User.objects.get(email="neu@example.org").language == "de"


def test_logged_in_persons_saved_language_wins_over_cookie_and_browser(client):
    user = UserFactory(language="de")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("register:garage"), headers={"accept-language": "en"})

    assert html_lang(response) == "de"
    assert response["Content-Language"] == "de"


def test_logging_in_greets_in_the_saved_language_not_the_login_pages(client):
    UserFactory(email="greta@example.org", display_name="Greta", language="de")

    response = client.post(
        reverse("account_login"),
        {"login": "greta@example.org", "password": "correct-horse-battery"},
        headers={"accept-language": "en"},
        follow=True,
    )

    html = response.content.decode()
    assert html_lang(response) == "de"
    assert "Du bist als Greta eingeloggt." in html
    assert "Successfully signed in" not in html


def test_language_page_saves_a_logged_in_persons_choice_on_the_account():
    user = UserFactory(language="en")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    html = client.get(reverse("language"), {"next": "/register/stats/"}).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    response = client.post(
        reverse("language"), {"language": "de", "next": "/register/stats/", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert response["Location"] == "/register/stats/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    user.refresh_from_db()
    assert user.language == "de"


def test_language_page_ignores_a_language_that_is_not_offered(client):
    user = UserFactory(language="de")
    client.force_login(user)

    client.post(reverse("language"), {"language": "xx", "next": "/"})

    user.refresh_from_db()
    assert user.language == "de"


def test_profile_saves_the_language_and_the_page_follows_it(client):
    user = UserFactory(language="en")
    client.force_login(user)

    response = client.post(
        reverse("register:profile"),
        {"display_name": "Olga", "country": "DE", "language": "de"},
        follow=True,
    )

    user.refresh_from_db()
    assert user.language == "de"
    assert html_lang(response) == "de"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


def test_profile_refuses_a_language_that_is_not_offered(client):
    user = UserFactory(language="en")
    client.force_login(user)

    response = client.post(reverse("register:profile"), {"display_name": "Olga", "country": "DE", "language": "xx"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.language == "en"


@pytest.mark.parametrize(("saved", "expected"), [("de", "de"), ("en", "en"), ("xx", "en"), ("", "en")])
def test_user_language_is_the_saved_one_or_the_default(saved, expected):
    assert user_language(User(language=saved)) == expected


def test_user_language_of_nobody_is_the_default():
    assert user_language(None) == settings.LANGUAGE_CODE


# --- Emails: each in its recipient's language, whoever's request sends it ------------------------------------

SATURDAY = datetime.datetime(2031, 9, 20, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))


def convoy(capacity: int = 5):
    return SessionFactory(
        name="Nordschleife convoy",
        capacity=capacity,
        starts_at=SATURDAY,
        ends_at=SATURDAY + datetime.timedelta(hours=1),
    )


def test_confirmation_is_in_the_drivers_language_with_the_date_in_its_format(deliver_mail):
    driver = UserFactory(language="de")

    with translation.override("en"):  # an English page sends it
        entry_create(session=convoy(), car=VerifiedCarFactory(owner=driver), driver=driver)

    [mail] = deliver_mail()
    assert mail.subject == "[1er M Register] Bestätigt: Nordschleife convoy, Startplatz 1"
    assert "Wann: Samstag, 20. September 2031, 09:00 (Europe/Berlin)" in mail.body
    assert "Wann: Samstag, 20. September 2031, 09:00 (Europe/Berlin)" in mail.alternatives[0][0]


def test_promotion_in_someone_elses_request_mails_each_in_their_own_language(deliver_mail, mailoutbox):
    session = convoy(capacity=1)
    english, german = UserFactory(language="en"), UserFactory(language="de")
    leaving = entry_create(session=session, car=VerifiedCarFactory(owner=english), driver=english)
    entry_create(session=session, car=VerifiedCarFactory(owner=german), driver=german)
    deliver_mail()
    mailoutbox.clear()

    with translation.override("en"):  # the English driver cancels from an English page
        entry_cancel(entry=leaving, by=english)

    subjects = {mail.to[0]: mail.subject for mail in deliver_mail()}
    assert subjects == {
        english.email: "[1M Register] Entry cancelled: Nordschleife convoy",
        german.email: "[1er M Register] Du hast einen Platz: Nordschleife convoy",
    }


def test_claim_decision_by_an_english_registrar_reaches_a_german_claimant_in_german(deliver_mail, mailoutbox):
    claimant = UserFactory(language="de")
    claim = claim_create(car=VerifiedCarFactory(), claimant=claimant)
    deliver_mail()
    mailoutbox.clear()

    with translation.override("en"):
        claim_reject(claim=claim)

    [mail] = deliver_mail()
    assert mail.subject == f"[1er M Register] Dein Anspruch auf {claim.car.vin_masked} wurde nicht genehmigt"


def test_password_reset_asked_from_an_english_browser_is_in_the_accounts_language(client, deliver_mail):
    UserFactory(email="greta@example.org", language="de")

    client.post(reverse("account_reset_password"), {"email": "greta@example.org"}, headers={"accept-language": "en"})

    [mail] = deliver_mail()
    assert mail.subject == "[1er M Register] E-Mail zum Zurücksetzen des Passworts"


# --- Error pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "heading"),
    [("de", "Seite nicht gefunden"), ("en", "Page not found")],
)
def test_not_found_page_is_in_the_visitors_language(client, language, heading):
    response = client.get("/no-such-page/", headers={"accept-language": language})

    assert response.status_code == 404
    assert f"<h1>{heading}</h1>" in response.content.decode()


@pytest.mark.parametrize(
    ("view", "status", "heading"),
    [
        (lambda request: defaults.bad_request(request, SuspiciousOperation()), 400, "Ungültige Anfrage"),
        (lambda request: defaults.permission_denied(request, PermissionDenied()), 403, "Nicht erlaubt"),
        (lambda request: render(request, "429.html", status=429), 429, "Zu viele Versuche"),
        (defaults.server_error, 500, "Serverfehler"),
    ],
)
def test_error_pages_are_in_german(rf, view, status, heading):
    request = rf.get("/")
    request.user = AnonymousUser()

    with translation.override("de"):
        response = view(request)

    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in response.content.decode()


# --- The roster and the calendar -------------------------------------------------------------------------------


@pytest.fixture
def published_roster():
    event = EventFactory(name="Ring 2031", slug="ring-2031", roster_published=True)
    session = convoy()
    session.event = event
    session.save()
    EntryFactory(session=session, car=VerifiedCarFactory(), slot=1)
    return event


@pytest.mark.django_db(transaction=True)  # the roster is cached only outside a writing transaction
def test_cached_roster_is_one_page_per_language(client, published_roster):
    url = reverse("events:roster", args=[published_roster.slug])

    german = client.get(url, headers={"accept-language": "de"})
    english = client.get(url, headers={"accept-language": "en"})
    german_again = client.get(url, headers={"accept-language": "de"})

    assert "<h1>Starterliste: Ring 2031</h1>" in german.content.decode()
    assert "Samstag, 20. September 2031, 09:00" in german.content.decode()
    assert "<h1>Roster: Ring 2031</h1>" in english.content.decode()
    assert "Saturday 20 September 2031, 09:00" in english.content.decode()
    assert german_again.content == german.content
    assert german["ETag"] != english["ETag"]


@pytest.mark.django_db(transaction=True)
def test_cached_roster_follows_a_logged_in_persons_saved_language(client, published_roster):
    client.force_login(UserFactory(language="de"))

    response = client.get(reverse("events:roster", args=[published_roster.slug]), headers={"accept-language": "en"})

    assert "<h1>Starterliste: Ring 2031</h1>" in response.content.decode()


def test_calendar_text_is_in_the_visitors_language(client, published_roster):
    url = reverse("events:calendar", args=[published_roster.slug])

    german = icalendar.Calendar.from_ical(client.get(url, headers={"accept-language": "de"}).content)

    [vevent] = german.walk("VEVENT")
    description = str(vevent["DESCRIPTION"])
    assert description.startswith(
        "Konvoi\nNordschleife\nWann: Samstag, 20. September 2031, 09:00 – 10:00 (Europe/Berlin)"
    )


def test_market_filter_lists_countries_in_the_languages_alphabetical_order(client):
    for code in ("DE", "DK", "AT", "NL"):
        VerifiedCarFactory(market=code)

    html = client.get(reverse("register:list"), headers={"accept-language": "de"}).content.decode()

    names = re.findall(r'<option value="(?:DE|DK|AT|NL)"[^>]*>([^<]+)</option>', html)
    assert names == ["Dänemark", "Deutschland", "Niederlande", "Österreich"]
