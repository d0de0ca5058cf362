"""Numbers in a URL's query string: whatever is typed there, the answer is a page, a redirect, a 400 or a 404 —
never a 500 — and nothing changes. ``int()`` raises on more than 4,300 digits, PostgreSQL refuses a number
beyond bigint, and Django's date hierarchy overflows on a 20-digit year (common.query, common.admin)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.security.dbstate import db_snapshot

VALUES = {
    "huge": "9" * 5000,
    "beyond-bigint": "9" * 20,
    "negative": "-1",
    "arabic-indic": "١٢",
    "fullwidth": "１２",
    "empty": "",
}

# (who asks, URL name, its arguments from the world, the query parameters that carry a number)
PAGES = [
    ("organiser", "events:check_in", lambda w: [w.event.slug], ["entry", "q", "code"]),
    ("organiser", "events:check_in_list", lambda w: [w.event.slug], ["since"]),
    ("organiser", "admin:events_event_message", lambda w: [w.event.pk], ["session"]),
    ("anonymous", "events:roster", lambda w: [w.event.slug], ["page", "session", "colour", "find"]),
    ("organiser", "events:roster", lambda w: [w.hidden_event.slug], ["page", "colour", "find"]),
    ("anonymous", "register:list", lambda w: [], ["page", "colour"]),
    ("organiser", "admin:events_event_changelist", lambda w: [], ["p", "starts_on__year", "starts_on__month"]),
    ("organiser", "admin:events_session_changelist", lambda w: [], ["p", "event__id__exact"]),
    ("organiser", "admin:events_entry_changelist", lambda w: [], ["p", "q", "session__id__exact"]),
    (
        "organiser",
        "admin:events_historicalentry_changelist",
        lambda w: [],
        ["history_date__year", "session__id__exact"],
    ),
    ("organiser", "admin:events_entrantmessage_changelist", lambda w: [], ["p", "event__id__exact"]),
    ("organiser", "admin:events_gatescan_changelist", lambda w: [], ["p", "q", "event__id__exact"]),
    ("registrar", "admin:register_car_changelist", lambda w: [], ["p", "q", "colour__id__exact"]),
    ("registrar", "admin:register_claim_changelist", lambda w: [], ["p", "q"]),
    ("registrar", "admin:outbox_message_changelist", lambda w: [], ["p", "created__year"]),
]
CASES = [
    pytest.param(role, name, args, param, id=f"{name}-{param}-{role}")
    for role, name, args, params in PAGES
    for param in params
]


@pytest.mark.parametrize(("role", "name", "args", "param"), CASES)
def test_query_number_never_gives_a_500_and_changes_nothing(world, role, name, args, param):
    url = reverse(name, args=args(world))
    client = world.client(role)
    before = db_snapshot()

    statuses = {label: client.get(url, {param: value}).status_code for label, value in VALUES.items()}

    assert {label: status for label, status in statuses.items() if status not in (200, 302, 400, 404)} == {}
    assert db_snapshot() == before


@pytest.mark.parametrize("query", [{"created__year": "9999"}, {"created__year": "9999", "created__month": "12"}])
def test_admin_date_hierarchy_at_the_end_of_the_calendar_goes_back_to_the_list(world, query):
    # Django computes the end of the range (year 10000, or 9999-12 plus a month) outside its own check.
    url = reverse("admin:outbox_message_changelist")

    response = world.client("registrar").get(url, query)

    assert (response.status_code, response["Location"]) == (302, f"{url}?e=1")
