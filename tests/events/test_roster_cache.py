"""The roster cache's guard (events.rostercache): every table the cached pages and the exports read has a
generation trigger, and the database's triggers are exactly the module's list.

A page cached under the generation goes stale, with no error anywhere, when it shows a table whose writes do
not bump the generation. So the pages are built here with the cache empty, their queries recorded, and every
table read must be in ``rostercache.WATCHED`` (or in ``NOT_SHOWN`` below, with its reason).
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from events import rostercache
from register.photos import photo_add
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory, colour

pytestmark = pytest.mark.django_db

# A table name after FROM or JOIN, quoted (the ORM) or not (the hand-written stamp).
_TABLE_READ = re.compile(r'\b(?:FROM|JOIN)\s+"?([a-z_][a-z0-9_]*)"?', re.IGNORECASE)

# Tables the pages read that cannot change what a cached page shows.
NOT_SHOWN = {
    # The generation itself: the version a page is stored under, not its content.
    "events_rostergeneration",
    # Who is logged in: decides only the kind of visitor (public, member, staff), which is part of the cache key.
    "django_session",
}


def tables_read(queries) -> set[str]:
    return {table for query in queries for table in _TABLE_READ.findall(query["sql"])}


def unwatched_reads(queries) -> set[str]:
    """The guard's check: tables read that no generation trigger watches."""
    return tables_read(queries) - rostercache.watched_tables() - NOT_SHOWN


def jpeg_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 100), (226, 97, 27)).save(buffer, "JPEG")
    return SimpleUploadedFile("car.jpg", buffer.getvalue(), "image/jpeg")


@pytest.fixture
def world(settings, tmp_path):
    """A published roster whose every part shows (a driver's public name, a main photo, a pace car), an
    upcoming gathering and verified cars for the home page."""
    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    event = EventFactory(
        slug="ring-2031",
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today - datetime.timedelta(days=9),
        roster_published=True,
        show_check_ins=True,
    )
    session = SessionFactory(event=event, slug="convoy", pace_car="BMW 2002 turbo", laps=2, requirements="Helmet")
    driver = UserFactory(display_name="Anna Open", show_name_publicly=True)
    car = VerifiedCarFactory(owner=driver, colour=colour("Alpine White"), nickname="Kürbis")
    photo_add(car=car, upload=jpeg_upload())
    EntryFactory(session=session, car=car, slot=1, checked_in_at=timezone.now())
    EntryFactory(session=session, slot=2)
    upcoming = EventFactory(
        slug="ring-2032",
        starts_on=today + datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=31),
    )
    EntryFactory(session=SessionFactory(event=upcoming), slot=1)
    return event


def _pages(event) -> list[str]:
    """Every kind of page the guard covers: the roster (all sessions, and a page of one), its exports, the
    calendar, the home page."""
    return [
        reverse("events:roster", args=[event.slug]),
        reverse("events:roster", args=[event.slug]) + "?session=convoy&page=1",
        reverse("events:roster_json", args=[event.slug]),
        reverse("events:roster_csv", args=[event.slug]),
        reverse("events:calendar", args=[event.slug]),
        reverse("home"),
    ]


def _clients() -> list[Client]:
    member, staff = Client(), Client()
    member.force_login(UserFactory())
    staff.force_login(UserFactory(is_staff=True))
    return [Client(), member, staff]


def _record_building(event) -> list[dict]:
    """The queries of building every page, for every kind of visitor, each with the cache empty."""
    queries = []
    for client in _clients():
        for url in _pages(event):
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200, url
            queries += captured.captured_queries
    return queries


@pytest.mark.django_db(transaction=True)  # committed data: the cached pages are built and stored
def test_cached_pages_and_exports_read_only_watched_tables(world):
    queries = _record_building(world)

    assert unwatched_reads(queries) == set()
    # The check sees what it should: the roster's own tables are among those read.
    assert {"events_entry", "register_car", "register_colour"} <= tables_read(queries)


@pytest.mark.parametrize("dropped", [w.table for w in rostercache.WATCHED])
def test_guard_reports_a_table_read_but_no_longer_watched(world, monkeypatch, dropped):
    queries = _record_building(world)
    monkeypatch.setattr(rostercache, "WATCHED", [w for w in rostercache.WATCHED if w.table != dropped])

    # Every watched table is read by some page (a trigger nothing needs would be listed for nothing) ...
    assert unwatched_reads(queries) == {dropped}


def test_installed_triggers_are_exactly_the_list():
    assert rostercache.installed_triggers() == {w.table: w.definition for w in rostercache.WATCHED}


def _trigger_oids() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.oid FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s",
            [rostercache.TRIGGER_NAME],
        )
        return dict(cursor.fetchall())


def _trigger_definition(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname = %s AND c.relname = %s",
            [rostercache.TRIGGER_NAME, table],
        )
        return cursor.fetchone()[0]


def test_installing_again_changes_nothing():
    before = _trigger_oids()

    rostercache.triggers_install()

    assert _trigger_oids() == before


def test_a_table_taken_off_the_list_loses_its_trigger_and_a_new_one_gets_one(monkeypatch):
    watched = [w for w in rostercache.WATCHED if w.table != "register_colour"] + [
        rostercache.Watched("events_pendingnotice")
    ]
    monkeypatch.setattr(rostercache, "WATCHED", watched)

    rostercache.triggers_install()

    installed = rostercache.installed_triggers()
    assert "register_colour" not in installed
    assert installed["events_pendingnotice"] == "INSERT OR UPDATE OR DELETE"
    assert set(installed) == {w.table for w in watched}


def test_a_changed_definition_replaces_the_trigger(monkeypatch):
    watched = [w for w in rostercache.WATCHED if w.table != "register_colour"] + [
        rostercache.Watched("register_colour", "INSERT")
    ]
    monkeypatch.setattr(rostercache, "WATCHED", watched)

    rostercache.triggers_install()

    assert rostercache.installed_triggers()["register_colour"] == "INSERT"
    assert _trigger_definition("register_colour") == (
        "CREATE CONSTRAINT TRIGGER roster_generation AFTER INSERT ON public.register_colour DEFERRABLE INITIALLY"
        " DEFERRED FOR EACH ROW EXECUTE FUNCTION events_roster_generation_bump()"
    )


def test_a_trigger_without_its_definition_is_replaced():
    """The triggers migration 0003 made carry no comment: the first migrate after it replaces them."""
    with connection.cursor() as cursor:
        cursor.execute("COMMENT ON TRIGGER roster_generation ON events_entry IS NULL")

    rostercache.triggers_install()

    assert rostercache.installed_triggers()["events_entry"] == "INSERT OR UPDATE OR DELETE"


def test_nothing_is_installed_before_the_migration_that_makes_the_function():
    """Migrations run backwards past events/0003 and forwards again: 0003 creates the function itself."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP FUNCTION {rostercache.BUMP_FUNCTION}() CASCADE")

    rostercache.triggers_install()

    assert rostercache.installed_triggers() == {}
