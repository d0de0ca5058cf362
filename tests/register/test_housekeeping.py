"""The register's daily housekeeping (register.tasks.housekeeping) as services: what goes, what stays."""

from __future__ import annotations

import datetime
import os
import time

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

pytestmark = pytest.mark.django_db


def age(path: str, *, hours: float) -> None:
    stamp = time.time() - hours * 3600
    os.utime(path, (stamp, stamp))


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


def test_evidence_of_a_rolled_back_claim_is_deleted_once_an_hour_old(settings):
    car, claimant = VerifiedCarFactory(), UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        claim = claim_create(car=car, claimant=claimant, evidence=document())
        left_behind = claim.evidence.path
        raise RuntimeError("the request failed after the claim was written")
    assert not Claim.objects.exists() and os.path.exists(left_behind)

    assert claim_evidence_orphans_delete() == []  # younger than an hour: its transaction may be committing
    age(left_behind, hours=2)
    assert claim_evidence_orphans_delete() == [f"claims/{os.path.basename(left_behind)}"]
    assert not os.path.exists(left_behind)


def test_evidence_of_a_pending_claim_stays_however_old():
    claim = claim_create(car=VerifiedCarFactory(), claimant=UserFactory(), evidence=document())
    age(claim.evidence.path, hours=24 * 30)

    assert claim_evidence_orphans_delete() == []
    assert private_storage.exists(claim.evidence.name)


def test_no_evidence_folder_yet_is_nothing_to_do():
    assert not private_storage.exists("claims")
    assert claim_evidence_orphans_delete() == []


def test_a_duplicate_claim_leaves_no_evidence_behind():
    car, claimant = VerifiedCarFactory(), UserFactory()
    claim_create(car=car, claimant=claimant, evidence=document())
    with pytest.raises(RegisterError):
        claim_create(car=car, claimant=claimant, evidence=document())

    _dirs, files = private_storage.listdir("claims")
    assert len(files) == 1
