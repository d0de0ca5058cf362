"""Arbitrary input to the car form and the sign-up form: never a 500, never a half-saved car or entry."""

from __future__ import annotations

import string

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from events import services as event_services
from events.models import Entry
from register.models import Car, Colour, Ownership
from tests.factories import CarFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory, make_vin

pytestmark = pytest.mark.fuzz

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

any_text = st.text(max_size=80)
vins = st.one_of(
    any_text,
    st.text(alphabet=VIN_ALPHABET, min_size=15, max_size=19),
    st.integers(1, 999_999).map(make_vin),  # valid: these can really save
    st.integers(1, 999_999).map(lambda n: make_vin(n).lower().center(21)),  # valid after normalising
)
ids = st.one_of(st.integers(-(2**63), 2**63).map(str), st.text(alphabet=string.printable, max_size=12), st.just(""))
markets = st.one_of(
    st.sampled_from(["DE", "GB", "AU", "JP"]), st.sampled_from(["US", "CA", "ZA", "de", "XX", ""]), any_text
)
months = st.one_of(
    st.sampled_from(["", "2011-05", "2012-06"]), st.dates().map(lambda d: d.strftime("%Y-%m")), any_text
)


def counts() -> tuple[int, int]:
    return (Car.objects.count(), Ownership.objects.count())


@pytest.fixture
def fuzz_owner(db):
    return UserFactory(email="fuzz@example.org")


@FUZZ
@given(data=st.data(), vin=vins, market=markets, month=months, note=any_text, nickname=any_text)
def test_car_add_arbitrary_input_never_500_never_partial(fuzz_owner, data, vin, market, month, note, nickname):
    colour_pks = list(Colour.objects.values_list("pk", flat=True).order_by("pk"))
    colour = data.draw(st.one_of(st.sampled_from(colour_pks).map(str), ids), label="colour")
    client = Client()
    client.force_login(fuzz_owner)
    before = counts()

    response = client.post(
        reverse("register:car_add"),
        {
            "vin": vin,
            "colour": colour,
            "colour_note": note,
            "market": market,
            "production_month": month,
            "nickname": nickname,
        },
    )

    assert response.status_code in (200, 302)
    event(f"car_add {response.status_code}")
    if response.status_code == 302:
        assert response["Location"] == reverse("register:garage")
        assert counts() == (before[0] + 1, before[1] + 1)
        car = Car.objects.latest("pk")
        assert (car.owner, car.status, len(car.vin)) == (fuzz_owner, Car.Status.PENDING, 17)
        assert Ownership.objects.filter(car=car, owner=fuzz_owner, ended__isnull=True).count() == 1
    else:
        assert counts() == before
        assert 'class="invalid-feedback' in response.content.decode() or "alert-danger" in response.content.decode()


@pytest.fixture
def signup_world(db):
    driver = UserFactory(email="driver@example.org")
    stranger = UserFactory(email="stranger@example.org")
    own = [VerifiedCarFactory(owner=driver), CarFactory(owner=driver)]  # verified and pending
    foreign = VerifiedCarFactory(owner=stranger)
    event = EventFactory(slug="fuzz-ring")
    session = SessionFactory(event=event, slug="fuzz-corso", capacity=1, requirements="Helmet and licence")
    return {"driver": driver, "own": own, "foreign": foreign, "event": event, "session": session}


def entry_counts() -> tuple[int, int]:
    return (Entry.objects.count(), Entry.history.count())


@FUZZ
@given(
    data=st.data(),
    confirm=st.one_of(st.none(), st.sampled_from(["on", "", "true", "false", "0", "1"]), any_text),
    extra=st.dictionaries(st.sampled_from(["slot", "status", "driver", "session"]), any_text, max_size=2),
)
def test_signup_arbitrary_car_and_checkbox_never_500_never_partial(signup_world, data, confirm, extra):
    w = signup_world
    car_ids = [str(c.pk) for c in [*w["own"], w["foreign"]]]
    car = data.draw(st.one_of(st.none(), st.sampled_from(car_ids), ids), label="car")
    payload = dict(extra)
    if car is not None:
        payload["car"] = car
    if confirm is not None:
        payload["requirements_confirmed"] = confirm
    client = Client()
    client.force_login(w["driver"])
    before = entry_counts()

    response = client.post(reverse("events:signup", args=[w["event"].slug, w["session"].slug]), payload)

    assert response.status_code in (200, 302)
    event(f"signup {response.status_code} {response.get('Location', '')}")
    if response.status_code == 302 and response["Location"] == reverse("events:my_entries"):
        entry = Entry.objects.latest("pk")
        assert entry_counts()[0] == before[0] + 1
        assert entry_counts()[1] > before[1]  # the audit trail recorded the sign-up
        assert entry.car in w["own"] and entry.driver == w["driver"]
        assert entry.requirements_confirmed is True
        assert entry.status in (Entry.Status.CONFIRMED, Entry.Status.WAITLISTED)
        # Ignored: fields the form does not have.
        assert entry.slot in (None, 1)
        event_services.entry_cancel(entry=entry, by=w["driver"])  # free the session for the next example
    else:
        assert entry_counts() == before
        if response.status_code == 302:
            assert response["Location"] == w["event"].get_absolute_url()
