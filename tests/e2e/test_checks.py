"""Every public page, every owner page and the custom admin pages, at desktop width and at 375 px:
0 axe-core violations of any impact with the Content-Security-Policy on and nothing that scrolls sideways;
0 Nu HTML Checker errors in each page's HTML. The server sends the same HTML at every width (the layout is
CSS), so the Nu checker reads it once, at desktop width; axe-core and the overflow check run at both."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from events import services
from events.models import Entry
from events.payment_reference import payment_reference_new
from payments.models import BankTransaction, Statement
from portal.models import DataRequest, RetentionRun
from register.models import Claim
from register.photos import photo_add
from tests.e2e.checks import assert_accessible, assert_csp_enforced, assert_valid_html, page_html
from tests.e2e.helpers import assert_no_horizontal_overflow, colour, ensure_reference_data, jpeg_bytes, log_in
from tests.factories import CarFactory, EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

COLOURS = ["Valencia Orange Metallic", "Alpine White", "Black Sapphire Metallic"]


@pytest.fixture
def site(db, settings, tmp_path):
    """A published event with a convoy, an owner with a verified car (with a photo), a pending car,
    an entry and a pending claim; an organiser."""
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_reference_data()
    owner = UserFactory(email="owner@example.org", display_name="Ada Owner", show_name_publicly=True)
    car = VerifiedCarFactory(owner=owner, colour=colour("Valencia Orange Metallic"), nickname="Orange Juice")
    photo = photo_add(car=car, upload=SimpleUploadedFile("car.jpg", jpeg_bytes()), caption="At the Karussell")
    pending = CarFactory(owner=owner, colour=colour("Alpine White"))
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031", roster_published=True)
    session = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=20)
    entry = EntryFactory(session=session, car=car, driver=owner, slot=1, status=Entry.Status.CONFIRMED)
    for slot, name in enumerate(COLOURS * 3, start=2):
        EntryFactory(session=session, car=VerifiedCarFactory(colour=colour(name)), slot=slot)
    # A place held until paid, in a session with a fee: My entries says how to pay, its page shows the payment box.
    paid = SessionFactory(event=event, name="GP circuit", slug="gp", capacity=5, fee=Decimal("45.00"))
    awaiting = EntryFactory(
        session=paid,
        car=pending,
        driver=owner,
        slot=None,
        status=Entry.Status.AWAITING_PAYMENT,
        amount_due=Decimal("45.00"),
        payment_reference=payment_reference_new(),
        payment_due=timezone.now() + datetime.timedelta(days=14),
    )
    # A car checked in online, then scanned again by a phone offline: its scans show on its admin page.
    scanned = EntryFactory(session=session, car=VerifiedCarFactory(colour=colour("Alpine White")), slot=11)
    services.entry_check_in(entry=scanned, by=None)
    queued = services.QueuedScan(nonce=uuid.uuid4(), entry_id=scanned.pk, scanned_at=timezone.now())
    services.gate_sync(event=event, scans=[queued], by=None, device="Gate B")
    other = VerifiedCarFactory(nickname="Someone else's")
    claim = Claim.objects.create(car=other, claimant=owner, message="I bought it in 2024.")
    organiser = UserFactory(email="organiser@example.org", is_staff=True, is_superuser=True)
    RetentionRun.objects.create(started=timezone.now(), finished=timezone.now(), counts={"sessions": 2})
    DataRequest.objects.create(kind=DataRequest.Kind.EXPORT, subject_id=owner.pk, by=organiser, by_staff=True)
    return {
        "owner": owner,
        "car": car,
        "pending": pending,
        "photo": photo,
        "event": event,
        "session": session,
        "entry": entry,
        "organiser": organiser,
        "claim": claim,
        "awaiting": awaiting,
        "scanned": scanned,
    }


def public_pages(site) -> list[str]:
    event = site["event"]
    return [
        "/",
        "/register/",
        "/register/stats/",
        f"/register/cars/{site['car'].register_number}/",
        "/events/",
        f"/events/{event.slug}/",
        f"/events/{event.slug}/roster/",
        f"/events/{event.slug}/roster/?colour={colour('Alpine White').pk}",
        f"/events/{event.slug}/roster/?find=nobody",
        "/language/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        # What is kept, why and how long: generated from the map of personal data.
        "/privacy/",
    ]


def owner_pages(site) -> list[str]:
    car, photo = site["car"], site["photo"]
    return [
        "/garage/",
        "/garage/cars/add/",
        f"/garage/cars/{car.pk}/edit/",
        f"/garage/cars/{car.pk}/photos/",
        f"/garage/photos/{photo.pk}/delete/",
        "/garage/claim/",
        "/garage/profile/",
        "/garage/profile/delete/",
        "/events/my-entries/",
        f"/events/my-entries/{site['entry'].pk}/ticket/",
        f"/events/my-entries/{site['entry'].pk}/cancel/",
        f"/events/my-entries/{site['awaiting'].pk}/ticket/",
        f"/events/my-entries/{site['entry'].pk}/ticket/",
        f"/events/{site['event'].slug}/",
        f"/events/{site['event'].slug}/roster/",
        "/accounts/password/change/",
        "/accounts/email/",
    ]


def admin_pages(site) -> list[str]:
    session, event, entry = site["session"], site["event"], site["entry"]
    return [
        f"/admin/events/session/{session.pk}/convoy/",
        f"/admin/events/session/{session.pk}/change/",
        f"/admin/events/event/{event.pk}/change/",
        f"/admin/events/event/{event.pk}/unpublish/",
        f"/admin/events/event/{event.pk}/message/",
        # An entry's audit trail: the table of changed fields on its page, and the History page.
        f"/admin/events/entry/{entry.pk}/change/",
        f"/admin/events/entry/{entry.pk}/history/",
        # Every entry's changes, across sessions.
        "/admin/events/historicalentry/",
        # The gate's scans: beside an entry scanned twice, and the list of all of them.
        f"/admin/events/entry/{site['scanned'].pk}/change/",
        "/admin/events/gatescan/",
        # The registrars' pages: a claim with its decision buttons and what each decision does.
        f"/admin/register/claim/{site['claim'].pk}/change/",
        f"/admin/register/claim/{site['claim'].pk}/approve/",
        f"/admin/register/claim/{site['claim'].pk}/reject/",
        # The treasurers' pages: import a statement, the credits that need a decision.
        "/admin/payments/statement/import/",
        "/admin/payments/banktransaction/?open=yes",
        # People's data: the record of exports and erasures on request, and the retention job's runs.
        "/admin/portal/datarequest/",
        "/admin/portal/retentionrun/",
    ]


def gate_pages(site) -> list[str]:
    """The check-in pages organisers use on a phone: empty, a scanned ticket, a search with results."""
    event, entry = site["event"], site["entry"]
    return [
        f"/events/{event.slug}/check-in/",
        f"/events/{event.slug}/check-in/?code={entry.ticket_token}",
        f"/events/{event.slug}/check-in/?q=orange",
        f"/events/{event.slug}/check-in/?q=nobody",
    ]


def check_pages(page, base: str, paths: list[str], *, viewport: str) -> None:
    documents = {}
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, f"{path}: {response.status}"
        assert_accessible(page)
        assert_no_horizontal_overflow(page)
        if viewport == "desktop":
            documents[path] = page_html(page)
    assert_csp_enforced(page)
    if viewport == "desktop":
        assert_valid_html(documents)


def test_public_pages_pass_axe_and_nu_checker(page, live_server, site, viewport):
    check_pages(page, live_server.url, public_pages(site), viewport=viewport)


def test_owner_pages_pass_axe_and_nu_checker(page, live_server, site, viewport):
    log_in(page, live_server.url, email="owner@example.org")

    check_pages(page, live_server.url, owner_pages(site), viewport=viewport)


def test_custom_admin_pages_pass_axe_and_nu_checker(page, live_server, site, viewport):
    log_in(page, live_server.url, email="organiser@example.org")

    check_pages(page, live_server.url, admin_pages(site), viewport=viewport)


def test_check_in_pages_pass_axe_and_nu_checker(page, live_server, site, viewport):
    # Two phones checked the car in with no signal: the result lists the second one's duplicate.
    import uuid

    from events import services

    for device in ("Gate A", "Gate B"):
        scan = services.QueuedScan(nonce=uuid.uuid4(), entry_id=site["entry"].pk, scanned_at=timezone.now())
        services.gate_sync(event=site["event"], scans=[scan], by=None, device=device)
    log_in(page, live_server.url, email="organiser@example.org")

    paths = [*gate_pages(site), f"/events/{site['event'].slug}/check-in/?entry={site['entry'].pk}"]
    check_pages(page, live_server.url, paths, viewport=viewport)


def test_admin_action_pages_that_ask_first_pass_axe_and_nu_checker(page, live_server, site, viewport):
    """The pages an action shows before it runs (common.admin.ask_then_each): reached by POST, not by URL."""
    statement = Statement.objects.create(file_name="s.xml", sha256="0" * 64, format="camt")
    credit = BankTransaction.objects.create(
        bank_reference="T-1", statement=statement, booked_on=timezone.localdate(), amount=Decimal("45.00")
    )
    log_in(page, live_server.url, email="organiser@example.org")
    documents = {}
    for changelist, pk, action in [
        ("/admin/events/entry/", site["awaiting"].pk, "mark_paid"),
        ("/admin/events/entry/", site["awaiting"].pk, "extend_payment"),
        ("/admin/payments/banktransaction/", credit.pk, "assign"),
        ("/admin/payments/banktransaction/", credit.pk, "refund"),
        ("/admin/register/user/", site["owner"].pk, "erase_personal_data"),
    ]:
        page.goto(f"{live_server.url}{changelist}")
        page.locator(f'input[name="_selected_action"][value="{pk}"]').check()
        page.locator('select[name="action"]').select_option(action)
        page.locator('button[name="index"]').click()
        expect(page.locator('input[name="confirmed"][value="yes"]')).to_have_count(1)
        assert_accessible(page)
        assert_no_horizontal_overflow(page)
        if viewport == "desktop":
            documents[action] = page_html(page)
    if viewport == "desktop":
        assert_valid_html(documents)
