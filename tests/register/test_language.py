"""Each person's language: the browser's, then the cookie's, and a logged-in person's saved one."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from register.i18n import user_language
from register.models import User
from tests.factories import UserFactory

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
