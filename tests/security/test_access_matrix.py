"""Every URL of the project × every role → the expected status (and, for redirects, where to).

The list of URLs comes from the URL configuration: a new project URL without an entry in
tests/security/expectations.py fails ``test_every_project_url_has_an_expectation``.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.admin import site
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import EntrantMessage, Entry
from outbox.models import Message
from payments.models import BankTransaction, CsvLayout, Refund, Statement
from portal.models import DataRequest, RetentionRun
from register.models import Claim, Colour, Market, Ownership, RegisteredModel, VinCheckCounter
from tests.security import urlwalk
from tests.security.conftest import ROLES
from tests.security.expectations import (
    ACCOUNTS,
    ADMIN_MODELS,
    ADMIN_OTHER,
    ADMIN_VIEWS,
    PROJECT,
    admin_login,
    forbidden,
    ok,
    outcome,
    reverse_case,
)

ADMIN_MODEL_URL = re.compile(
    r"^admin:(?P<app>[a-z_]+?)_(?P<model>[a-z]+)_(?P<view>changelist|add|change|history|delete)$"
)
ADMIN_REDIRECT_URL = re.compile(r"^<admin/(?P<app>[a-z_]+)/(?P<model>[a-z]+)/<path:object_id>/>$")


def _admin_model_label(key: str) -> str | None:
    match = ADMIN_MODEL_URL.match(key) or ADMIN_REDIRECT_URL.match(key)
    return f"{match['app']}.{match['model']}" if match else None


# --- the table covers the URL configuration ---------------------------------------------------------------


def test_every_project_url_has_an_expectation():
    keys = {route.key for route in urlwalk.project_routes()}

    assert keys - PROJECT.keys() == set()
    assert PROJECT.keys() - keys == set()  # no stale entries either


def test_every_admin_url_is_covered_by_a_rule():
    uncovered = set()
    for route in urlwalk.admin_routes():
        label = _admin_model_label(route.key)
        if label is None and route.key not in ADMIN_OTHER:
            uncovered.add(route.key)
        if label is not None and label not in ADMIN_MODELS and route.key not in ADMIN_OTHER:
            uncovered.add(route.key)

    assert uncovered == set()


def test_every_registered_model_admin_has_an_expectation():
    registered = {model._meta.label_lower for model in site._registry}

    assert registered == set(ADMIN_MODELS)


def test_every_account_url_is_covered():
    keys = {route.key for route in urlwalk.allauth_routes()}

    assert keys == set(ACCOUNTS)


def test_the_walk_finds_the_known_project_urls():
    # A guard for the walk itself: if it stopped descending into includes, the tests above would pass vacuously.
    keys = {route.key for route in urlwalk.project_routes()}

    assert {"home", "healthz", "register:car_edit", "events:signup", "<^media/(?P<path>.*)$>"} <= keys


# --- project URLs ----------------------------------------------------------------------------------------


def _run(world, key, case):
    path = reverse_case(key, case, world)
    actual, expected = {}, {}
    for role in ROLES:
        response = world.client(role).get(path)
        if response.streaming:
            b"".join(response.streaming_content)  # read to the end: the test client then closes the file
        actual[role] = outcome(response)
        expected[role] = case.expect[role](world, path)
    return path, actual, expected


@pytest.mark.parametrize("key", sorted(PROJECT))
def test_project_url_access_by_role(world, key):
    for case in PROJECT[key]:
        path, actual, expected = _run(world, key, case)

        assert (path, actual) == (path, expected), case.label


@pytest.mark.parametrize("key", sorted(ACCOUNTS))
def test_account_url_access_by_role(world, key):
    for case in ACCOUNTS[key]:
        path, actual, expected = _run(world, key, case)

        assert (path, actual) == (path, expected), case.label


@pytest.mark.parametrize("key", sorted(ADMIN_OTHER))
def test_admin_site_url_access_by_role(world, key):
    for case in ADMIN_OTHER[key]:
        path, actual, expected = _run(world, key, case)

        assert (path, actual) == (path, expected), case.label


# --- model admins -----------------------------------------------------------------------------------------


def admin_object(world, label: str):
    """One object of each admin-registered model, to open its change/history/delete pages."""
    now = timezone.now()
    match label:
        case "auth.group":
            return Group.objects.get(name="Organisers")
        case "account.emailaddress":
            from allauth.account.models import EmailAddress

            return EmailAddress.objects.get_or_create(user=world.users["owner"], email=world.users["owner"].email)[0]
        case "axes.accessattempt":
            return AccessAttempt.objects.create(
                username="someone@example.org", ip_address="10.0.0.1", user_agent="x", failures_since_start=1
            )
        case "axes.accesslog":
            return AccessLog.objects.create(username="someone@example.org", ip_address="10.0.0.1", user_agent="x")
        case "axes.accessfailurelog":
            return AccessFailureLog.objects.create(
                username="someone@example.org", ip_address="10.0.0.1", user_agent="x"
            )
        case "register.user":
            return world.users["other"]
        case "register.colour":
            return Colour.objects.create(name="Test colour")  # unused, so deletable
        case "register.market":
            return Market.objects.order_by("pk").first()
        case "register.registeredmodel":
            return RegisteredModel.current()
        case "register.car":
            return world.car
        case "register.carphoto":
            return world.photo
        case "register.ownership":
            return Ownership.objects.create(car=world.car, owner=world.users["owner"], started=now)
        case "register.claim":
            return Claim.objects.create(car=world.car, claimant=world.users["other"])
        case "register.vincheckcounter":
            return VinCheckCounter.objects.create(kind="address", key="192.0.2.1", window_start=now)
        case "events.event":
            return world.hidden_event
        case "events.session":
            return world.hidden_session
        case "events.entry":
            return world.entry
        case "events.historicalentry":
            return world.entry.history.first()
        case "events.gatescan":
            return services.entry_check_in(entry=world.entry, by=world.users["organiser"]).gate_scans.get()
        case "events.declaration":
            return world.signature.version.declaration
        case "events.declarationversion":
            return world.signature.version
        case "events.declarationsignature":
            return world.signature
        case "events.entrantmessage":
            return EntrantMessage.objects.create(event=world.event, subject="s", body="b")
        case "outbox.message":
            # A mail of the events area: organisers open it, registrars only list theirs (outbox.models.STAFF_AREAS).
            return Message.objects.create(
                message_id="<1@example.org>",
                from_email="a@example.org",
                recipient="b@example.org",
                subject="s",
                kind="events/email/entrant_message",
                carries_secret=False,
            )
        case "payments.statement":
            return Statement.objects.create(file_name="s.xml", sha256="0" * 64, format="camt")
        case "payments.banktransaction":
            statement = Statement.objects.create(file_name="s.xml", sha256="0" * 64, format="camt")
            return BankTransaction.objects.create(
                bank_reference="T-1", statement=statement, booked_on=now.date(), amount=Decimal("45.00")
            )
        case "payments.csvlayout":
            return CsvLayout.objects.create(
                name="Bank",
                date_column="Datum",
                amount_column="Betrag",
                remittance_column="Zweck",
                payer_name_column="Name",
            )
        case "payments.refund":
            return Refund.objects.create(entry=world.entry, amount=Decimal("45.00"), payer_iban="DE02120300000000")
        case "portal.datarequest":
            return DataRequest.objects.create(kind="export", subject_id=world.users["other"].pk)
        case "portal.retentionrun":
            return RetentionRun.objects.create(started=now, finished=now, counts={"sessions": 1})
    raise KeyError(label)


@pytest.mark.parametrize("label", sorted(ADMIN_MODELS))
def test_model_admin_access_by_role(world, label):
    obj = admin_object(world, label)
    app_label, model_name = label.split(".")
    actual, expected = {}, {}
    for view, letter in ADMIN_VIEWS.items():
        args = [] if view in ("changelist", "add") else [obj.pk]
        path = reverse(f"admin:{app_label}_{model_name}_{view}", args=args)
        for role in ROLES:
            actual[(view, role)] = outcome(world.client(role).get(path))
            if role in ADMIN_MODELS[label]:
                rule = ok if letter in ADMIN_MODELS[label][role] else forbidden
            else:
                rule = admin_login
            expected[(view, role)] = rule(world, path)
    # "<model>/<id>/" only redirects to the change page, for everyone.
    change = reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk])
    short = change.removesuffix("change/")
    for role in ROLES:
        actual[("redirect", role)] = outcome(world.client(role).get(short))
        expected[("redirect", role)] = (
            admin_login(world, short) if world.users[role] is None or not world.users[role].is_staff else (302, change)
        )

    assert actual == expected
    assert apps.get_model(label)._default_manager.filter(pk=obj.pk).exists()  # nothing was deleted by a GET


# --- POST-only URLs: what a POST by each role does ---------------------------------------------------------


def _second_photo(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from register.photos import photo_add
    from tests.security.conftest import jpeg_bytes

    return photo_add(car=world.car, upload=SimpleUploadedFile("b.jpg", jpeg_bytes(colour=(1, 2, 3))))


@pytest.mark.parametrize("role", ROLES)
def test_photo_main_post_only_the_owner_changes_the_main_photo(world, role):
    second = _second_photo(world)
    path = reverse("register:photo_main", args=[second.pk])

    response = world.client(role).post(path)

    second.refresh_from_db()
    world.photo.refresh_from_db()
    if role == "owner":
        assert outcome(response) == (302, reverse("register:car_photos", args=[world.car.pk]))
        assert (second.is_main, world.photo.is_main) == (True, False)
    else:
        assert outcome(response) == ((302, f"/accounts/login/?next={path}") if role == "anonymous" else (404, None))
        assert (second.is_main, world.photo.is_main) == (False, True)


@pytest.mark.parametrize("role", ROLES)
def test_photo_delete_post_only_the_owner_deletes(world, role):
    path = reverse("register:photo_delete", args=[world.photo.pk])

    response = world.client(role).post(path)

    still_there = type(world.photo).objects.filter(pk=world.photo.pk).exists()
    if role == "owner":
        assert outcome(response) == (302, reverse("register:car_photos", args=[world.car.pk]))
        assert still_there is False
    else:
        assert outcome(response) == ((302, f"/accounts/login/?next={path}") if role == "anonymous" else (404, None))
        assert still_there is True


@pytest.mark.parametrize("role", ROLES)
def test_entry_cancel_post_only_the_driver_cancels(world, role):
    path = reverse("events:entry_cancel", args=[world.entry.pk])

    response = world.client(role).post(path)

    world.entry.refresh_from_db()
    if role == "owner":
        assert outcome(response) == (302, reverse("events:my_entries"))
        assert world.entry.status == Entry.Status.CANCELLED
    else:
        assert outcome(response) == ((302, f"/accounts/login/?next={path}") if role == "anonymous" else (404, None))
        assert world.entry.status == Entry.Status.CONFIRMED


@pytest.mark.parametrize("role", ROLES)
def test_signup_post_with_the_owners_car_only_the_owner_signs_up(world, role):
    # The unpublished event's registration is open too; the owner's car has no entry there yet.
    path = reverse("events:signup", args=[world.hidden_event.slug, world.hidden_session.slug])

    response = world.client(role).post(path, {"car": world.car.pk})

    entries = Entry.objects.filter(session=world.hidden_session)
    if role == "owner":
        assert outcome(response) == (302, reverse("events:my_entries"))
        assert [(e.car, e.driver, e.status) for e in entries] == [
            (world.car, world.users["owner"], Entry.Status.CONFIRMED)
        ]
    elif role == "anonymous":
        assert outcome(response) == (302, f"/accounts/login/?next={path}")
        assert list(entries) == []
    else:
        assert response.status_code == 200
        assert "Choose one of your own cars." in response.content.decode()
        assert list(entries) == []


@pytest.mark.parametrize("role", ["anonymous", "owner"])
def test_account_delete_post_needs_login_and_confirmation(world, role):
    path = reverse("register:account_delete")

    response = world.client(role).post(path, {})

    assert world.users["owner"].__class__.objects.filter(pk=world.users["owner"].pk).exists()
    if role == "anonymous":
        assert outcome(response) == (302, f"/accounts/login/?next={path}")
    else:
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
