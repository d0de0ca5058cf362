"""The demo's made-up people, cars and dates (portal/demo.py seeds them): deterministic from a seeded generator.

Names are first names plus an initial, emails are @example.org / @example.com, VINs are synthetic (serial numbers
in a 9xxxxx range chosen for the demo) and only pass the validator's rules.
"""

from __future__ import annotations

import datetime
import functools
import random
import unicodedata
from dataclasses import dataclass, field
from io import BytesIO

from django.utils import timezone
from PIL import Image, ImageDraw

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
# The demo gathering's declaration (events/declarations.py), made up for the demo: what a club might ask drivers and
# passengers to sign before an exclusively booked track slot. Not legal advice.
DECLARATION = {
    "driver_text_en": (
        "I take part in the register's convoy and track sessions at my own risk. Driving on a race circuit carries "
        "risks to people and cars, also at convoy speed.\n\n"
        "I hold a valid driving licence; my car is roadworthy and insured. I follow the pace car, the organisers "
        "and the marshals, keep my place in the convoy and do not overtake unless told to.\n\n"
        "I leave the track when an organiser or marshal asks me to."
    ),
    "driver_text_de": (
        "Ich nehme an den Konvoi- und Streckenfahrten des Registers auf eigene Gefahr teil. Fahren auf einer "
        "Rennstrecke birgt Risiken für Menschen und Fahrzeuge, auch im Konvoi-Tempo.\n\n"
        "Ich habe einen gültigen Führerschein; mein Fahrzeug ist verkehrssicher und versichert. Ich folge dem "
        "Führungsfahrzeug, den Organisatoren und den Streckenposten, halte meinen Platz im Konvoi und überhole "
        "nur, wenn man es mir sagt.\n\n"
        "Ich verlasse die Strecke, wenn mich ein Organisator oder Streckenposten darum bittet."
    ),
    "passenger_text_en": (
        "I ride along as a passenger at my own risk and follow the instructions of the organisers and marshals."
    ),
    "passenger_text_de": (
        "Ich fahre auf eigene Gefahr als Beifahrer mit und folge den Anweisungen der Organisatoren und Streckenposten."
    ),
}
# What the gate knows of a few entries of the next gathering's convoy (events/attention.py): emergency contacts
# given at sign-up (made-up names and numbers) and an organiser's note, so the check-in shows both.
EMERGENCY_CONTACTS = [("Maria K.", "+49 171 3920001"), ("Tom B.", "+44 20 7946 0018"), ("Léa M.", "+33 6 12 34 56 78")]
ATTENTION_NOTE = "First time on the Nordschleife: brief the driver before the convoy."

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
