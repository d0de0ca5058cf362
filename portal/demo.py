"""Synthetic demo data for development: owners, cars, photos, logins and two gatherings.

Everything is made up and deterministic (a seeded random generator): names are first names plus an
initial, emails are @example.org / @example.com, VINs are synthetic (serial numbers in a 9xxxxx range
chosen for the demo) and only pass the validator's rules. Seeding is idempotent: every object is
looked up by a natural key (email, VIN, slug) and only created when missing.

Seeding mails nobody: entries are written directly, like an import, and the 2025 convoy's order (through
the organisers' service) is of a session that is over, which notes no notice. The outbox stays empty.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from events.models import AttentionNote, Declaration, EmergencyContact, Entry, Event, Session
from events.payment_reference import payment_reference_new
from events.services import convoy_assign_by_colour, declaration_publish
from portal.demo_data import (
    ADMIN_EMAIL,
    ATTENTION_NOTE,
    DECLARATION,
    DEMO_PASSWORD,
    EMERGENCY_CONTACTS,
    ENTRY_REASON,
    JAVA_GREEN,
    MONTE_CARLO,
    ORANGE,
    ORGANISER_EMAIL,
    OWNER_EMAIL,
    PACE_CAR,
    PHOTO_COUNT,
    REGISTRAR_EMAIL,
    REQUIREMENTS,
    WHITE,
    CarSpec,
    OwnerSpec,
    SeedReport,
    _aware,
    build_cars,
    build_owners,
    demo_vin,
    draw_car,
    next_gathering_year,
    third_weekend_of_september,
)
from register import photos, services
from register.models import Car, Colour, User


class Seeder:
    def __init__(self, *, today: datetime.date | None = None, now: datetime.datetime | None = None):
        self.now = now or timezone.now()
        self.today = today or timezone.localdate(self.now)
        self.rng = random.Random(2011)
        self.report = SeedReport()
        self.colours = {c.name: c for c in Colour.objects.all()}

    # --- people --------------------------------------------------------------------------------------

    def _login(self, email: str, display_name: str, *, group: str | None = None, **flags) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                display_name=display_name,
                country="DE",
                show_name_publicly=True,
                **flags,
            )
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            self.report.add("demo logins")
        if group:
            user.groups.add(Group.objects.get_or_create(name=group)[0])
        return user

    def seed_logins(self) -> User:
        self._login(ADMIN_EMAIL, "Demo Admin", is_staff=True, is_superuser=True)
        self._login(ORGANISER_EMAIL, "Demo Organiser", group="Organisers", is_staff=True)
        self._login(REGISTRAR_EMAIL, "Demo Registrar", group="Registrars", is_staff=True)
        return self._login(OWNER_EMAIL, "Demo Owner")

    def seed_owners(self, specs: list[OwnerSpec]) -> dict[int, User]:
        existing = set(User.objects.filter(email__in=[s.email for s in specs]).values_list("email", flat=True))
        unusable = make_password(None)  # synthetic owners cannot log in
        new = [
            User(
                email=s.email,
                display_name=s.display_name,
                country=s.country,
                show_name_publicly=s.show_name_publicly,
                password=unusable,
            )
            for s in specs
            if s.email not in existing
        ]
        User.objects.bulk_create(new)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in new]
        )
        self.report.add("owners", len(new))
        by_email = {u.email: u for u in User.objects.filter(email__in=[s.email for s in specs])}
        return {s.index: by_email[s.email] for s in specs}

    # --- cars ------------------------------------------------------------------------------------------

    def _register(self, *, owner: User, spec: CarSpec) -> Car:
        car = services.car_register(
            owner=owner,
            vin=spec.vin,
            colour=self.colours[spec.colour],
            market=spec.market,
            colour_note=spec.colour_note,
            nickname=spec.nickname,
            production_month=spec.production_month,
        )
        if spec.verified:
            car = services.car_verify(car=car, notify=False)  # thousands of made-up owners: no mail
        self.report.add("cars")
        return car

    def seed_cars(self, specs: list[CarSpec], owners: dict[int, User]) -> list[Car]:
        vins = [s.vin for s in specs]
        existing = set(Car.objects.filter(vin__in=vins).values_list("vin", flat=True))
        for spec in specs:
            if spec.vin not in existing:
                self._register(owner=owners[spec.owner_index], spec=spec)
        by_vin = {c.vin: c for c in Car.objects.filter(vin__in=vins).select_related("colour", "owner")}
        return [by_vin[vin] for vin in vins]

    def seed_demo_owner_cars(self, owner: User) -> None:
        specs = [
            CarSpec(-1, "", ORANGE, "DE", datetime.date(2011, 5, 1), True, nickname="Orange Demo"),
            CarSpec(-1, "", WHITE, "GB", datetime.date(2012, 2, 1), False),
        ]
        for serial, spec in zip((99990, 99991), specs, strict=True):
            spec.vin = demo_vin(market=spec.market, serial=serial, production_month=spec.production_month)
            if not Car.objects.filter(vin=spec.vin).exists():
                self._register(owner=owner, spec=spec)

    def seed_photos(self, cars: list[Car]) -> None:
        candidates = [c for c in cars if c.status == Car.Status.VERIFIED][:PHOTO_COUNT]
        with_photos = set(
            Car.objects.filter(pk__in=[c.pk for c in candidates], photos__isnull=False).values_list("pk", flat=True)
        )
        for car in candidates:
            if car.pk in with_photos:
                continue
            upload = ContentFile(draw_car(car.colour.hex), name="demo.png")
            photos.photo_add(car=car, upload=upload, caption="Demo drawing")
            self.report.add("photos")

    # --- events ----------------------------------------------------------------------------------------

    def _entries(self, session: Session, cars: list[Car], *, signup_from, signup_to, checked_in=None, slots=True):
        """Confirmed entries for ``cars`` in slot order; written directly, like an import of past data. In a
        session with a fee, each has paid it (in cash: no bank statement holds it) when it signed up."""
        span = int((signup_to - signup_from).total_seconds())
        created = sorted(signup_from + datetime.timedelta(seconds=self.rng.randint(0, span)) for _ in cars)
        entries = [
            Entry(
                session=session,
                car=car,
                driver=car.owner,
                status=Entry.Status.CONFIRMED,
                slot=number if slots else None,
                requirements_confirmed=bool(session.requirements),
                created=at,
                checked_in_at=checked_in,
                **(
                    {"amount_due": session.fee, "paid_at": at, "payment_reference": payment_reference_new()}
                    if session.is_paid
                    else {}
                ),
            )
            for number, (car, at) in enumerate(zip(cars, created, strict=True), start=1)
        ]
        for entry in entries:
            entry._history_date = entry.created  # the audit trail starts at the sign-up
        bulk_create_with_history(entries, Entry, default_change_reason=ENTRY_REASON)
        self.report.add("entries", len(entries))

    def _session(self, event: Event, slug: str, **fields) -> tuple[Session, bool]:
        session, created = Session.objects.get_or_create(event=event, slug=slug, defaults=fields)
        if created:
            self.report.add("sessions")
        return session, created

    def seed_gathering_2025(self, pool: list[Car]) -> Event:
        event, created = Event.objects.get_or_create(
            slug="gathering-2025",
            defaults={
                "name": "1M Register Annual Gathering 2025",
                "venue": "Nürburgring",
                "starts_on": datetime.date(2025, 9, 19),
                "ends_on": datetime.date(2025, 9, 21),
                "description": "105 cars on the Nordschleife behind a BMW 2002 turbo on Saturday; "
                "a wet GP circuit session on Sunday.",
                "registration_opens": _aware(datetime.date(2025, 4, 1), 10),
                "registration_closes": _aware(datetime.date(2025, 9, 1), 0),
                "roster_published": True,
                "roster_published_at": _aware(datetime.date(2025, 9, 10), 12),
            },
        )
        if created:
            self.report.add("events")
        window = {"signup_from": event.registration_opens, "signup_to": event.registration_closes}
        saturday, sunday = datetime.date(2025, 9, 20), datetime.date(2025, 9, 21)
        convoy, new = self._session(
            event,
            "nordschleife-convoy",
            name="Nordschleife convoy",
            kind=Session.Kind.CONVOY,
            track=Session.Track.NORDSCHLEIFE,
            starts_at=_aware(saturday, 17, 30),
            ends_at=_aware(saturday, 19),
            capacity=105,
            laps=2,
            pace_car=PACE_CAR,
        )
        if new:
            self._entries(convoy, pool[:105], checked_in=convoy.starts_at - datetime.timedelta(hours=1), **window)
            # The organisers' photo convoy: largest colour group first, through the same service as the admin.
            convoy_assign_by_colour(session=convoy, by=None)
        gp, new = self._session(
            event,
            "gp-wet-session",
            name="GP circuit wet session",
            kind=Session.Kind.TRACK,
            track=Session.Track.GP,
            starts_at=_aware(sunday, 9),
            ends_at=_aware(sunday, 10, 30),
            capacity=55,
            requirements=REQUIREMENTS,
        )
        if new:
            # 105 cars came in all (bmwblog.com 2025-09-26): the 55 of the wet Sunday were all in the convoy.
            cars = self.rng.sample(pool[:105], 55)
            self._entries(gp, cars, checked_in=gp.starts_at - datetime.timedelta(hours=1), **window)
        return event

    def seed_next_gathering(self, pool: list[Car]) -> Event:
        year = max(next_gathering_year(self.today), 2026)
        friday, sunday = third_weekend_of_september(year)
        saturday = friday + datetime.timedelta(days=1)
        opens = self.now - datetime.timedelta(days=30)
        event, created = Event.objects.get_or_create(
            slug=f"gathering-{year}",
            defaults={
                "name": f"1M Register Annual Gathering {year}",
                "venue": "Nürburgring",
                "starts_on": friday,
                "ends_on": sunday,
                "description": "The annual gathering of the register during the ADAC 1000 km race weekend.",
                "registration_opens": opens,
                "registration_closes": _aware(datetime.date(year, 9, 1), 23, 59),
            },
        )
        if created:
            self.report.add("events")
        window = {"signup_from": event.registration_opens, "signup_to": min(self.now, event.registration_closes)}
        convoy, new = self._session(
            event,
            "nordschleife-convoy",
            name="Nordschleife convoy",
            kind=Session.Kind.CONVOY,
            track=Session.Track.NORDSCHLEIFE,
            starts_at=_aware(saturday, 17, 30),
            ends_at=_aware(saturday, 19),
            capacity=12,
            laps=2,
            pace_car=PACE_CAR,
        )
        if new:
            # Three places left: the demo owner signs up into a free place, the next few reach the waitlist.
            self._entries(convoy, self.rng.sample(pool, 9), **window)
        gp, new = self._session(
            event,
            "gp-session",
            name="GP circuit session",
            kind=Session.Kind.TRACK,
            track=Session.Track.GP,
            starts_at=_aware(sunday, 9),
            ends_at=_aware(sunday, 10, 30),
            capacity=55,
            requirements=REQUIREMENTS,
            # A fee, so the demo shows paying by bank transfer: a place held, the GiroCode, the treasurers' books.
            fee=Decimal("45.00"),
        )
        if new:
            self._entries(gp, self.rng.sample(pool, 6), **window)
        self.seed_declaration(event)
        return event

    def seed_declaration(self, event: Event) -> None:
        """The gathering's declaration, published as version 1, needed by its convoy and its track session. Nobody
        has signed it yet: the demo shows the pages that ask."""
        event.sessions.filter(kind__in=[Session.Kind.CONVOY, Session.Kind.TRACK]).update(declaration_required=True)
        declaration, created = Declaration.objects.get_or_create(event=event, defaults=DECLARATION)
        if created:
            self.report.add("declarations")
        if not declaration.versions.exists():
            declaration_publish(declaration=declaration, by=None, notify=False)

    def seed_gate_data(self, event: Event) -> None:
        """Emergency contacts of the first cars of ``event``'s convoy, and an attention note on the first."""
        convoy = event.sessions.get(slug="nordschleife-convoy")
        entries = list(convoy.entries.confirmed().order_by("slot", "pk")[: len(EMERGENCY_CONTACTS)])
        for entry, (name, phone) in zip(entries, EMERGENCY_CONTACTS, strict=False):
            _contact, created = EmergencyContact.objects.get_or_create(
                entry=entry, defaults={"name": name, "phone": phone}
            )
            self.report.add("emergency contacts", int(created))
        if entries:
            _note, created = AttentionNote.objects.get_or_create(entry=entries[0], defaults={"note": ATTENTION_NOTE})
            self.report.add("attention notes", int(created))

    # --- all -------------------------------------------------------------------------------------------

    @transaction.atomic
    def run(self) -> SeedReport:
        demo_owner = self.seed_logins()
        self.seed_demo_owner_cars(demo_owner)
        owner_specs = build_owners(self.rng)
        car_specs = build_cars(self.rng, owner_specs)
        owners = self.seed_owners(owner_specs)
        cars = self.seed_cars(car_specs, owners)
        # One verified car per synthetic owner (their first), so a driver appears once per session.
        pool: list[Car] = []
        seen: set[int] = set()
        for car in cars:
            if car.status == Car.Status.VERIFIED and car.owner_id not in seen:
                seen.add(car.owner_id)
                pool.append(car)
        # Specials first so the Green Mamba and the Monte Carlo Blue cars are in the 2025 convoy.
        pool.sort(key=lambda c: c.colour.name not in (JAVA_GREEN, MONTE_CARLO))
        self.seed_photos(pool)
        self.seed_gathering_2025(pool)
        self.seed_gate_data(self.seed_next_gathering(pool))
        return self.report
