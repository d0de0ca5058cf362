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
import functools
import random
import unicodedata
from dataclasses import dataclass, field
from io import BytesIO

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw
from simple_history.utils import bulk_create_with_history

from events.models import Entry, Event, Session
from events.services import convoy_assign_by_colour
from register import photos, services
from register.models import Car, Colour, User
from register.vin import check_digit

DEMO_PASSWORD = "demo-1M-register"
ADMIN_EMAIL = "admin@example.org"
ORGANISER_EMAIL = "organiser@example.org"
REGISTRAR_EMAIL = "registrar@example.org"
OWNER_EMAIL = "owner@example.org"

ORANGE = "Valencia Orange Metallic"
WHITE = "Alpine White"
BLACK = "Black Sapphire Metallic"
MONTE_CARLO = "Monte Carlo Blue"
JAVA_GREEN = "Java Green"
OTHER = "Other"

OWNER_COUNT = 120
SECOND_CAR_OWNERS = 10  # owners 0..9 have two cars
PENDING_PRIMARY_FROM = 116  # primary cars of owners 116..119 are pending
PENDING_SECOND_CARS = 4  # second cars of owners 0..3 are pending
GREEN_MAMBA_OWNER = 7
MONTE_CARLO_OWNERS = (21, 48)
REPAINT_OWNER = 63
PHOTO_COUNT = 30
REQUIREMENTS = "Helmet and a valid driving licence; wet-weather tyres recommended."
PACE_CAR = "BMW 2002 turbo"
ENTRY_REASON = "demo data"

FIRST_NAMES = [
    "Anna", "Ben", "Carla", "David", "Elena", "Felix", "Greta", "Hannes", "Ines", "Jonas", "Katrin", "Lukas",
    "Marie", "Niklas", "Olivia", "Paul", "Rosa", "Stefan", "Tanja", "Ulrich", "Vera", "Wim", "Yvonne", "Zoë",
    "James", "Emily", "Oliver", "Charlotte", "Harry", "Sophie", "Jack", "Chloe", "Michael", "Jessica", "Ryan",
    "Ashley", "Tyler", "Megan", "Brandon", "Lauren", "Liam", "Mia", "Noah", "Ava", "Lucas", "Emma", "Matteo",
    "Giulia", "Léa", "Hugo", "Camille", "Louis", "Sven", "Astrid", "Lars", "Ingrid", "Pieter", "Sanne", "Jürgen",
    "Søren", "François", "Chiara", "Mateo", "Lucía", "Tom", "Kate", "Sam", "Priya", "Kenji", "Nadia",
]  # fmt: skip
LAST_INITIALS = "ABCDEFGHJKLMNPRSTVWZ"

# (country, weight): roughly like the known delivery figures, plus European markets.
MARKETS = [
    ("US", 19), ("DE", 22), ("GB", 14), ("CH", 8), ("NL", 8), ("FR", 6), ("AU", 8), ("CA", 6),
    ("BE", 4), ("AT", 4), ("IT", 3), ("SE", 3), ("ES", 2), ("DK", 2), ("NO", 2), ("LU", 1), ("ZA", 1),
]  # fmt: skip

# How many cars of each colour besides the special ones; orange > white > black.
COLOUR_COUNTS = [(ORANGE, 57), (WHITE, 39), (BLACK, 30)]


@dataclass
class OwnerSpec:
    index: int
    email: str
    display_name: str
    country: str
    show_name_publicly: bool


@dataclass
class CarSpec:
    owner_index: int
    vin: str
    colour: str
    market: str
    production_month: datetime.date
    verified: bool
    colour_note: str = ""
    nickname: str = ""


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, count: int = 1) -> None:
        if count:
            self.created[what] = self.created.get(what, 0) + count


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def demo_vin(*, market: str, serial: int, production_month: datetime.date) -> str:
    """A synthetic 1M VIN for ``market`` with a correct check digit.

    North America: ``C`` at position 7, model year 2011 (``B``). Australia: the right-hand-drive
    ``WBSUR92`` pattern with ``0`` at position 10; the other right-hand-drive markets (UK, South Africa)
    ``WBSUR92`` too. Elsewhere: ``WBSUR91``; ``B``/``C`` by build year outside Australia. Plant Leipzig
    (``V``) at position 11; positions 12–17 are a made-up 9xxxxx serial. So no demo car carries a VIN flag.
    """
    if market in ("US", "CA"):
        prefix, year = "WBSUR9C", "B"
    elif market == "AU":
        prefix, year = "WBSUR92", "0"
    elif market in ("GB", "ZA"):
        prefix, year = "WBSUR92", "B" if production_month.year == 2011 else "C"
    else:
        prefix, year = "WBSUR91", "B" if production_month.year == 2011 else "C"
    body = f"{prefix}0?{year}V9{serial:05d}"
    return body[:8] + check_digit(body.replace("?", "0")) + body[9:]


def _production_month(rng: random.Random, market: str) -> datetime.date:
    # Production ran March 2011 to June 2012; North American cars were built in 2011 only (to September).
    months = [datetime.date(2011, m, 1) for m in range(3, 13)] + [datetime.date(2012, m, 1) for m in range(1, 7)]
    if market in ("US", "CA"):
        months = [m for m in months if m <= datetime.date(2011, 9, 1)]
    return rng.choice(months)


def build_owners(rng: random.Random) -> list[OwnerSpec]:
    countries = [c for c, _ in MARKETS]
    weights = [w for _, w in MARKETS]
    owners = []
    for n in range(OWNER_COUNT):
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        initial = LAST_INITIALS[(n * 7) % len(LAST_INITIALS)]
        country = "DE" if n in (GREEN_MAMBA_OWNER, *MONTE_CARLO_OWNERS) else rng.choices(countries, weights)[0]
        domain = "example.org" if n % 2 == 0 else "example.com"
        owners.append(
            OwnerSpec(
                index=n,
                email=f"{_ascii(first)}.{initial.lower()}{n:03d}@{domain}",
                display_name=f"{first} {initial}.",
                country=country,
                show_name_publicly=n % 5 in (0, 2),  # exactly 40 %
            )
        )
    return owners


def build_cars(rng: random.Random, owners: list[OwnerSpec]) -> list[CarSpec]:
    colours = [name for name, count in COLOUR_COUNTS for _ in range(count)]
    rng.shuffle(colours)
    cars = []
    serial = 1000
    # Primary cars (one per owner), then second cars for the first few owners.
    slots = [(o, True) for o in owners] + [(owners[i], False) for i in range(SECOND_CAR_OWNERS)]
    for owner, primary in slots:
        serial += rng.randint(3, 40)
        # A second car usually comes from the owner's own market, sometimes an import.
        market = owner.country if primary or rng.random() < 0.7 else rng.choice(["DE", "GB", "US", "CH"])
        month = _production_month(rng, market)
        spec = CarSpec(
            owner_index=owner.index,
            vin=demo_vin(market=market, serial=serial, production_month=month),
            colour="",
            market=market,
            production_month=month,
            verified=(owner.index < PENDING_PRIMARY_FROM) if primary else (owner.index >= PENDING_SECOND_CARS),
        )
        if primary and owner.index == GREEN_MAMBA_OWNER:
            spec.colour, spec.colour_note, spec.nickname = JAVA_GREEN, "BMW Individual", "Green Mamba"
        elif primary and owner.index in MONTE_CARLO_OWNERS:
            spec.colour, spec.colour_note = MONTE_CARLO, "BMW Individual"
        elif primary and owner.index == REPAINT_OWNER:
            spec.colour, spec.colour_note = OTHER, "Frozen grey repaint (factory Alpine White)"
        else:
            spec.colour = colours.pop()
        cars.append(spec)
    return cars


def _aware(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def next_gathering_year(today: datetime.date) -> int:
    """The next gathering still open for sign-ups: this year's before 1 August, otherwise next year's."""
    return today.year if today < datetime.date(today.year, 8, 1) else today.year + 1


def third_weekend_of_september(year: int) -> tuple[datetime.date, datetime.date]:
    """Friday and Sunday around the third Saturday of September (2025: 19–21 September)."""
    first = datetime.date(year, 9, 1)
    first_saturday = first + datetime.timedelta(days=(5 - first.weekday()) % 7)
    saturday = first_saturday + datetime.timedelta(days=14)
    return saturday - datetime.timedelta(days=1), saturday + datetime.timedelta(days=1)


@functools.cache
def draw_car(hex_colour: str) -> bytes:
    """A simple side view of a coupé in ``hex_colour``, as PNG bytes."""
    w, h = 800, 500
    img = Image.new("RGB", (w, h), "#e9ecef")
    d = ImageDraw.Draw(img)
    d.rectangle((0, int(h * 0.78), w, h), fill="#6c757d")
    body = [
        (60, 330), (70, 280), (150, 255), (270, 245), (330, 185), (470, 175), (560, 235),
        (700, 255), (745, 290), (740, 340), (60, 345),
    ]  # fmt: skip
    d.polygon(body, fill=hex_colour, outline="#212529", width=4)
    d.polygon([(345, 195), (465, 188), (530, 238), (300, 243)], fill="#343a40")
    for cx in (200, 610):
        d.ellipse((cx - 58, 290, cx + 58, 406), fill="#212529")
        d.ellipse((cx - 30, 318, cx + 30, 378), fill="#adb5bd")
    buf = BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


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
        """Confirmed entries for ``cars`` in slot order; written directly, like an import of past data."""
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
        )
        if new:
            self._entries(gp, self.rng.sample(pool, 6), **window)
        return event

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
        self.seed_next_gathering(pool)
        return self.report
