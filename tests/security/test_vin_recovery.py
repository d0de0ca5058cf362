"""Guessing a full VIN from the public mask through "already registered" answers is impractical.

The add-car and claim forms answer whether a VIN is registered only on an otherwise valid form, and only
``VIN_CHECKS_PER_HOUR`` times an hour per account and per client address; the counters are in the admin
for registrars. A claim needs a photo of the registration document, kept private and deleted once the
claim is decided.
"""

from __future__ import annotations

import datetime
import itertools
import threading
from io import BytesIO

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from register.models import Car, Claim, VinCheckCounter, private_storage
from register.services import user_delete, vin_check_allow
from tests.factories import UserFactory, VerifiedCarFactory, colour, make_vin
from tests.storage import files_under, read

ADD_URL = reverse("register:car_add")
CLAIM_URL = reverse("register:claim")
LIMIT = 10
ALREADY = "This car is already registered."
UNKNOWN = "No car with this VIN is in the register. You can register it instead."
TOO_MANY = (
    "Your account or your network has had 10 VIN checks in the last hour, the most we answer. "
    "To keep the owners' VINs private, please try again in an hour."
)


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.VIN_CHECKS_PER_HOUR = LIMIT


def document(*, gps: bool = False) -> SimpleUploadedFile:
    img = Image.new("RGB", (160, 100), (240, 240, 230))
    exif = img.getexif()
    if gps:
        exif[ExifTags.Base.Make] = "SpyCam"
        exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"
    buf = BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    return SimpleUploadedFile("IMG_0001.jpg", buf.getvalue(), content_type="image/jpeg")


def add_car(client, vin: str, address: str = "192.0.2.1", **data):
    payload = {"vin": vin, "colour": colour().pk, "market": "DE", **data}
    return client.post(ADD_URL, payload, REMOTE_ADDR=address)


def claim(client, vin: str, address: str = "192.0.2.1", *, evidence=True):
    payload = {"vin": vin, "message": "Bought it in May."}
    if evidence:
        payload["evidence"] = document()
    return client.post(CLAIM_URL, payload, REMOTE_ADDR=address)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def vin_errors(response) -> list[str]:
    return response.context["form"].errors.get("vin", [])


def unregistered_vins(count: int) -> list[str]:
    """Valid VINs that no car has: the factories' sequence may have reached any serial in this process."""
    taken = set(Car.objects.values_list("vin", flat=True))
    return list(itertools.islice((vin for vin in map(make_vin, itertools.count(900)) if vin not in taken), count))


@pytest.fixture
def target(other_owner):
    return VerifiedCarFactory(owner=other_owner)


# The limit ----------------------------------------------------------------------------------------------------


def test_add_car_answers_already_registered_only_up_to_the_limit(client, owner, target):
    client.force_login(owner)

    answers = [vin_errors(add_car(client, target.vin)) for _ in range(LIMIT + 1)]

    assert answers == [[ALREADY]] * LIMIT + [[TOO_MANY]]
    assert Car.objects.count() == 1


def test_claim_form_answers_unknown_only_up_to_the_limit_then_not_even_for_the_right_vin(
    client, owner, target, media_root
):
    client.force_login(owner)

    misses = [vin_errors(claim(client, vin)) for vin in unregistered_vins(LIMIT)]
    right = claim(client, target.vin)

    assert misses == [[UNKNOWN]] * LIMIT
    assert vin_errors(right) == [TOO_MANY]
    assert Claim.objects.count() == 0


def test_limit_counts_every_account_from_one_address_together(client, owner, target):
    accounts = [UserFactory() for _ in range(LIMIT + 1)]

    answers = []
    for account in accounts:
        client.force_login(account)
        answers.append(vin_errors(add_car(client, target.vin, address="198.51.100.7")))
    client.force_login(owner)
    elsewhere = add_car(client, target.vin, address="203.0.113.9")

    assert answers == [[ALREADY]] * LIMIT + [[TOO_MANY]]
    assert vin_errors(elsewhere) == [ALREADY]


def test_limit_counts_one_account_over_every_address(client, owner, target):
    client.force_login(owner)

    answers = [vin_errors(add_car(client, target.vin, address=f"192.0.2.{n + 1}")) for n in range(LIMIT + 1)]

    assert answers == [[ALREADY]] * LIMIT + [[TOO_MANY]]


def test_an_hour_later_the_account_is_answered_again(client, owner, target):
    client.force_login(owner)
    for _ in range(LIMIT + 1):
        add_car(client, target.vin)
    VinCheckCounter.objects.update(window_start=timezone.now() - datetime.timedelta(minutes=61))

    response = add_car(client, target.vin)

    assert vin_errors(response) == [ALREADY]


def test_an_otherwise_invalid_form_says_nothing_about_the_vin_and_is_not_counted(client, owner, target):
    client.force_login(owner)

    response = add_car(client, target.vin, colour="", production_month="1999-01")

    assert vin_errors(response) == []
    assert set(response.context["form"].errors) == {"colour", "production_month"}
    assert VinCheckCounter.objects.count() == 0


def test_claim_without_evidence_says_nothing_about_the_vin(client, owner, target):
    client.force_login(owner)

    response = claim(client, make_vin(999), evidence=False)

    assert response.context["form"].errors == {"evidence": ["This field is required."]}
    assert VinCheckCounter.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_parallel_checks_never_pass_the_limit():
    user = UserFactory()
    barrier = threading.Barrier(LIMIT + 4)
    results = []

    def check():
        try:
            barrier.wait()
            results.append(vin_check_allow(user=user, address="192.0.2.50"))
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(LIMIT + 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 4 + [True] * LIMIT
    counters = VinCheckCounter.objects.order_by("kind")
    assert [(c.kind, c.checks, c.refused) for c in counters] == [("account", LIMIT, 4), ("address", LIMIT, 4)]


def test_registrars_see_the_counters_in_the_admin(owner, target, registrar_client):
    client = signed_in(owner)
    for _ in range(LIMIT + 2):
        add_car(client, target.vin, address="198.51.100.23")

    response = registrar_client.get(reverse("admin:register_vincheckcounter_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    assert owner.email in html
    assert "198.51.100.23" in html
    counters = VinCheckCounter.objects.order_by("kind")
    assert [(c.kind, c.checks, c.refused) for c in counters] == [("account", LIMIT, 2), ("address", LIMIT, 2)]


def test_organisers_do_not_see_the_counters(organiser_client):
    response = organiser_client.get(reverse("admin:register_vincheckcounter_changelist"))

    assert response.status_code == 403


# Evidence -----------------------------------------------------------------------------------------------------


@pytest.fixture
def sent_claim(owner, target, media_root, storage_backend, django_capture_on_commit_callbacks):
    # On the local disk and in the object store's private bucket alike.
    client = signed_in(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CLAIM_URL, {"vin": target.vin, "message": "Mine now.", "evidence": document(gps=True)})
    assert response.status_code == 302
    return Claim.objects.get()


def evidence_url(claim: Claim) -> str:
    return reverse("admin:register_claim_evidence", args=[claim.pk])


def test_evidence_is_stored_privately_cleaned_and_not_under_media(sent_claim):
    client = Client()

    assert private_storage.exists(sent_claim.evidence.name)
    assert sent_claim.evidence.name != "claims/IMG_0001.jpg"
    with Image.open(BytesIO(read(sent_claim.evidence))) as stored:
        assert dict(stored.getexif()) == {}
    assert files_under(default_storage) == []
    assert client.get(f"{settings.MEDIA_URL}{sent_claim.evidence.name}").status_code == 404
    with pytest.raises(ValueError, match="no URL"):
        sent_claim.evidence.url  # noqa: B018 (the property is the test)


def test_evidence_is_shown_to_registrars_only(sent_claim, registrar, organiser, other_owner):
    stored = read(sent_claim.evidence)
    registrar_client, organiser_client, client = signed_in(registrar), signed_in(organiser), signed_in(other_owner)

    as_registrar = registrar_client.get(evidence_url(sent_claim))
    change_page = registrar_client.get(reverse("admin:register_claim_change", args=[sent_claim.pk]))
    as_organiser = organiser_client.get(evidence_url(sent_claim))
    as_owner = client.get(evidence_url(sent_claim))

    assert as_registrar.status_code == 200
    assert as_registrar["Content-Type"] == "image/jpeg"
    assert "private, no-store" in as_registrar["Cache-Control"]
    body = b"".join(as_registrar.streaming_content)
    as_registrar.close()
    assert body == stored
    assert f'src="{evidence_url(sent_claim)}"' in change_page.content.decode()
    assert as_organiser.status_code == 403
    assert as_owner.status_code == 302  # to the admin login


def test_evidence_whose_file_is_gone_is_not_found(sent_claim, registrar):
    private_storage.delete(sent_claim.evidence.name)

    assert signed_in(registrar).get(evidence_url(sent_claim)).status_code == 404


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_deciding_a_claim_deletes_its_evidence(sent_claim, registrar, action, django_capture_on_commit_callbacks):
    registrar_client = signed_in(registrar)
    name = sent_claim.evidence.name

    with django_capture_on_commit_callbacks(execute=True):
        registrar_client.post(
            reverse("admin:register_claim_changelist"),
            {"action": action, "_selected_action": [sent_claim.pk], "confirmed": "yes"},
        )

    sent_claim.refresh_from_db()
    assert sent_claim.status != Claim.Status.PENDING
    assert not private_storage.exists(name)
    assert sent_claim.evidence.name == ""
    assert registrar_client.get(evidence_url(sent_claim)).status_code == 404


def test_approving_one_claim_deletes_the_evidence_of_the_competing_claims(
    sent_claim, target, registrar, django_capture_on_commit_callbacks
):
    registrar_client = signed_in(registrar)
    rival = UserFactory()
    client = signed_in(rival)
    client.post(CLAIM_URL, {"vin": target.vin, "message": "No, mine.", "evidence": document()})
    rival_claim = Claim.objects.get(claimant=rival)
    rival_name = rival_claim.evidence.name
    assert private_storage.exists(rival_name)

    with django_capture_on_commit_callbacks(execute=True):
        registrar_client.post(
            reverse("admin:register_claim_changelist"),
            {"action": "approve", "_selected_action": [sent_claim.pk], "confirmed": "yes"},
        )

    rival_claim.refresh_from_db()
    assert rival_claim.status == Claim.Status.REJECTED
    assert rival_claim.evidence.name == ""
    assert not private_storage.exists(rival_name)


def test_deleting_the_account_deletes_the_evidence_of_its_claims(
    sent_claim, owner, django_capture_on_commit_callbacks
):
    name = sent_claim.evidence.name

    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=owner)

    sent_claim.refresh_from_db()
    assert sent_claim.status == Claim.Status.WITHDRAWN
    assert sent_claim.evidence.name == ""
    assert not private_storage.exists(name)
