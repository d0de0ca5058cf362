"""The register's daily housekeeping (register.tasks.housekeeping) as services: what goes, what stays."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from register.models import Claim, VinCheckCounter, private_storage
from register.services import (
    RegisterError,
    claim_create,
    claim_evidence_orphans_delete,
    vin_check_allow,
    vin_check_counters_forget,
)
from tests.factories import UserFactory, VerifiedCarFactory
from tests.register.test_claims import document
from tests.storage import files_under

pytestmark = pytest.mark.django_db


def in_hours(hours: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=hours)


def test_counters_unused_for_the_kept_days_are_forgotten_and_a_fresh_one_counts_from_zero(settings):
    settings.VIN_CHECKS_PER_HOUR = 1
    user = UserFactory()
    assert vin_check_allow(user=user, address="192.0.2.7")
    assert not vin_check_allow(user=user, address="192.0.2.7")
    VinCheckCounter.objects.update(
        last_check=timezone.now() - settings.VIN_CHECK_COUNTERS_KEPT - datetime.timedelta(minutes=1)
    )
    recent = VinCheckCounter.objects.create(
        kind=VinCheckCounter.Kind.ADDRESS, key="192.0.2.8", window_start=timezone.now(), last_check=timezone.now()
    )

    assert vin_check_counters_forget() == 2

    assert list(VinCheckCounter.objects.all()) == [recent]
    assert vin_check_allow(user=user, address="192.0.2.7")


def test_evidence_of_a_rolled_back_claim_is_deleted_once_an_hour_old(storage_backend):
    car, claimant = VerifiedCarFactory(), UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        claim = claim_create(car=car, claimant=claimant, evidence=document())
        left_behind = claim.evidence.name
        raise RuntimeError("the request failed after the claim was written")
    assert not Claim.objects.exists() and private_storage.exists(left_behind)

    assert claim_evidence_orphans_delete() == []  # younger than an hour: its transaction may be committing
    assert claim_evidence_orphans_delete(now=in_hours(2)) == [left_behind]
    assert not private_storage.exists(left_behind)


def test_evidence_of_a_pending_claim_stays_however_old(storage_backend):
    claim = claim_create(car=VerifiedCarFactory(), claimant=UserFactory(), evidence=document())

    assert claim_evidence_orphans_delete(now=in_hours(24 * 30)) == []
    assert private_storage.exists(claim.evidence.name)


def test_no_evidence_folder_yet_is_nothing_to_do(storage_backend):
    assert files_under(private_storage) == []
    assert claim_evidence_orphans_delete(now=in_hours(2)) == []


def test_a_duplicate_claim_leaves_no_evidence_behind():
    car, claimant = VerifiedCarFactory(), UserFactory()
    claim_create(car=car, claimant=claimant, evidence=document())
    with pytest.raises(RegisterError):
        claim_create(car=car, claimant=claimant, evidence=document())

    _dirs, files = private_storage.listdir("claims")
    assert len(files) == 1
