"""State changes of the register. Views, admin actions, the import and tests call these."""

from __future__ import annotations

import datetime

from allauth.account.models import EmailAddress
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from register import emails
from register.models import Car, Claim, Ownership, RegisteredModel, User, VinCheckCounter, private_storage
from register.signals import account_closing, car_owner_changed
from register.vin import VinResult, validate_vin


class RegisterError(Exception):
    """A rule of the register was broken; the message is for the user."""


def vin_check(raw: str, *, market: str | None = None) -> VinResult:
    """Validate a VIN against the registered model's facts (kept in the database)."""
    model = RegisteredModel.current()
    if model is None:
        return validate_vin(raw, market=market)
    return validate_vin(
        raw,
        market=market,
        wmi=model.wmi,
        vds_prefix=model.vds_prefix,
        year_codes=model.model_year_codes,
        rules=model.vin_flag_rules(),
    )


VIN_CHECK_WINDOW = datetime.timedelta(hours=1)


def _vin_counter(*, kind: str, key: str, user: User | None) -> VinCheckCounter:
    VinCheckCounter.objects.get_or_create(kind=kind, key=key, defaults={"user": user, "window_start": timezone.now()})
    return VinCheckCounter.objects.select_for_update().get(kind=kind, key=key)


@transaction.atomic
def vin_check_allow(*, user: User, address: str) -> bool:
    """Count one "is this VIN registered?" answer for ``user`` and for the client ``address``.

    False, and nothing may be answered, once either has had ``VIN_CHECKS_PER_HOUR`` answers in its
    current hour; the refusal is counted too, so registrars see who keeps trying. Both counters are
    locked, the account's first, so parallel requests cannot overrun the limit.
    """
    now = timezone.now()
    counters = [
        _vin_counter(kind=VinCheckCounter.Kind.ACCOUNT, key=str(user.pk), user=user),
        _vin_counter(kind=VinCheckCounter.Kind.ADDRESS, key=address, user=None),
    ]
    for counter in counters:
        if now - counter.window_start >= VIN_CHECK_WINDOW:
            counter.window_start, counter.checks, counter.refused = now, 0, 0
    allowed = all(counter.checks < settings.VIN_CHECKS_PER_HOUR for counter in counters)
    for counter in counters:
        if allowed:
            counter.checks += 1
        else:
            counter.refused += 1
            counter.refused_total += 1
        counter.last_check = now
        counter.save()
    return allowed


@transaction.atomic
def car_register(*, owner: User, vin: str, colour, market: str, **fields) -> Car:
    """Register a car as pending; the VIN must pass validation and not be registered yet."""
    result = vin_check(vin, market=str(market))
    if not result.is_valid:
        raise ValidationError({"vin": result.errors})
    if Car.objects.filter(vin=result.vin).exists():
        raise RegisterError(_("This car is already registered."))
    try:
        # A savepoint: two people registering the same VIN at once meet the unique constraint.
        with transaction.atomic():
            car = Car.objects.create(
                vin=result.vin,
                colour=colour,
                market=market,
                owner=owner,
                check_digit_flag=result.check_digit_flag,
                vin_flags="\n".join(result.flags),
                **fields,
            )
    except IntegrityError:
        if Car.objects.filter(vin=result.vin).exists():
            raise RegisterError(_("This car is already registered.")) from None
        raise
    Ownership.objects.create(car=car, owner=owner, started=car.created)
    return car


@transaction.atomic
def car_update(*, car: Car, **fields) -> Car:
    """Change what an owner may change: only the fields given, on the row as it is now.

    The VIN is fixed once registered. The row is read again under a lock and only ``fields`` are
    written, so a verification (status, register number) or another change committed since the owner's
    form was loaded is kept. Callers pass only what the owner changed.
    """
    fields.pop("vin", None)
    current = Car.objects.select_for_update().get(pk=car.pk)
    for name, value in fields.items():
        setattr(current, name, value)
    written = list(fields)
    if "market" in fields:
        # The registrar's flags (position 7, the check digit) depend on the market.
        result = vin_check(current.vin, market=str(current.market))
        current.check_digit_flag, current.vin_flags = result.check_digit_flag, "\n".join(result.flags)
        written += ["check_digit_flag", "vin_flags"]
    if written:
        current.save(update_fields=[*written, "updated"])
    return current


@transaction.atomic
def car_vin_flags_refresh(*, car: Car) -> Car:
    """Check a registered car's VIN again against the model facts as they are now (a registrar may
    have corrected them) and store the check-digit flag and the VIN flags."""
    current = Car.objects.select_for_update().get(pk=car.pk)
    result = vin_check(current.vin, market=str(current.market))
    current.check_digit_flag, current.vin_flags = result.check_digit_flag, "\n".join(result.flags)
    current.save(update_fields=["check_digit_flag", "vin_flags", "updated"])
    return current


def _next_register_number() -> int:
    # A database sequence: concurrent verifications never share a number and a
    # number is never handed out twice, even if its car is later unverified.
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('register_car_register_number_seq')")
        return cursor.fetchone()[0]


@transaction.atomic
def car_verify(*, car: Car, by: User | None = None, notify: bool = True) -> Car:
    """Mark a car verified; its register number is given on first verification and kept. The owner is
    emailed the number (``notify``: the import of an existing register tells nobody)."""
    car = Car.objects.select_for_update().get(pk=car.pk)
    if car.status == Car.Status.VERIFIED:
        return car
    if car.register_number is None:
        car.register_number = _next_register_number()
    car.status = Car.Status.VERIFIED
    car.verified_at = timezone.now()
    car._change_reason = f"verified by {by}" if by else "verified"
    car.save()
    if notify:
        emails.car_verified(car)
    return car


@transaction.atomic
def car_unverify(*, car: Car) -> Car:
    """Back to pending. The register number stays with the car and is never reused."""
    car = Car.objects.select_for_update().get(pk=car.pk)
    car.status = Car.Status.PENDING
    car.verified_at = None
    car.save()
    return car


def vin_check_counters_forget(*, now=None) -> int:
    """Delete the VIN-check counters nobody used for VIN_CHECK_COUNTERS_KEPT (they hold client addresses)
    and return how many went. A counter idle for over an hour limits nothing; it is kept that long only for
    the registrars to see who kept trying. Run daily by the retention job (``portal/privacy/retention.py``)."""
    cutoff = (now or timezone.now()) - settings.VIN_CHECK_COUNTERS_KEPT
    deleted, _per_model = VinCheckCounter.objects.filter(last_check__lt=cutoff).delete()
    return deleted


EVIDENCE_ORPHAN_AGE = datetime.timedelta(hours=1)


def claim_evidence_orphans_delete(*, now=None) -> list[str]:
    """Delete evidence files no claim refers to, older than EVIDENCE_ORPHAN_AGE, and return their names.

    ``claim_create`` writes the photo before its transaction commits; if that transaction rolls back (or the
    process dies), the file is left with nothing pointing at it. A file younger than an hour may belong to a
    claim whose transaction has not committed yet, so it stays until the next run.
    """
    try:
        _dirs, files = private_storage.listdir("claims")
    except FileNotFoundError:
        return []
    referenced = set(Claim.objects.exclude(evidence="").values_list("evidence", flat=True))
    cutoff = (now or timezone.now()) - EVIDENCE_ORPHAN_AGE
    orphans = [
        name
        for name in (f"claims/{file}" for file in files)
        if name not in referenced and private_storage.get_modified_time(name) < cutoff
    ]
    for name in orphans:
        private_storage.delete(name)
    return orphans


def _constraint_name(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _evidence_discard(claims: list[Claim]) -> None:
    """A decided claim keeps no evidence: the field is emptied now, the files go at commit."""
    names = [claim.evidence.name for claim in claims if claim.evidence]
    if not names:
        return
    Claim.objects.filter(pk__in=[claim.pk for claim in claims]).update(evidence="")
    for claim in claims:
        claim.evidence = ""
    transaction.on_commit(lambda: [private_storage.delete(name) for name in names])


@transaction.atomic
def claim_create(*, car: Car, claimant: User, message: str = "", evidence=None) -> Claim:
    """Ask the registrars to move an already registered car to ``claimant``.

    One pending claim per car and claimant: a duplicate, also one racing the first into the database's
    unique index, gets the same answer. ``evidence`` (a cleaned photo of the registration document,
    from register.photos) is kept in private storage until the claim is decided.
    """
    duplicate = _("You have already claimed this car; a registrar will decide soon.")
    if car.owner_id == claimant.pk:
        raise RegisterError(_("This car is already in your garage."))
    if Claim.objects.pending().filter(car=car, claimant=claimant).exists():
        raise RegisterError(duplicate)
    claim = Claim(car=car, claimant=claimant, message=message)
    if evidence is not None:
        claim.evidence.save(evidence.name, evidence, save=False)
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError as error:
        if claim.evidence:
            private_storage.delete(claim.evidence.name)
        if _constraint_name(error) == "one_pending_claim_per_claimant":
            raise RegisterError(duplicate) from error
        raise
    emails.claim_received(claim)
    return claim


def _lock_claims_of_car(claim: Claim) -> tuple[Car, Claim, list[Claim]]:
    """Lock the claim's car, then every claim on that car in id order; return (car, claim, the other
    pending claims). The one lock order of every claim decision, so two registrars deciding competing
    claims for one car queue up instead of deadlocking."""
    car_id = Claim.objects.values_list("car_id", flat=True).get(pk=claim.pk)
    # NO KEY UPDATE: rows that only reference the car (a new entry, a new claim) are not held up.
    car = Car.objects.select_for_update(of=("self",), no_key=True).select_related("owner").get(pk=car_id)
    claims = list(
        Claim.objects.select_for_update(of=("self",)).select_related("claimant").filter(car=car).order_by("pk")
    )
    for each in claims:
        each.car = car
    this = next(c for c in claims if c.pk == claim.pk)
    others = [c for c in claims if c.pk != claim.pk and c.status == Claim.Status.PENDING]
    return car, this, others


@transaction.atomic
def claim_approve(*, claim: Claim, by: User | None = None) -> Claim:
    """Move the car to the claimant, close the old ownership and open a new one; the car's other pending
    claims are rejected. Locks the car first, then its claims (see ``_lock_claims_of_car``).

    Events then cancels the car's entries for sessions not yet over (``signals.car_owner_changed``, in this
    transaction): the previous owner is told per entry, the new owner in the approval email, and may sign up again.
    """
    car, claim, others = _lock_claims_of_car(claim)
    if claim.status != Claim.Status.PENDING:
        raise RegisterError(_("This claim has already been decided."))
    previous_owner = car.owner
    now = timezone.now()
    Ownership.objects.filter(car=car, ended__isnull=True).update(ended=now)
    Ownership.objects.create(car=car, owner=claim.claimant, started=now, note=_("Claim approved"))
    car.owner = claim.claimant
    car.save(update_fields=["owner", "updated"])
    cancelled = [entry for _, entries in car_owner_changed.send(sender=Car, car=car, by=by) for entry in entries]
    claim.status = Claim.Status.APPROVED
    claim.decided_at = now
    claim.decided_by = by
    claim.save(update_fields=["status", "decided_at", "decided_by"])
    # Any other pending claim on this car is now moot.
    Claim.objects.filter(pk__in=[c.pk for c in others]).update(
        status=Claim.Status.REJECTED, decided_at=now, decided_by=by
    )
    _evidence_discard([claim, *others])
    emails.claim_approved(claim, previous_owner, cancelled=cancelled)
    for other in others:
        emails.claim_rejected(other)
    return claim


@transaction.atomic
def claim_reject(*, claim: Claim, by: User | None = None) -> Claim:
    """Refuse a pending claim; the car stays with its owner. Same lock order as ``claim_approve``."""
    _car, claim, _others = _lock_claims_of_car(claim)
    if claim.status != Claim.Status.PENDING:
        raise RegisterError(_("This claim has already been decided."))
    claim.status = Claim.Status.REJECTED
    claim.decided_at = timezone.now()
    claim.decided_by = by
    claim.save(update_fields=["status", "decided_at", "decided_by"])
    _evidence_discard([claim])
    emails.claim_rejected(claim)
    return claim


def email_address_release(*, email: str, user: User) -> None:
    """``user`` signed up with ``email``: the address is no longer pending on any other account, so a
    confirmation link sent for it there (by someone who added it to their account) stops working."""
    EmailAddress.objects.filter(email__iexact=email, verified=False).exclude(user=user).delete()


def user_profile_update(
    *, user: User, display_name: str, country: str, show_name_publicly: bool, language: str | None = None
) -> User:
    """Change the owner's profile. The name appears on public pages only with ``show_name_publicly``;
    ``language`` (one of settings.LANGUAGES; empty keeps it) is used for their pages and emails."""
    user.display_name = display_name
    user.country = country
    user.show_name_publicly = show_name_publicly
    fields = ["display_name", "country", "show_name_publicly"]
    if language:
        user.language = language
        fields.append("language")
    user.save(update_fields=fields)
    return user


def user_language_set(*, user: User, language: str) -> User:
    """Save the language a person chose; it must be one of settings.LANGUAGES (others are ignored)."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete an account: erase the person, keep the register's records.

    Kept, with a placeholder for the person ("deleted account #id"): their cars (without owner), every
    ownership period (the open one is closed, its note untouched), every claim (pending ones are
    withdrawn), entries (without driver) and their audit trail. Erased: the account with its email
    addresses, profile and sessions, its claims' registration documents, and the failed-login records of
    its email. First the apps built on the register end what the person still has running
    (``signals.account_closing``: events cancels their entries of sessions not yet over, slot freed, waitlist
    promoted, emails sent), under the lock of the person's cars, the one a sign-up takes first.
    """
    # The person's cars first, as a sign-up locks its car before its session: a sign-up committing now is
    # waited for, then cancelled below, instead of staying active with its driver erased.
    list(Car.objects.select_for_update(no_key=True).filter(owner=user).order_by("pk").values_list("pk", flat=True))
    account_closing.send(sender=User, user=user)
    now = timezone.now()
    Ownership.objects.filter(owner=user, ended__isnull=True).update(ended=now)
    Ownership.objects.filter(owner=user).update(former_owner_id=user.pk)
    # A withdrawn claim keeps no registration document, like a decided one.
    _evidence_discard(list(Claim.objects.filter(claimant=user).exclude(evidence="")))
    Claim.objects.pending().filter(claimant=user).update(status=Claim.Status.WITHDRAWN, decided_at=now)
    Claim.objects.filter(claimant=user).update(former_claimant_id=user.pk)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=user.email).delete()
    user.delete()
