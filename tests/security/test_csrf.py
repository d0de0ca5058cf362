"""CSRF on every POST URL, no GET that changes data, and logout that really ends the session."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from events.models import Entry
from register.models import Car, Colour
from tests.factories import make_vin
from tests.security import urlwalk
from tests.security.conftest import ROLES
from tests.security.dbstate import db_snapshot
from tests.security.expectations import ACCOUNTS, ADMIN_MODELS, ADMIN_OTHER, ADMIN_VIEWS, PROJECT, reverse_case
from tests.security.test_access_matrix import admin_object

# One snapshot of every table (row count and an md5 of its rows), shared with the POST matrix.
db_checksum = db_snapshot


# --- CSRF ------------------------------------------------------------------------------------------------


def _post_data(world) -> dict[str, tuple[str, dict, dict]]:
    """URL key → (role that may POST, kwargs, data that would change something if the POST got through)."""
    colour = Colour.objects.order_by("pk").first().pk
    return {
        "register:car_add": ("owner", {}, {"vin": make_vin(424242), "colour": colour, "market": "DE"}),
        "register:car_edit": ("owner", {"pk": world.car.pk}, {"colour": colour, "market": "DE", "nickname": "x"}),
        "register:car_photos": ("owner", {"pk": world.car.pk}, {"caption": "x"}),
        "register:photo_main": ("owner", {"pk": world.photo.pk}, {}),
        "register:photo_delete": ("owner", {"pk": world.photo.pk}, {}),
        "register:claim": ("other", {}, {"vin": world.car.vin, "message": "mine"}),
        "register:profile": ("owner", {}, {"display_name": "Hacked", "country": "FR", "show_name_publicly": "on"}),
        "register:account_delete": ("owner", {}, {"confirm": "on"}),
        "my_data": ("owner", {}, {}),
        "events:entry_cancel": ("owner", {"pk": world.entry.pk}, {}),
        "events:emergency_contact": (
            "owner",
            {"pk": world.entry.pk},
            {"emergency_name": "Hacked", "emergency_phone": "+49 171 1234567"},
        ),
        "events:check_in_entry": ("organiser", {"slug": world.event.slug, "pk": world.entry.pk}, {}),
        "events:declaration": (
            "owner",
            {"pk": world.entry.pk},
            {"role": "passenger-name", "passenger-name-name": "P"},
        ),
        "events:declaration_gate": (
            "organiser",
            {"slug": world.event.slug, "pk": world.entry.pk},
            {"role": "passenger-name", "passenger-name-name": "P"},
        ),
        "events:check_in_sync": ("organiser", {"slug": world.event.slug}, {"device": "Gate B", "scans": "[]"}),
        "events:signup": (
            "owner",
            {"slug": world.hidden_event.slug, "session_slug": world.hidden_session.slug},
            {"car": world.car.pk},
        ),
        "account_login": ("anonymous", {}, {"login": "owner@example.org", "password": "correct-horse-battery"}),
        "account_signup": (
            "anonymous",
            {},
            {"email": "new@example.org", "password1": "a-Long-passw0rd!", "password2": "a-Long-passw0rd!"},
        ),
        "account_logout": ("owner", {}, {}),
        "account_change_password": (
            "owner",
            {},
            {"oldpassword": "correct-horse-battery", "password1": "n3w-Long-pass!", "password2": "n3w-Long-pass!"},
        ),
        "account_reset_password": ("anonymous", {}, {"email": "owner@example.org"}),
        "account_email": ("owner", {}, {"email": "second@example.org", "action_add": ""}),
        "set_language": ("owner", {}, {"language": "de"}),
        "language": ("owner", {}, {"language": "de"}),
        "admin:login": ("anonymous", {}, {"username": "organiser@example.org", "password": "correct-horse-battery"}),
        "admin:logout": ("organiser", {}, {}),
    }


# Project URLs that only read: a POST to them changes nothing (they are covered by the GET test below).
READ_ONLY = {
    "home",
    "healthz",
    "readyz",
    "metrics",
    "javascript-catalog",
    "service_worker",
    "manifest",
    "register:list",
    "register:stats",
    "car_detail",
    "register:garage",
    "events:list",
    "events:my_entries",
    "events:ticket",
    "events:check_in",
    "events:check_in_counts",
    "events:check_in_list",
    "events:detail",
    "events:roster",
    "events:roster_json",
    "events:roster_csv",
    "events:calendar",
    "payments:receipt",
    "events:declaration_pdf",
    "privacy",
    "<^media/(?P<path>.*)$>",
    "<favicon.ico>",
}
POST_KEYS = [
    "register:car_add",
    "register:car_edit",
    "register:car_photos",
    "register:photo_main",
    "register:photo_delete",
    "register:claim",
    "register:profile",
    "register:account_delete",
    "my_data",
    "events:entry_cancel",
    "events:emergency_contact",
    "events:check_in_entry",
    "events:declaration",
    "events:declaration_gate",
    "events:check_in_sync",
    "events:signup",
    "account_login",
    "account_signup",
    "account_logout",
    "account_change_password",
    "account_reset_password",
    "account_email",
    "set_language",
    "language",
    "admin:login",
    "admin:logout",
]


def test_every_project_url_is_either_read_only_or_csrf_tested():
    keys = {route.key for route in urlwalk.project_routes()}

    assert keys - READ_ONLY - set(POST_KEYS) == set()


@pytest.mark.parametrize("key", POST_KEYS)
def test_post_without_csrf_token_is_refused_and_changes_nothing(world, key):
    role, kwargs, data = _post_data(world)[key]
    client = world.client(role, enforce_csrf_checks=True)
    client.get(reverse("language"))  # a page with a form: a CSRF cookie exists, only the token is missing
    before = db_checksum()

    response = client.post(reverse(key, kwargs=kwargs), data)

    assert response.status_code == 403
    assert db_checksum() == before


def test_post_with_csrf_token_goes_through(world):
    # The companion proof: the same client with the token does change data, so the 403 above is CSRF.
    client = world.client("owner", enforce_csrf_checks=True)
    client.get(reverse("register:profile"))
    token = client.cookies["csrftoken"].value

    response = client.post(
        reverse("register:profile"),
        {"display_name": "Renamed", "country": "FR", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    world.users["owner"].refresh_from_db()
    assert world.users["owner"].display_name == "Renamed"


# --- GET never changes data --------------------------------------------------------------------------------


def _get_all(world, key, cases):
    clients = {role: world.client(role) for role in ROLES}  # log in first: that writes last_login
    before = db_checksum()
    for case in cases:
        path = reverse_case(key, case, world)
        for role in ROLES:
            response = clients[role].get(path)
            if response.streaming:
                b"".join(response.streaming_content)
    return before, db_checksum()


@pytest.mark.parametrize("key", sorted(PROJECT))
def test_get_project_url_changes_no_data(world, key):
    before, after = _get_all(world, key, PROJECT[key])

    assert after == before


@pytest.mark.parametrize("key", sorted(ACCOUNTS))
def test_get_account_url_changes_no_data(world, key):
    before, after = _get_all(world, key, ACCOUNTS[key])

    if key == "account_email":
        # allauth records the login email of a user who has no EmailAddress row yet (factory users;
        # real sign-ups already have it). Nothing else may change.
        before.pop("account_emailaddress")
        after.pop("account_emailaddress")
    assert after == before


@pytest.mark.parametrize("key", sorted(ADMIN_OTHER))
def test_get_admin_site_url_changes_no_data(world, key):
    before, after = _get_all(world, key, ADMIN_OTHER[key])

    assert after == before


@pytest.mark.parametrize("label", sorted(ADMIN_MODELS))
def test_get_model_admin_pages_change_no_data(world, label):
    obj = admin_object(world, label)
    app_label, model_name = label.split(".")
    clients = [world.client("organiser"), world.client("registrar")]
    before = db_checksum()

    for view in ADMIN_VIEWS:
        args = [] if view in ("changelist", "add") else [obj.pk]
        for client in clients:
            client.get(reverse(f"admin:{app_label}_{model_name}_{view}", args=args))

    assert db_checksum() == before


def test_db_checksum_sees_a_change(world):
    # Companion proof: the checksum is not blind to an ordinary update.
    before = db_checksum()

    Entry.objects.filter(pk=world.entry.pk).update(requirements_confirmed=True)

    assert db_checksum() != before


# --- logout ------------------------------------------------------------------------------------------------


def test_logout_post_invalidates_the_old_session_cookie(world):
    client = world.client("owner")
    old_cookie = client.cookies["sessionid"].value
    assert client.get(reverse("register:garage")).status_code == 200

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    garage = reverse("register:garage")
    assert replay.get(garage)["Location"] == f"/accounts/login/?next={garage}"


def test_logout_get_shows_a_confirmation_and_keeps_the_session(world):
    client = world.client("owner")

    response = client.get(reverse("account_logout"))

    assert response.status_code == 200
    assert client.get(reverse("register:garage")).status_code == 200


def test_car_add_post_without_token_saves_no_car(world):
    # The same rule seen from the data: not one Car row appears.
    client = world.client("owner", enforce_csrf_checks=True)
    colour = Colour.objects.order_by("pk").first().pk

    client.post(reverse("register:car_add"), {"vin": make_vin(515151), "colour": colour, "market": "DE"})

    assert Car.objects.filter(vin=make_vin(515151)).exists() is False
