"""Login brute force: django-axes locks an email (from one address) after 5 failures; staff can unlock it."""

from __future__ import annotations

from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"
LOCKED_MESSAGE = "This account is locked for an hour after 5 failed logins from your address."


def allauth_login(client: Client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def admin_login(client: Client, email: str, password: str):
    return client.post(reverse("admin:login"), {"username": email, "password": password, "next": "/admin/"})


def fail_five_times(client: Client, email: str, login=allauth_login):
    statuses = [login(client, email, "wrong-password").status_code for _ in range(5)]
    # Four times the form again with its error; the fifth failure already answers with the lockout page.
    assert statuses == [200, 200, 200, 200, 429]


@pytest.fixture
def staff(db):
    return UserFactory(email="boss@example.org", is_staff=True, is_superuser=True)


def test_login_five_failures_lock_even_the_right_password(owner):
    client = Client()
    fail_five_times(client, owner.email)

    response = allauth_login(client, owner.email, PASSWORD)

    assert response.status_code == 429
    assert LOCKED_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The attempt with the right password while locked counts as a failure too.
    assert [(a.username, a.failures_since_start) for a in AccessAttempt.objects.all()] == [(owner.email, 6)]


def test_login_four_failures_then_right_password_logs_in(owner):
    client = Client()
    for _ in range(4):
        allauth_login(client, owner.email, "wrong-password")

    response = allauth_login(client, owner.email, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)
    assert AccessAttempt.objects.count() == 0  # AXES_RESET_ON_SUCCESS


def test_login_lockout_counts_the_email_case_insensitively(owner):
    client = Client()
    fail_five_times(client, owner.email.upper())

    response = allauth_login(client, owner.email, PASSWORD)

    assert response.status_code == 429


def test_login_lockout_is_per_email_other_accounts_still_log_in(owner, other_owner):
    client = Client()
    fail_five_times(client, owner.email)

    response = allauth_login(client, other_owner.email, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other_owner.pk)


def test_login_lockout_page_uses_the_site_layout_and_offers_reset(owner):
    client = Client()
    fail_five_times(client, owner.email)

    response = allauth_login(client, owner.email, PASSWORD)

    content = response.content.decode()
    assert "<h1" in content and "Too many failed logins" in content
    assert reverse("account_reset_password") in content
    assert 'role="alert"' in content


def test_admin_login_is_throttled_too(staff):
    client = Client()
    fail_five_times(client, staff.email, login=admin_login)

    response = admin_login(client, staff.email, PASSWORD)

    assert response.status_code == 429
    assert LOCKED_MESSAGE in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302  # not logged in


def test_admin_and_site_login_share_one_counter(staff):
    client = Client()
    for _ in range(3):
        admin_login(client, staff.email, "wrong-password")
    for _ in range(2):
        allauth_login(client, staff.email, "wrong-password")

    response = allauth_login(client, staff.email, PASSWORD)

    assert response.status_code == 429


def test_unlock_by_superuser_in_the_admin_then_right_password_works(owner, staff):
    fail_five_times(Client(), owner.email)
    attempt = AccessAttempt.objects.get(username=owner.email)
    admin = Client()
    admin.force_login(staff)

    response = admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert AccessAttempt.objects.count() == 0
    client = Client()
    assert allauth_login(client, owner.email, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_unlock_by_a_registrar_in_the_admin(owner):
    # The lockout page says "a registrar can also unlock the account": view + delete on axes' AccessAttempt.
    fail_five_times(Client(), owner.email)
    attempt = AccessAttempt.objects.get(username=owner.email)
    helper = UserFactory(email="registrar@example.org", is_staff=True)
    helper.groups.add(Group.objects.get(name="Registrars"))
    admin = Client()
    admin.force_login(helper)

    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    response = admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert listing.status_code == 200
    assert response.status_code == 302
    assert AccessAttempt.objects.count() == 0


@pytest.mark.parametrize("url", ["accessattempt", "accesslog", "accessfailurelog"])
def test_organisers_see_no_login_records(owner, url):
    # Failed logins carry addresses and user agents: only the role that unlocks (registrars) sees attempts.
    fail_five_times(Client(), owner.email)
    organiser = UserFactory(email="organiser@example.org", is_staff=True)
    organiser.groups.add(Group.objects.get(name="Organisers"))
    admin = Client()
    admin.force_login(organiser)

    listing = admin.get(reverse(f"admin:axes_{url}_changelist"))
    index = admin.get(reverse("admin:index"))

    assert listing.status_code == 403
    assert "Access attempts" not in index.content.decode()
    assert "Axes" not in index.content.decode()
    assert AccessAttempt.objects.count() == 1


def test_unlock_by_management_command_then_right_password_works(owner):
    fail_five_times(Client(), owner.email)

    out = StringIO()
    call_command("axes_reset_username", owner.email, stdout=out)

    assert AccessAttempt.objects.count() == 0

    client = Client()
    assert allauth_login(client, owner.email, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_owner_cannot_open_the_access_attempts(owner_client):
    response = owner_client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
