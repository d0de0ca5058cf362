"""The factories' sequences count on across the tests of a process, so what they draw must never equal what a test
names itself: otherwise a test fails or passes by what ran before it (its order, and how xdist shared the tests out).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from events.models import Event
from register.models import Car
from tests.factories import FACTORY_VIN_SERIALS, CarFactory, EventFactory, make_vin

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def sequence_at():
    """Moves a factory's counter to where a process that ran other tests first could have it; puts it back after."""
    moved = []

    def move(factory_class, value: int) -> None:
        moved.append((factory_class, factory_class._meta.next_sequence()))
        factory_class.reset_sequence(value)

    yield move
    for factory_class, value in reversed(moved):
        factory_class.reset_sequence(value)


@pytest.mark.django_db
def test_event_named_after_a_year_first_thing_in_a_process_leaves_room_for_factory_events(sequence_at):
    sequence_at(EventFactory, 0)
    named = EventFactory(name="Gathering 2031", slug="gathering-2031")

    made = [EventFactory() for _ in range(3)]

    assert Event.objects.get(slug="gathering-2031") == named
    assert len({event.slug for event in made}) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("serial", [501, 9001, 424242])
def test_vin_a_test_names_is_free_whatever_cars_the_factory_made_before(sequence_at, serial):
    sequence_at(CarFactory, serial - 1)  # the process has made that many cars before this test
    made = CarFactory()

    named = CarFactory(vin=make_vin(serial))

    assert list(Car.objects.filter(vin__in=[made.vin, named.vin]).order_by("pk")) == [made, named]


def test_no_test_names_a_vin_serial_from_the_factorys_range():
    named = {
        int(serial.replace("_", ""))
        for path in TESTS.rglob("*.py")
        for serial in re.findall(r"make_vin\(([\d_]+)\s*[,)]", path.read_text(encoding="utf-8"))
    }

    assert len(named) > 10
    assert sorted(s for s in named if FACTORY_VIN_SERIALS <= s < 2 * FACTORY_VIN_SERIALS) == []
