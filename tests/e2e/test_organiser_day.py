"""The organisers' day at the gate, on a 375 px phone: log in, open the event, publish the roster; each
driver's email arrives through a real SMTP server (aiosmtpd, delivered by a real mail worker) with a
ticket; the QR code from that email, filmed by Chromium's fake camera, checks the car in; the live count
moves; a second scan says "already checked in"."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from django.db import connection
from playwright.sync_api import expect

from events import services
from events.models import Entry
from tests.e2e.camera import launch_with_camera, qr_frame, write_y4m
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import PASSWORD, gate_day, log_in
from tests.outbox.smtp import Handler, SmtpServer, Worker, database_url, wait_for, worker_env

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class KeepingHandler(Handler):
    """Keeps every accepted message whole, to read it as the driver would."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        answer = await super().handle_DATA(server, session, envelope)
        if answer.startswith("250"):
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return answer


@pytest.fixture
def mail_server():
    server = SmtpServer()
    server.handler = KeepingHandler()
    server.start()
    with connection.cursor() as cursor:
        # procrastinate's tables are not Django-managed: no jobs of earlier tests.
        cursor.execute("TRUNCATE procrastinate_jobs, procrastinate_periodic_defers, procrastinate_workers CASCADE")
    worker = Worker(worker_env(database=database_url(connection.settings_dict), smtp_port=server.port))
    yield server
    worker.stop()
    server.stop()


@pytest.fixture
def gathering():
    return gate_day(first_register_number=200)


def ticket_png(message: email.message.Message) -> bytes:
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    return image.get_payload(decode=True)


def test_publish_then_scan_the_emailed_ticket_at_the_gate(
    browser, live_server, mail_server, gathering, tmp_path, request
):
    event, session, entries = gathering
    frost = entries[1]
    base = live_server.url
    phone = browser.new_context(viewport=VIEWPORTS["mobile"])
    page = phone.new_page()

    # The organiser logs into the admin on the phone, opens the event and publishes its roster.
    page.goto(f"{base}/admin/")
    page.get_by_label("Email address").fill("organiser@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/admin/events/event/")
    page.get_by_role("link", name=event.name).click()
    page.locator(".organiser-day").get_by_role("link", name="Publish the roster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish the roster?")
    page.get_by_role("button", name="Yes, publish").click()
    expect(page.locator("ul.messagelist")).to_have_text("Roster published for 1 event.")
    phone.close()

    # Each driver's email arrives at the SMTP server, with their ticket.
    handler = mail_server.handler
    wait_for(lambda: len(handler.messages) >= 3, timeout=60, what="three roster emails at the SMTP server")
    by_driver = {message["To"]: message for message in handler.messages}
    assert sorted(by_driver) == sorted(entry.driver.email for entry in entries)
    frost_mail = by_driver[frost.driver.email]
    assert frost_mail["Subject"].strip() == "[1M Register] Roster published: Nürburgring gathering 2031"
    text = next(p for p in frost_mail.walk() if p.get_content_type() == "text/plain").get_content()
    assert frost.ticket_code_display in text
    assert re.search(rf"/events/my-entries/{frost.pk}/ticket/", text)

    # The ticket from the email, held in front of the gate phone's camera.
    video = write_y4m(qr_frame(ticket_png(frost_mail)), tmp_path / "ticket.y4m")
    camera_browser = launch_with_camera(browser, video)
    request.addfinalizer(camera_browser.close)
    gate = camera_browser.new_context(viewport=VIEWPORTS["mobile"], permissions=["camera"])
    page = gate.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, email="organiser@example.org")
    page.goto(f"{base}/events/{event.slug}/check-in/")
    counts = page.locator(f'[data-session="{session.pk}"]')
    expect(counts).to_contain_text("0 / 3")

    page.get_by_role("button", name="Start the camera").click()
    result = page.get_by_test_id("checkin-result")
    expect(result.locator(".checkin-slot")).to_have_text("Slot 2")
    expect(result).to_contain_text("#202")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Checked in: {frost.car}, Nordschleife convoy.")
    expect(counts).to_contain_text("1 / 3")

    # Another organiser checks Ember in at the other gate: this phone's count follows by itself.
    services.entry_check_in(entry=entries[0], by=None)
    expect(counts).to_contain_text("2 / 3", timeout=12_000)

    # The same ticket again (the camera came back by itself; stopped and started on purpose, it reads the
    # ticket still in front of it): already checked in, by whom.
    page.get_by_role("button", name="Stop the camera").click()
    page.get_by_role("button", name="Start the camera").click()
    expect(page.locator(".checkin-already")).to_contain_text("Already checked in at")
    expect(page.locator(".checkin-already")).to_contain_text("by Orla Organiser")
    expect(page.get_by_role("button", name="Check in")).to_have_count(0)
    assert Entry.objects.get(pk=frost.pk).checked_in_by.email == "organiser@example.org"
    gate.close()
    assert errors == []
