"""The registrars' admin, used through the admin's own URLs as a Registrars member (staff, not superuser)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from outbox.models import Message
from register.models import Car, Claim, Ownership, User
from register.services import car_register, claim_create, claim_reject
from tests import factories
from tests.factories import CarFactory, EntryFactory, UserFactory, VerifiedCarFactory, colour, make_vin

CAR_LIST = reverse("admin:register_car_changelist")
CLAIM_LIST = reverse("admin:register_claim_changelist")
# Session, user, permissions, counts, the page of cars with colour and owner joined, filter choices.
CHANGELIST_QUERIES = 9


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_action(client, url, action, objects, **extra):
    return client.post(url, {"action": action, "_selected_action": [obj.pk for obj in objects], **extra}, follow=True)


def wrong_check_digit(vin: str) -> str:
    wrong = "1" if vin[8] != "1" else "2"
    return vin[:8] + wrong + vin[9:]


# Group ---------------------------------------------------------------------------------------


def test_registrar_fixture_is_staff_but_not_superuser(registrar):
    assert (registrar.is_staff, registrar.is_superuser) == (True, False)


# Access --------------------------------------------------------------------------------------


def test_car_changelist_plain_owner_is_redirected_to_admin_login(owner_client):
    response = owner_client.get(CAR_LIST)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={CAR_LIST}"


def test_car_changelist_staff_without_group_is_forbidden(client, db):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(CAR_LIST)

    assert response.status_code == 403


def test_car_changelist_registrar_sees_full_and_masked_vin(registrar_client):
    car = VerifiedCarFactory(nickname="Orange Peel")

    response = registrar_client.get(CAR_LIST)

    assert response.status_code == 200
    body = response.content.decode()
    assert car.vin in body
    assert car.vin_masked in body
    assert f"#{car.register_number}" in body


def test_car_changelist_query_count_does_not_grow_with_rows(registrar_client, django_assert_num_queries):
    VerifiedCarFactory.create_batch(10)

    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = registrar_client.get(CAR_LIST)

    assert response.context["cl"].result_count == 10


# Verify / unverify ---------------------------------------------------------------------------


def test_verify_action_gives_numbers_in_order_of_verification(registrar_client):
    first, second, third = CarFactory.create_batch(3)

    post_action(registrar_client, CAR_LIST, "verify", [second])
    post_action(registrar_client, CAR_LIST, "verify", [third])
    response = post_action(registrar_client, CAR_LIST, "verify", [first])

    for car in (first, second, third):
        car.refresh_from_db()
    base = second.register_number
    assert [second.register_number, third.register_number, first.register_number] == [base, base + 1, base + 2]
    assert {car.status for car in (first, second, third)} == {Car.Status.VERIFIED}
    assert messages_of(response) == ["1 car verified."]


def test_verify_action_reports_only_cars_that_changed(registrar_client):
    pending = CarFactory()
    verified = VerifiedCarFactory()

    response = post_action(registrar_client, CAR_LIST, "verify", [pending, verified])

    assert messages_of(response) == ["1 car verified."]


def test_unverify_then_verify_never_reuses_a_number(registrar_client):
    first, second = CarFactory.create_batch(2)
    post_action(registrar_client, CAR_LIST, "verify", [first])
    first.refresh_from_db()
    number = first.register_number

    response = post_action(registrar_client, CAR_LIST, "unverify", [first])
    post_action(registrar_client, CAR_LIST, "verify", [second])
    post_action(registrar_client, CAR_LIST, "verify", [first])

    first.refresh_from_db()
    second.refresh_from_db()
    assert messages_of(response) == ["1 car set back to pending."]
    assert first.register_number == number
    assert second.register_number == number + 1
    assert first.status == Car.Status.VERIFIED


def test_unverify_action_keeps_the_number_and_goes_back_to_pending(registrar_client):
    car = VerifiedCarFactory()

    post_action(registrar_client, CAR_LIST, "unverify", [car])

    car.refresh_from_db()
    assert (car.status, car.register_number is not None, car.verified_at) == (Car.Status.PENDING, True, None)


def test_verify_action_is_recorded_in_the_car_history(registrar_client, registrar):
    car = CarFactory()

    post_action(registrar_client, CAR_LIST, "verify", [car])
    response = registrar_client.get(reverse("admin:register_car_history", args=[car.pk]))

    assert response.status_code == 200
    assert car.history.latest().history_change_reason == f"verified by {registrar}"


# Search and filters --------------------------------------------------------------------------


def test_car_search_by_vin_finds_only_that_car(registrar_client):
    wanted, other = CarFactory.create_batch(2)

    response = registrar_client.get(CAR_LIST, {"q": wanted.vin.lower()})

    assert list(response.context["cl"].result_list) == [wanted]
    assert other.vin not in response.content.decode()


def test_car_search_by_owner_email_finds_their_cars(registrar_client, owner):
    mine = CarFactory(owner=owner)
    CarFactory()

    response = registrar_client.get(CAR_LIST, {"q": "owner@example.org"})

    assert list(response.context["cl"].result_list) == [mine]


def test_car_search_by_register_number(registrar_client):
    car = VerifiedCarFactory(register_number=4242)
    VerifiedCarFactory(register_number=4243)

    response = registrar_client.get(CAR_LIST, {"q": "#4242"})

    assert list(response.context["cl"].result_list) == [car]


def test_car_search_by_a_superscript_digit_finds_nothing(registrar_client):
    VerifiedCarFactory(register_number=2)

    response = registrar_client.get(CAR_LIST, {"q": "#²"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize(("flag", "expected"), [("yes", ["flagged"]), ("no", ["clean"])])
def test_car_check_digit_flag_filter(registrar_client, flag, expected):
    cars = {
        "flagged": CarFactory(check_digit_flag="Position 9: the check digit should be 3, found 1."),
        "clean": CarFactory(),
    }

    response = registrar_client.get(CAR_LIST, {"flag": flag})

    assert list(response.context["cl"].result_list) == [cars[name] for name in expected]


# Editing a car -------------------------------------------------------------------------------


def car_form_data(car: Car, **changes) -> dict:
    data = {
        "vin": car.vin,
        "colour": car.colour_id,
        "colour_note": car.colour_note,
        "market": str(car.market.code),
        "production_month": "",
        "nickname": car.nickname,
        "photos-TOTAL_FORMS": "0",
        "photos-INITIAL_FORMS": "0",
        "ownerships-TOTAL_FORMS": "0",
        "ownerships-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_car_edit_rejects_a_vin_that_breaks_a_rule(registrar_client):
    car = CarFactory(nickname="Before")
    url = reverse("admin:register_car_change", args=[car.pk])

    response = registrar_client.post(url, car_form_data(car, vin="WBSUR91C0BV00001O", nickname="After"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["vin"] == [
        "Position 17: the letter O is never used in a VIN (I, O and Q are not allowed)."
    ]
    car.refresh_from_db()
    assert car.nickname == "Before"


def test_car_edit_rejects_a_wrong_check_digit_in_north_america(registrar_client):
    car = CarFactory(market="US")
    url = reverse("admin:register_car_change", args=[car.pk])
    bad = wrong_check_digit(make_vin(777))

    response = registrar_client.post(url, car_form_data(car, vin=bad))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["vin"][0].startswith("Position 9: the check digit should be")


def test_car_edit_normalises_the_vin_and_flags_a_european_check_digit(registrar_client):
    car = CarFactory(market="DE")
    url = reverse("admin:register_car_change", args=[car.pk])
    bad = wrong_check_digit(make_vin(778))

    response = registrar_client.post(url, car_form_data(car, vin=" " + bad.lower()[:8] + "-" + bad.lower()[8:]))

    assert response.status_code == 302
    car.refresh_from_db()
    assert car.vin == bad
    assert car.check_digit_flag.startswith("Position 9: the check digit should be")


def test_car_edit_cannot_set_status_or_number_directly(registrar_client):
    car = CarFactory()
    url = reverse("admin:register_car_change", args=[car.pk])

    response = registrar_client.post(url, car_form_data(car, status="verified", register_number="1"))

    assert response.status_code == 302
    car.refresh_from_db()
    assert (car.status, car.register_number) == (Car.Status.PENDING, None)


# Claims --------------------------------------------------------------------------------------


@pytest.fixture
def claimed_car(owner, other_owner):
    car = car_register(owner=owner, vin=make_vin(500), colour=colour(), market="DE")
    claim = claim_create(car=car, claimant=other_owner, message="Bought it last spring.")
    return car, claim


def test_approve_claim_moves_the_car_and_records_ownership_history(
    registrar_client, registrar, claimed_car, owner, other_owner
):
    car, claim = claimed_car

    response = post_action(registrar_client, CLAIM_LIST, "approve", [claim], confirmed="yes")

    car.refresh_from_db()
    claim.refresh_from_db()
    assert messages_of(response) == ["1 claim approved."]
    assert car.owner == other_owner
    assert (claim.status, claim.decided_by) == (Claim.Status.APPROVED, registrar)
    history = list(Ownership.objects.filter(car=car).order_by("started"))
    assert [(o.owner, o.ended is None) for o in history] == [(owner, False), (other_owner, True)]


def test_reject_claim_leaves_the_car_with_its_owner(registrar_client, registrar, claimed_car, owner):
    car, claim = claimed_car

    response = post_action(registrar_client, CLAIM_LIST, "reject", [claim], confirmed="yes")

    car.refresh_from_db()
    claim.refresh_from_db()
    assert messages_of(response) == ["1 claim rejected."]
    assert car.owner == owner
    assert (claim.status, claim.decided_by) == (Claim.Status.REJECTED, registrar)
    assert list(Ownership.objects.filter(car=car).values_list("owner", "ended")) == [(owner.pk, None)]


def test_approve_an_already_decided_claim_shows_an_error_not_a_500(registrar_client, claimed_car, owner):
    car, claim = claimed_car
    post_action(registrar_client, CLAIM_LIST, "reject", [claim], confirmed="yes")

    response = post_action(registrar_client, CLAIM_LIST, "approve", [claim], confirmed="yes")

    assert response.status_code == 200
    assert messages_of(response) == [f"{claim}: This claim has already been decided."]
    car.refresh_from_db()
    assert car.owner == owner


def test_claim_list_shows_pending_claims_first(registrar_client, owner):
    cars = CarFactory.create_batch(3, owner=owner)
    claimant = UserFactory()
    older_pending = claim_create(car=cars[0], claimant=claimant)
    decided = claim_create(car=cars[1], claimant=claimant)
    newer_pending = claim_create(car=cars[2], claimant=claimant)
    post_action(registrar_client, CLAIM_LIST, "reject", [decided], confirmed="yes")

    response = registrar_client.get(CLAIM_LIST)

    assert list(response.context["cl"].result_list) == [newer_pending, older_pending, decided]


# Users ---------------------------------------------------------------------------------------


def test_user_admin_add_form_creates_an_account_by_email(admin_client):
    response = admin_client.post(
        reverse("admin:register_user_add"),
        {
            "email": "new.owner@example.org",
            "usable_password": "true",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )

    user = User.objects.get(email="new.owner@example.org")
    assert response.status_code == 302
    assert user.check_password("a-long-unusual-passphrase")


def test_user_admin_add_form_refuses_an_email_that_differs_only_in_case(admin_client, owner):
    response = admin_client.post(
        reverse("admin:register_user_add"),
        {
            "email": "OWNER@example.org",
            "usable_password": "true",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == ["An account with this email address already exists."]


def test_user_admin_delete_keeps_the_cars(admin_client, owner):
    car = CarFactory(owner=owner)

    response = admin_client.post(reverse("admin:register_user_delete", args=[owner.pk]), {"post": "yes"})

    car.refresh_from_db()
    assert response.status_code == 302
    assert (car.owner, User.objects.filter(pk=owner.pk).exists()) == (None, False)


def test_user_list_registrar_may_view_but_not_add(registrar_client):
    assert registrar_client.get(reverse("admin:register_user_changelist")).status_code == 200
    assert registrar_client.get(reverse("admin:register_user_add")).status_code == 403


# Colours and model facts ---------------------------------------------------------------------


def test_colour_admin_rejects_a_swatch_that_is_not_hex(registrar_client):
    response = registrar_client.post(
        reverse("admin:register_colour_add"),
        {"name": "Frozen Grey", "paint_code": "", "hex": "red;x", "kind": "other", "note": "", "sort_order": "95"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["hex"] == ["Enter the swatch as #RRGGBB, e.g. #E2611B."]


def test_registered_model_admin_rejects_a_wmi_with_forbidden_letters(registrar_client):
    from register.models import RegisteredModel

    model = RegisteredModel.current()
    data = {
        "name": model.name,
        "chassis": model.chassis,
        "wmi": "WBO",
        "vds_prefix": model.vds_prefix,
        "model_year_codes": model.model_year_codes,
        "built_for_customers": model.built_for_customers,
        "built_internal": model.built_internal,
        "production_start": "2011-03-01",
        "production_end": "2012-06-30",
        "source": model.source,
    }

    response = registrar_client.post(reverse("admin:register_registeredmodel_change", args=[model.pk]), data)

    assert response.status_code == 200
    assert "wmi" in response.context["adminform"].form.errors
    model.refresh_from_db()
    assert model.wmi == "WBS"


# Car change page: photos and ownership inlines, import/export links ---------------------------


def make_photo(car, *, name: str, is_main: bool = False, caption: str = ""):
    from register.models import CarPhoto

    return CarPhoto.objects.create(
        car=car,
        image=f"cars/{name}.jpg",
        display=f"cars/{name}-display.jpg",
        thumbnail=f"cars/{name}-thumb.jpg",
        is_main=is_main,
        caption=caption,
    )


def test_car_change_page_shows_photo_thumbnails_and_ownership_history(registrar_client, owner):
    car = car_register(owner=owner, vin=make_vin(600), colour=colour(), market="DE")
    make_photo(car, name="abc", is_main=True, caption="At the Ring")

    response = registrar_client.get(reverse("admin:register_car_change", args=[car.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert '<img src="/media/cars/abc-thumb.jpg" alt="At the Ring"' in body
    assert str(owner) in body
    assert "ownership period" in body.lower()


def test_car_inline_photo_delete_goes_through_the_photo_service(registrar_client):
    car = CarFactory()
    main = make_photo(car, name="main", is_main=True)
    other = make_photo(car, name="other")
    data = car_form_data(
        car,
        **{
            "photos-TOTAL_FORMS": "2",
            "photos-INITIAL_FORMS": "2",
            "photos-0-id": str(main.pk),
            "photos-0-car": str(car.pk),
            "photos-0-caption": "",
            "photos-0-DELETE": "on",
            "photos-1-id": str(other.pk),
            "photos-1-car": str(car.pk),
            "photos-1-caption": "Kept",
        },
    )

    response = registrar_client.post(reverse("admin:register_car_change", args=[car.pk]), data)

    assert response.status_code == 302
    other.refresh_from_db()
    assert list(car.photos.all()) == [other]
    assert (other.is_main, other.caption) == (True, "Kept")


def test_car_changelist_links_to_import_and_export_for_registrars(registrar_client):
    response = registrar_client.get(CAR_LIST)

    body = response.content.decode()
    assert reverse("admin:register_car_import") in body
    assert reverse("admin:register_car_export") in body
    import_page = registrar_client.get(reverse("admin:register_car_import"))
    assert import_page.status_code == 200
    assert "If any row has an error, nothing is imported" in import_page.content.decode()


def test_user_change_page_is_viewable_by_a_registrar(registrar_client, owner):
    response = registrar_client.get(reverse("admin:register_user_change", args=[owner.pk]))

    assert response.status_code == 200
    assert owner.email in response.content.decode()


def test_claim_list_shows_the_claimants_message(registrar_client, claimed_car):
    response = registrar_client.get(CLAIM_LIST)

    assert "Bought it last spring." in response.content.decode()


# Deciding a claim asks first -------------------------------------------------------------------


def claim_url(claim, name: str) -> str:
    return reverse(f"admin:register_claim_{name}", args=[claim.pk])


def test_pending_claim_page_offers_approve_and_reject(registrar_client, claimed_car):
    _car, claim = claimed_car

    page = registrar_client.get(claim_url(claim, "change")).content.decode()

    assert f'<a href="{claim_url(claim, "approve")}">Approve</a>' in page
    assert f'<a href="{claim_url(claim, "reject")}">Reject</a>' in page


def test_decided_claim_page_offers_no_decision(registrar_client, claimed_car, registrar):
    _car, claim = claimed_car
    claim_reject(claim=claim, by=registrar)

    page = registrar_client.get(claim_url(claim, "change")).content.decode()

    assert claim_url(claim, "approve") not in page
    assert claim_url(claim, "reject") not in page


def test_approve_page_says_what_will_happen_and_changes_nothing(
    registrar_client, claimed_car, owner, other_owner, django_assert_num_queries
):
    car, claim = claimed_car
    Car.objects.filter(pk=car.pk).update(status=Car.Status.VERIFIED, register_number=31)
    EntryFactory(car=car, driver=owner, session__name="Sunday convoy", session__event__name="Ring 2031")
    rival = claim_create(car=car, claimant=UserFactory(display_name="Rita Rival"))
    queued = Message.objects.count()

    response = registrar_client.get(claim_url(claim, "approve"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "The car #31 moves from Olga Owner to Otto Other." in page
    assert "1 entry of a session not yet over is cancelled; its driver is emailed and the waitlist moves up." in page
    assert "<li>Ring 2031, Sunday convoy · Confirmed</li>" in page
    assert "Two emails: the new owner is told the car is in their garage, the previous owner that it has left" in page
    assert rival.claimant_label == "Rita Rival"
    rejected = "1 other pending claim for this car is rejected, and its claimant emailed:"
    assert f"{rejected}\n        Rita Rival → #31</li>" in page
    assert 'value="Yes, approve"' in page
    car.refresh_from_db()
    claim.refresh_from_db()
    assert (car.owner, claim.status, Message.objects.count()) == (owner, Claim.Status.PENDING, queued)


def test_approve_post_moves_the_car_and_mails_both_owners(
    registrar_client, registrar, claimed_car, owner, other_owner, deliver_mail, mailoutbox
):
    car, claim = claimed_car
    deliver_mail()  # the claim's receipt
    mailoutbox.clear()

    response = registrar_client.post(claim_url(claim, "approve"), follow=True)

    car.refresh_from_db()
    claim.refresh_from_db()
    assert response.redirect_chain == [(claim_url(claim, "change"), 302)]
    assert messages_of(response) == ["1 claim approved."]
    assert (car.owner, claim.status, claim.decided_by) == (other_owner, Claim.Status.APPROVED, registrar)
    assert sorted(m.to[0] for m in deliver_mail()) == ["other@example.org", "owner@example.org"]


def test_reject_page_asks_then_post_rejects(registrar_client, registrar, claimed_car, owner):
    car, claim = claimed_car

    asked = registrar_client.get(claim_url(claim, "reject")).content.decode()
    claim.refresh_from_db()
    status_after_get = claim.status
    response = registrar_client.post(claim_url(claim, "reject"), follow=True)

    claim.refresh_from_db()
    car.refresh_from_db()
    assert f"The car {car} stays with Olga Owner." in asked
    assert "One email: Otto Other is told the claim was not approved." in asked
    assert status_after_get == Claim.Status.PENDING
    assert messages_of(response) == ["1 claim rejected."]
    assert (claim.status, car.owner) == (Claim.Status.REJECTED, owner)


def test_decision_page_of_a_decided_claim_goes_back_with_a_message(registrar_client, registrar, claimed_car):
    _car, claim = claimed_car
    claim_reject(claim=claim, by=registrar)

    response = registrar_client.get(claim_url(claim, "approve"), follow=True)

    assert response.redirect_chain == [(claim_url(claim, "change"), 302)]
    assert messages_of(response) == ["This claim has already been decided."]


def test_decision_pages_are_closed_to_organisers(client, claimed_car):
    _car, claim = claimed_car
    client.force_login(factories.organiser())

    responses = [client.get(claim_url(claim, "approve")), client.post(claim_url(claim, "approve"))]

    claim.refresh_from_db()
    assert [r.status_code for r in responses] == [403, 403]
    assert claim.status == Claim.Status.PENDING


def test_decision_page_of_a_missing_claim_is_a_404(registrar_client):
    assert registrar_client.get(reverse("admin:register_claim_approve", args=[999_999])).status_code == 404


@pytest.mark.parametrize(("action", "button"), [("approve", "Yes, approve"), ("reject", "Yes, reject")])
def test_claim_list_action_asks_first_and_changes_nothing(registrar_client, claimed_car, owner, action, button):
    car, claim = claimed_car

    response = post_action(registrar_client, CLAIM_LIST, action, [claim])

    page = response.content.decode()
    assert f'value="{button}"' in page
    assert '<input type="hidden" name="confirmed" value="yes">' in page
    assert f'<input type="hidden" name="_selected_action" value="{claim.pk}">' in page
    claim.refresh_from_db()
    car.refresh_from_db()
    assert (claim.status, car.owner) == (Claim.Status.PENDING, owner)


# Verifying a car with VIN flags asks first -----------------------------------------------------------


US_YEAR_FLAG = "North American VIN with model year C: US production ended with model year B."


def test_verify_action_on_a_flagged_car_names_the_flags_and_changes_nothing(registrar_client):
    flagged = CarFactory(vin_flags=f"Position 7: 1 is left-hand drive.\n{US_YEAR_FLAG}")
    clean = CarFactory(nickname="Clean")

    response = post_action(registrar_client, CAR_LIST, "verify", [flagged, clean])

    page = response.content.decode()
    assert "<li>Position 7: 1 is left-hand drive.</li>" in page
    assert f"<li>{US_YEAR_FLAG}</li>" in page
    assert f"Verified with them, without flags: {clean}" in page
    assert 'value="Yes, verify"' in page
    assert list(Car.objects.filter(pk__in=[flagged.pk, clean.pk]).values_list("status", flat=True)) == [
        Car.Status.PENDING,
        Car.Status.PENDING,
    ]


def test_verify_action_on_a_check_digit_flag_asks_too(registrar_client):
    flagged = CarFactory(check_digit_flag="Position 9: the check digit should be 3, found 1.")

    page = post_action(registrar_client, CAR_LIST, "verify", [flagged]).content.decode()

    assert "<li>Position 9: the check digit should be 3, found 1.</li>" in page
    flagged.refresh_from_db()
    assert flagged.status == Car.Status.PENDING


def test_verify_action_confirmed_verifies_flagged_cars(registrar_client):
    flagged = CarFactory(vin_flags=US_YEAR_FLAG)
    clean = CarFactory()

    response = post_action(registrar_client, CAR_LIST, "verify", [flagged, clean], confirmed="yes")

    assert messages_of(response) == ["2 cars verified."]
    assert set(Car.objects.filter(pk__in=[flagged.pk, clean.pk]).values_list("status", flat=True)) == {
        Car.Status.VERIFIED
    }


def test_verify_action_without_flags_verifies_at_once(registrar_client):
    car = CarFactory()

    response = post_action(registrar_client, CAR_LIST, "verify", [car])

    car.refresh_from_db()
    assert response.redirect_chain == [(CAR_LIST, 302)]
    assert (car.status, messages_of(response)) == (Car.Status.VERIFIED, ["1 car verified."])


# The owner hears of the number ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "sentence"),
    [
        ("en", "Your car is verified: number 4711 in the register", "it is number 4711 in the register"),
        ("de", "Dein Fahrzeug ist verifiziert: Nummer 4711 im Register", "Es hat die Nummer 4711 im Register"),
    ],
)
def test_verifying_a_car_emails_the_owner_its_number_in_their_language(
    registrar_client, owner, deliver_mail, language, subject, sentence
):
    owner.language = language
    owner.save(update_fields=["language"])
    car = CarFactory(owner=owner)
    Car.objects.filter(pk=car.pk).update(register_number=4711)

    post_action(registrar_client, CAR_LIST, "verify", [car])

    [mail] = deliver_mail()
    assert mail.to == ["owner@example.org"]
    assert mail.subject.endswith(subject)
    assert sentence in mail.body
    assert f"{settings.SITE_URL}/register/cars/4711/" in mail.body


def test_verifying_an_already_verified_car_mails_nobody(registrar_client, deliver_mail):
    car = VerifiedCarFactory()

    post_action(registrar_client, CAR_LIST, "verify", [car])

    assert deliver_mail() == []


# The header names the reader's part of the admin ----------------------------------------------------


@pytest.mark.parametrize(
    ("role", "header"),
    [
        ("registrar", "1M Register — registrars"),
        ("organiser", "1M Register — organisers"),
        ("both", "1M Register — organisers and registrars"),
        ("superuser", "1M Register — admin"),
    ],
)
def test_admin_header_names_the_readers_part(db, client, role, header):
    if role == "superuser":
        user = User.objects.create_superuser(email="root@example.org", password=None)
    elif role == "both":
        user = factories.registrar()
        user.groups.add(Group.objects.get(name="Organisers"))
    else:
        user = getattr(factories, role)()
    client.force_login(user)

    page = client.get("/admin/").content.decode()

    assert f'<div id="site-name"><a href="/admin/">{header}</a></div>' in page
    assert f"| {header}</title>" in page


def test_admin_header_is_translated(registrar_client, registrar):
    registrar.language = "de"
    registrar.save(update_fields=["language"])

    page = registrar_client.get("/admin/").content.decode()

    assert '<div id="site-name"><a href="/admin/">1er M Register – Registerverwalter</a></div>' in page


def test_admin_login_page_says_staff(db, client):
    page = client.get(reverse("admin:login")).content.decode()

    assert '<div id="site-name"><a href="/admin/">1M Register — staff</a></div>' in page
