"""No open redirects: a ``next`` pointing off-site is ignored by every view that honours ``next``."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

EVIL = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example"]


@pytest.mark.parametrize("target", EVIL)
def test_login_next_off_site_goes_to_the_garage(owner, target):
    client = Client()

    response = client.post(
        f"{reverse('account_login')}?next={target}", {"login": owner.email, "password": "correct-horse-battery"}
    )

    assert (response.status_code, response["Location"]) == (302, reverse("register:garage"))


@pytest.mark.parametrize("target", EVIL)
def test_set_language_next_off_site_stays_on_site(client, db, target):
    response = client.post(reverse("set_language"), {"language": "de", "next": target})

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", EVIL)
def test_logout_next_off_site_goes_home(owner_client, target):
    response = owner_client.post(reverse("account_logout"), {"next": target})

    assert (response.status_code, response["Location"]) == (302, reverse("home"))


@pytest.mark.parametrize("target", EVIL)
def test_admin_login_next_off_site_stays_on_site(db, target):
    from tests.factories import UserFactory

    UserFactory(email="boss@example.org", is_staff=True, is_superuser=True)
    client = Client()

    response = client.post(
        reverse("admin:login"), {"username": "boss@example.org", "password": "correct-horse-battery", "next": target}
    )

    # Django's LoginView falls back to LOGIN_REDIRECT_URL (the garage), not to the admin index: on-site either way.
    assert (response.status_code, response["Location"]) == (302, reverse("register:garage"))
