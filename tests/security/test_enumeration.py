"""Sign-up, login and password reset answer the same whether an address is registered or not; an address
added to an account but not verified neither logs in nor keeps its real owner from signing up."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from register.models import User

PASSWORD = "Nordschleife-20832"
KNOWN, UNKNOWN = "owner@example.org", "nobody@example.org"


def link_in(body: str) -> str:
    return re.search(re.escape(settings.SITE_URL) + r"(/\S+)", body).group(1)


def answer(response) -> tuple[int, str | None, str]:
    """What a visitor learns: status, where it leads and the page it leads to, with the address blanked."""
    follow = Client().get(response["Location"]) if response.status_code == 302 else response
    page = follow.content.decode()
    for address in (KNOWN, UNKNOWN):
        page = page.replace(address, "ADDRESS")
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return response.status_code, response.get("Location"), page


def signup(email: str):
    return Client().post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})


@pytest.mark.django_db
def test_signup_answers_the_same_for_a_registered_address(owner, deliver_mail):
    known = signup(KNOWN)
    unknown = signup(UNKNOWN)

    assert answer(known) == answer(unknown)
    assert answer(known)[:2] == (302, "/accounts/confirm-email/")
    assert "A user is already registered" not in answer(known)[2]
    assert list(User.objects.filter(email__in=[KNOWN, UNKNOWN]).order_by("pk")) == [
        owner,
        User.objects.get(email=UNKNOWN),
    ]
    # The owner of the registered address is told by mail, the new one gets the confirmation link.
    sent = {m.to[0]: m.body for m in deliver_mail()}
    assert "already" in sent[KNOWN].lower()
    assert "/accounts/confirm-email/" in sent[UNKNOWN]


@pytest.mark.django_db
def test_login_with_a_wrong_password_answers_the_same_for_a_registered_address(owner):
    known = Client().post("/accounts/login/", {"login": KNOWN, "password": "wrong-password"})
    unknown = Client().post("/accounts/login/", {"login": UNKNOWN, "password": "wrong-password"})

    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors
    assert known.context["form"].non_field_errors() == [
        "The email address and/or password you specified are not correct."
    ]


@pytest.mark.django_db
def test_password_reset_answers_the_same_for_a_registered_address(owner, deliver_mail):
    known = Client().post("/accounts/password/reset/", {"email": KNOWN})
    unknown = Client().post("/accounts/password/reset/", {"email": UNKNOWN})

    assert answer(known) == answer(unknown)
    assert answer(known)[:2] == (302, "/accounts/password/reset/done/")
    sent = {m.to[0]: m.body for m in deliver_mail()}
    assert "/accounts/password/reset/key/" in sent[KNOWN]
    assert "/accounts/password/reset/key/" not in sent[UNKNOWN]


@pytest.fixture
def squatter(db):
    """Someone who added another person's address to their own account, without verifying it."""
    user = User.objects.create_user("squatter@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    client.post("/accounts/email/", {"email": UNKNOWN, "action_add": ""})
    assert EmailAddress.objects.filter(user=user, email=UNKNOWN, verified=False).exists()
    return user


def test_an_unverified_added_address_is_no_login(squatter):
    client = Client()

    response = client.post("/accounts/login/", {"login": UNKNOWN, "password": PASSWORD})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The email address and/or password you specified are not correct."
    ]
    assert "_auth_user_id" not in client.session


def test_an_unverified_added_address_does_not_keep_its_owner_from_signing_up(squatter, deliver_mail):
    squatters_link = link_in(deliver_mail()[-1].body)
    client = Client()

    signed_up = client.post("/accounts/signup/", {"email": UNKNOWN, "password1": PASSWORD, "password2": PASSWORD})
    # allauth sends one confirmation per address every 3 minutes; the squatter's add used it up.
    cache.clear()
    client.post("/accounts/login/", {"login": UNKNOWN, "password": PASSWORD})
    confirmed = client.post(link_in(deliver_mail()[-1].body))

    owner = User.objects.get(email=UNKNOWN)
    assert signed_up["Location"] == "/accounts/confirm-email/"
    assert confirmed.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)
    assert list(EmailAddress.objects.filter(email=UNKNOWN).values_list("user", "verified")) == [(owner.pk, True)]
    # The link the squatter had sent no longer confirms anything.
    assert Client().post(squatters_link).status_code == 404
    again = Client()
    again.post("/accounts/login/", {"login": UNKNOWN, "password": PASSWORD})
    assert again.session["_auth_user_id"] == str(owner.pk)
