"""Boring factories for the tests. VINs are synthetic and pass the validator."""

from __future__ import annotations

import datetime

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from events.models import Entry, Event, Session
from register.models import Car, Colour, User
from register.vin import check_digit

# Values the factories draw never equal one a test names itself, whatever ran before in the process (the
# sequences count on across tests, so a clash would depend on the order and on how xdist shared the tests out):
# car VINs take the serials from FACTORY_VIN_SERIALS up (a test naming its own serial takes one outside
# 200_000–399_999), events are "Gathering no. N" (tests name theirs after years: "Gathering 2031", "gathering-2031").
FACTORY_VIN_SERIALS = 200_000


def make_vin(serial: int, *, market_code: str = "1", year: str = "B", plant: str = "V") -> str:
    """A synthetic 1M VIN, ``WBSUR9<market_code>?<check><year><plant><6 digits>``, valid check digit."""
    body = f"WBSUR9{market_code}C0{year}{plant}{serial % 1_000_000:06d}"
    return body[:8] + check_digit(body) + body[9:]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"owner{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Owner {n}")
    country = "DE"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            # Verified, as every account is before it can log in (mandatory email verification).
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


def staff_in(group: str, **fields) -> User:
    """Staff in a group the migrations made ("Organisers", "Registrars"), not a superuser."""
    user = UserFactory(is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=group))
    return User.objects.get(pk=user.pk)  # fresh: no stale permission cache


def organiser(**fields) -> User:
    return staff_in("Organisers", **fields)


def registrar(**fields) -> User:
    return staff_in("Registrars", **fields)


def treasurer(**fields) -> User:
    return staff_in("Treasurers", **fields)


def owners_with_cars(count: int, **car_fields) -> list[Car]:
    """``count`` cars, each with its own owner. No password hashing: that would dominate the race tests."""
    return [CarFactory(owner=UserFactory(password=None), **car_fields) for _ in range(count)]


def colour(name: str = "Valencia Orange Metallic") -> Colour:
    return Colour.objects.get(name=name)


class CarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Car

    vin = factory.Sequence(lambda n: make_vin(FACTORY_VIN_SERIALS + n))
    colour = factory.LazyFunction(colour)
    market = "DE"
    owner = factory.SubFactory(UserFactory)
    status = Car.Status.PENDING


class VerifiedCarFactory(CarFactory):
    status = Car.Status.VERIFIED
    register_number = factory.Sequence(lambda n: 10_000 + n)
    verified_at = factory.LazyFunction(timezone.now)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    name = factory.Sequence(lambda n: f"Gathering no. {n}")
    slug = factory.Sequence(lambda n: f"gathering-no-{n}")
    venue = "Nürburgring"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=2))
    registration_opens = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    registration_closes = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Nordschleife convoy {n}")
    slug = factory.Sequence(lambda n: f"convoy-{n}")
    kind = Session.Kind.CONVOY
    track = Session.Track.NORDSCHLEIFE
    starts_at = factory.LazyAttribute(
        lambda o: timezone.make_aware(datetime.datetime.combine(o.event.starts_on, datetime.time(9, 0)))
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=1))
    capacity = 10
    laps = 2
    pace_car = "BMW 2002 turbo"


class EntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entry

    session = factory.SubFactory(SessionFactory)
    car = factory.SubFactory(VerifiedCarFactory)
    driver = factory.LazyAttribute(lambda o: o.car.owner)
    status = Entry.Status.CONFIRMED
    slot = factory.Sequence(lambda n: n + 1)
