"""Registrars and owners at once: claim decisions, a car edit meeting a verification, duplicate claims.

Real threads, each with its own database connection and transaction (as real requests have), closed at
the end (``run_at_once`` from the events race tests).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from register.models import Car, Claim
from register.services import RegisterError, car_verify, claim_approve, claim_create, claim_reject
from tests.events.test_race import run_at_once, while_held_open
from tests.factories import CarFactory, UserFactory
from tests.register.test_claims import document

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DUPLICATE = "You have already claimed this car; a registrar will decide soon."


def _competing_claims():
    car = CarFactory()
    return car, [Claim.objects.create(car=car, claimant=UserFactory()) for _ in range(2)]


@pytest.mark.parametrize("decisions", [(claim_approve, claim_approve), (claim_approve, claim_reject)])
def test_two_registrars_deciding_competing_claims_for_one_car_queue_up_without_deadlock(decisions):
    registrars = [UserFactory(is_staff=True), UserFactory(is_staff=True)]
    for _round in range(4):  # the deadlock showed 4 times in 4 before the lock order was fixed
        car, claims = _competing_claims()

        results = run_at_once(2, lambda i, claims=claims: decisions[i](claim=claims[i], by=registrars[i]))

        errors = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(e, RegisterError) for e in errors), errors
        car.refresh_from_db()
        statuses = sorted(Claim.objects.filter(car=car).values_list("status", flat=True))
        # Whichever runs first, the second waits for it: one claim approved, the other rejected.
        assert statuses == [Claim.Status.APPROVED, Claim.Status.REJECTED]
        if decisions == (claim_approve, claim_approve):
            assert [str(e) for e in errors] == ["This claim has already been decided."]
            assert car.owner in (claims[0].claimant, claims[1].claimant)
        else:
            assert car.owner == claims[0].claimant


def test_car_edit_keeps_a_verification_committed_while_the_owner_saved():
    owner = UserFactory()
    car = CarFactory(owner=owner, nickname="Before")
    registrar = UserFactory(is_staff=True)
    car_loaded, verified = threading.Event(), threading.Event()

    def pause_after_loading_the_car(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not car_loaded.is_set() and sql.startswith("SELECT") and 'FROM "register_car"' in sql:
            car_loaded.set()  # the owner's request has the car; the registrar verifies it now
            verified.wait(timeout=30)
        return result

    def owner_saves():
        client = Client()
        client.force_login(owner)
        data = {"colour": car.colour_id, "market": "DE", "production_month": "", "nickname": "After"}
        with connection.execute_wrapper(pause_after_loading_the_car):
            return client.post(reverse("register:car_edit", args=[car.pk]), data)

    def registrar_verifies():
        car_loaded.wait(timeout=30)
        try:
            return car_verify(car=car, by=registrar)
        finally:
            verified.set()

    response, verified_car = run_at_once(2, lambda i: (owner_saves, registrar_verifies)[i]())

    assert response.status_code == 302, response
    car.refresh_from_db()
    assert (car.status, car.register_number, car.nickname) == (
        Car.Status.VERIFIED,
        verified_car.register_number,
        "After",
    )
    assert car.register_number is not None


def test_eight_identical_claims_at_once_make_one_claim_and_seven_clear_answers():
    car = CarFactory()
    claimant = UserFactory()

    def post_claim(_index):
        client = Client()
        client.force_login(claimant)
        data = {"vin": car.vin, "message": "Bought it in May.", "evidence": document()}
        return client.post(reverse("register:claim"), data)

    responses = run_at_once(8, post_claim)

    assert sorted(r.status_code for r in responses) == [200] * 7 + [302]
    assert Claim.objects.filter(car=car, claimant=claimant).count() == 1
    # The same answer a sequential duplicate gets, next to the form.
    sequential = post_claim(8)
    assert DUPLICATE in sequential.content.decode()
    assert all(DUPLICATE in r.content.decode() for r in responses if r.status_code == 200)


def test_claim_create_duplicate_in_the_index_is_a_register_error():
    # The service itself, without the view: the second of two racing claims gets the rule's message.
    car = CarFactory()
    claimant = UserFactory()

    results = run_at_once(8, lambda i: claim_create(car=car, claimant=claimant))

    assert sum(isinstance(r, Claim) for r in results) == 1
    assert {str(r) for r in results if not isinstance(r, Claim)} == {DUPLICATE}


def test_an_account_deleted_while_its_sign_up_commits_leaves_no_entry_without_a_driver():
    """The sign-up holds its car's lock until it commits; the deletion takes the person's cars first, so it
    waits, then sees the new entry and cancels it (before, the entry stayed active with its driver erased)."""
    from events.models import Entry
    from events.services import entry_create
    from register.services import user_delete
    from tests.factories import SessionFactory

    car = CarFactory()
    owner, session = car.owner, SessionFactory(capacity=5)

    entry, deleted, waited = while_held_open(
        lambda: entry_create(session=session, car=car, driver=owner), lambda: user_delete(user=owner)
    )

    assert waited  # the deletion met the sign-up's lock

    assert deleted is None  # user_delete returns nothing; an exception would be here
    entry = Entry.objects.get(pk=entry.pk)
    assert (entry.status, entry.driver_id) == (Entry.Status.CANCELLED, None)
    assert not Entry.objects.active().filter(driver__isnull=True).exists()
