"""Journey 1, the owner: create an account, register a car (VIN error then fixed), upload a photo, sign up for a
convoy, see the slot, cancel; and the variant where the session is full and the car joins the waitlist."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from events.models import Entry
from register.models import Car, CarPhoto, User
from register.vin import check_digit
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import (
    assert_no_horizontal_overflow,
    colour,
    confirm_address,
    ensure_reference_data,
    jpeg_bytes,
    label,
    log_in,
    open_nav_if_collapsed,
    path_of,
    watch_errors,
)
from tests.factories import CarFactory, EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# A North American 1M VIN (position 7 = C) with a correct check digit, and the same VIN with a wrong one.
US_BODY = "WBSUR9CC0BV271828"
US_VIN = US_BODY[:8] + check_digit(US_BODY) + US_BODY[9:]
WRONG_DIGIT = "1" if US_VIN[8] != "1" else "2"
US_VIN_BAD = US_VIN[:8] + WRONG_DIGIT + US_VIN[9:]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def open_convoy(db):
    """An event open for registration with a convoy session that already has two confirmed cars."""
    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031")
    session = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=5)
    for slot in (1, 2):
        EntryFactory(session=session, car=VerifiedCarFactory(), slot=slot)
    return session


def test_owner_registers_car_uploads_photo_signs_up_and_cancels(page, live_server, shot, media_root, open_convoy):
    base = live_server.url

    # Home → "Add your car" → the login page (the garage needs an account) → create an account.
    page.goto(f"{base}/")
    page.get_by_role("link", name="Add your car").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/garage/cars/add/$"))
    page.get_by_role("main").get_by_role("link", name="create one").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    page.get_by_label("Email").fill("new.owner@example.org")
    page.get_by_label(label("Password")).fill("a-long-unusual-passphrase-31")
    page.get_by_label("Password (again)").fill("a-long-unusual-passphrase-31")
    page.get_by_label("Display name").fill("Nora Newowner")
    page.get_by_label("Country").select_option(label="Germany")
    shot("signup-filled")
    page.get_by_role("button", name="Create an account").click()
    confirm_address(page, base, "new.owner@example.org")

    # Once the address is confirmed, on to the car form, signed in, with the profile saved.
    expect(page.get_by_role("heading", level=1)).to_have_text("Add your car to the register")
    assert path_of(page, base) == "/garage/cars/add/"
    user = User.objects.get(email="new.owner@example.org")
    assert (user.display_name, user.country.code, user.show_name_publicly) == ("Nora Newowner", "DE", False)

    # A US VIN with a wrong check digit: the error sits next to the VIN field and names position 9.
    page.get_by_label("VIN").fill(US_VIN_BAD)
    colour_field = page.get_by_label(label("Colour"))
    expect(colour_field.locator("option:checked")).to_have_text("Choose…")  # nothing preselected
    colour_field.select_option(label="Valencia Orange Metallic")
    page.get_by_label("Market").select_option(label="United States of America")
    page.get_by_role("button", name="Add my car").click()
    vin_field = page.get_by_label("VIN")
    expect(vin_field).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(vin_field).to_have_value(US_VIN_BAD)
    error = page.locator("#error_1_id_vin")
    expect(error).to_have_text(f"Position 9: the check digit should be {US_VIN[8]}, found {WRONG_DIGIT}.")
    shot("vin-error")
    assert Car.objects.count() == 2  # the two cars already in the convoy; nothing new saved

    # Fixed: saved, and the garage lists it as pending.
    vin_field.fill(US_VIN)
    page.get_by_role("button", name="Add my car").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My garage")
    expect(page.get_by_role("alert").filter(has_text="Your car is registered.")).to_be_visible()
    car = Car.objects.get(vin=US_VIN)
    assert (car.owner, car.status, car.market.code) == (user, Car.Status.PENDING, "US")
    card = page.get_by_role("listitem").filter(has_text=US_VIN)
    expect(card.get_by_text("Pending verification")).to_be_visible()
    shot("garage")

    # Photos: upload a JPEG; the XHR upload shows the progress bar, then the photo is listed as main photo.
    card.get_by_role("link", name=re.compile(r"^Photos")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Photos")
    expect(page.get_by_text("No photos yet.")).to_be_visible()
    page.evaluate(
        """() => {
        window.uploadProgress = [];
        const bar = document.querySelector('[data-upload-progress]');
        new MutationObserver(() => {
            if (!bar.classList.contains('d-none')) window.uploadProgress.push(bar.getAttribute('aria-valuenow'));
        }).observe(bar, {attributes: true});
    }"""
    )
    page.get_by_label(label("Photo")).set_input_files(
        {"name": "my-1m.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
    )
    page.get_by_label("Caption").fill("At the Nordschleife")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert").filter(has_text="Photo added.")).to_be_visible()
    progress = page.evaluate("() => window.uploadProgress")
    assert progress[0] == "0"
    assert progress[-1] == "100"
    photo_img = page.get_by_role("img", name="At the Nordschleife")
    expect(photo_img).to_be_visible()
    # Visible is not loaded: wait for the thumbnail to arrive, then check it decoded.
    loaded = "(img) => img.complete && img.naturalWidth > 0"
    page.wait_for_function(loaded, arg=photo_img.element_handle())
    assert page.evaluate(loaded, photo_img.element_handle())
    expect(page.get_by_text("Main photo", exact=True)).to_be_visible()
    photo = CarPhoto.objects.get(car=car)
    assert (photo.caption, photo.is_main) == ("At the Nordschleife", True)
    shot("photo-uploaded")

    # Deleting a photo asks first: "Keep it" keeps it, "Delete the photo" deletes it.
    page.get_by_role("link", name=re.compile(r"^Delete…")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this photo?")
    assert_no_horizontal_overflow(page)
    shot("photo-delete-asks")
    assert CarPhoto.objects.filter(pk=photo.pk).exists()
    page.get_by_role("link", name="Keep it").click()
    expect(page.get_by_role("img", name="At the Nordschleife")).to_be_visible()
    assert CarPhoto.objects.filter(pk=photo.pk).exists()
    page.get_by_role("link", name=re.compile(r"^Delete…")).click()
    page.get_by_role("button", name="Delete the photo").click()
    expect(page.get_by_role("alert").filter(has_text="Photo deleted.")).to_be_visible()
    expect(page.get_by_text("No photos yet.")).to_be_visible()
    assert not CarPhoto.objects.filter(pk=photo.pk).exists()

    # The open event: sign the car up for the convoy.
    open_nav_if_collapsed(page)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Events").click()
    page.get_by_role("link", name="Nürburgring gathering 2031").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nürburgring gathering 2031")
    session_card = page.get_by_role("region", name="Nordschleife convoy")
    expect(session_card.get_by_text("3 of 5 places left")).to_be_visible()
    session_card.get_by_label("Car").select_option(
        label=f"{car.vin_masked} · Valencia Orange Metallic · awaiting verification"
    )
    shot("event-signup")
    session_card.get_by_role("button", name="Sign up").click()

    # Confirmed with the next slot; "My entries" shows it.
    expect(page.get_by_role("heading", level=1)).to_have_text("My entries")
    expect(
        page.get_by_role("alert").filter(
            has_text="Nordschleife convoy at Nürburgring gathering 2031: confirmed, slot 3."
        )
    ).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Nordschleife convoy")
    expect(row.get_by_role("cell").nth(3)).to_have_text(re.compile(r"^\s*Confirmed\s+slot 3\s*$"))
    entry = Entry.objects.get(car=car)
    assert (entry.status, entry.slot, entry.driver) == (Entry.Status.CONFIRMED, 3, user)
    shot("my-entries-confirmed")

    # Cancel: a confirmation step first, then the entry is cancelled (kept, not deleted).
    row.get_by_role("link", name=re.compile(r"^Cancel")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel entry")
    shot("cancel-confirm")
    entry.refresh_from_db()
    assert entry.status == Entry.Status.CONFIRMED  # the GET only asks
    page.get_by_role("button", name="Yes, cancel my entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My entries")
    expect(
        page.get_by_role("alert").filter(
            has_text="Your entry for Nordschleife convoy at Nürburgring gathering 2031 is cancelled."
        )
    ).to_be_visible()
    expect(row.get_by_role("cell").nth(3)).to_have_text(re.compile(r"^\s*Cancelled\s*$"))
    expect(row.get_by_role("link", name=re.compile(r"^Cancel"))).to_have_count(0)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.CANCELLED
    shot("cancelled")


def test_owner_signs_up_for_full_session_and_sees_waitlist_position(page, live_server, shot):
    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031")
    session = SessionFactory(event=event, name="GP circuit session", slug="gp", capacity=2)
    for slot in (1, 2):
        EntryFactory(session=session, car=VerifiedCarFactory(), slot=slot)
    EntryFactory(session=session, car=VerifiedCarFactory(), slot=None, status=Entry.Status.WAITLISTED)
    owner = UserFactory(email="wait@example.org", display_name="Walter Waiting")
    car = CarFactory(owner=owner, colour=colour("Alpine White"), nickname="Snowy")

    log_in(page, live_server.url, email="wait@example.org", next_url="/events/nurburgring-2031/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nürburgring gathering 2031")
    session_card = page.get_by_role("region", name="GP circuit session")
    expect(session_card.get_by_text("0 of 2 places left · 1 on the waitlist")).to_be_visible()
    session_card.get_by_label("Car").select_option(
        label=f"{car.vin_masked} · Snowy · Alpine White · awaiting verification"
    )
    session_card.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My entries")
    expect(
        page.get_by_role("alert").filter(
            has_text="GP circuit session at Nürburgring gathering 2031: you are on the waitlist, position 2."
        )
    ).to_be_visible()
    row = page.get_by_role("row").filter(has_text="GP circuit session")
    expect(row.get_by_role("cell").nth(3)).to_have_text(re.compile(r"^\s*Waitlisted\s+position 2\s*$"))
    shot("my-entries-waitlisted")
    entry = Entry.objects.get(car=car)
    assert (entry.status, entry.slot, entry.waitlist_position) == (Entry.Status.WAITLISTED, None, 2)

    # The event page says the same.
    row.get_by_role("link", name="Nürburgring gathering 2031").click()
    expect(page.get_by_role("region", name="GP circuit session")).to_contain_text(
        f"{car} is on the waitlist, position 2."
    )
    shot("event-waitlisted")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_owner_double_clicks_sign_up_and_sees_one_success(browser, live_server, open_convoy, javascript):
    # Without JavaScript both clicks post the form and the server answers the repeat; with it, one post.
    owner = UserFactory(email="quick@example.org", display_name="Quick Fingers")
    car = VerifiedCarFactory(owner=owner, colour=colour("Alpine White"), nickname="Twice")
    context = browser.new_context(viewport=VIEWPORTS["mobile"], java_script_enabled=javascript)
    page = context.new_page()
    errors = watch_errors(page)
    log_in(page, live_server.url, email="quick@example.org", next_url="/events/nurburgring-2031/")
    session_card = page.get_by_role("region", name="Nordschleife convoy")
    session_card.get_by_label("Car").select_option(label=f"#{car.register_number} · Twice · Alpine White")
    button = session_card.get_by_role("button", name="Sign up")

    # Each button held 100 ms, as a person clicks: the second click lands while the first post is on its way.
    button.dblclick(delay=100)

    expect(page.get_by_role("heading", level=1)).to_have_text("My entries")
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"^\s*Nordschleife convoy at Nürburgring gathering 2031: confirmed, slot 3\.\s*$")
    )
    assert list(Entry.objects.filter(car=car).values_list("status", "slot")) == [(Entry.Status.CONFIRMED, 3)]
    context.close()
    assert errors == []
