"""Nobody reads another person's secret in the admin: password-reset and confirmation keys, ticket tokens and
codes. Every kind of mail the app sends is triggered, then every admin page that could show it (the outbox's
list, searches, change and history pages; the entries' list, pages, history, old versions and export; the
email addresses) is opened as a superuser, an organiser and a registrar, and no live secret may appear.

The takeover this closes: an anonymous visitor asked for a password reset of the superuser's address, an
organiser found the mail in the outbox admin, followed the link and set the password.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services as events
from events.models import Declaration, Entry, Session
from outbox.models import Message
from register import services as register
from register.models import User
from tests.factories import (
    CarFactory,
    EventFactory,
    SessionFactory,
    UserFactory,
    VerifiedCarFactory,
    organiser,
    registrar,
)

pytestmark = pytest.mark.django_db

SUPERUSER_EMAIL = "admin@example.org"
PASSWORD = "correct-horse-battery"
KEY_LINK = re.compile(r"/accounts/(?:password/reset/key|confirm-email)/([^/\s\"'<>]+)/")

ACCOUNT_KINDS = {
    "account/email/password_reset_key",
    "account/email/unknown_account",
    "account/email/email_confirmation_signup",
    "account/email/account_already_exists",
    "account/email/email_confirmation",
}
EVENTS_KINDS = {
    "events/email/entry_confirmed",
    "events/email/entry_waitlisted",
    "events/email/entry_promoted",
    "events/email/entry_cancelled",
    "events/email/roster_published",
    "events/email/slots_changed",
    "events/email/entrant_message",
    "events/email/entry_awaiting_payment",
    "events/email/entry_payment_reminder",
    "events/email/entry_paid",
    "events/email/entry_expired",
    "events/email/declaration_published",
}
REGISTER_KINDS = {
    "register/email/claim_received",
    "register/email/claim_approved_new_owner",
    "register/email/claim_approved_previous_owner",
    "register/email/claim_rejected",
    "register/email/car_verified",
}
# The project's own mail that carries a ticket (link, code, QR code); the rest of its mail carries none.
SECRET_KINDS = {
    "events/email/entry_confirmed",
    "events/email/entry_promoted",
    "events/email/roster_published",
    "events/email/slots_changed",
    "events/email/entry_paid",
}


@pytest.fixture
def staff(db):
    return {
        "superuser": User.objects.create_superuser(email=SUPERUSER_EMAIL, password=PASSWORD),
        "organiser": organiser(email="orla@example.org"),
        "registrar": registrar(email="rita@example.org"),
    }


def send_every_kind_of_mail() -> None:
    """Each kind of mail the app sends, through the pages and services that send it."""
    anonymous = Client()
    anonymous.post("/accounts/password/reset/", {"email": SUPERUSER_EMAIL})
    anonymous.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    Client().post("/accounts/signup/", {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD})
    Client().post("/accounts/signup/", {"email": SUPERUSER_EMAIL, "password1": PASSWORD, "password2": PASSWORD})
    driver = UserFactory(email="driver@example.org")
    account = Client()
    account.force_login(driver)
    account.post("/accounts/email/", {"action_add": "", "email": "second@example.org"})

    event = EventFactory(name="Gathering 2031")
    session = SessionFactory(event=event, capacity=2)
    car, other_car, waiting_car = (VerifiedCarFactory(owner=owner) for owner in (driver, UserFactory(), UserFactory()))
    entry = events.entry_create(session=session, car=car, driver=driver)  # confirmed, with its ticket
    second = events.entry_create(session=session, car=other_car, driver=other_car.owner)
    events.entry_create(session=session, car=waiting_car, driver=waiting_car.owner)  # waitlisted
    events.entry_cancel(entry=second, by=second.driver)  # cancelled; the waiting car is promoted
    events.roster_publish(event=event)
    events.entry_set_slot(entry=entry, slot=2, by=None)
    events.notices_send_due(now=timezone.now() + datetime.timedelta(hours=1))  # slots changed
    events.entrant_message_send(
        event=event, session=None, include_waitlisted=False, subject="Gates", body="Open at 8.", by=None
    )
    # The declaration: its publication asks the drivers of the sessions that need it to sign (a link, no secret).
    Session.objects.filter(pk=session.pk).update(declaration_required=True)
    declaration = Declaration.objects.create(event=event, driver_text_en="At my own risk.")
    events.declaration_publish(declaration=declaration, by=None)

    # A paid session: a place held until paid (with the GiroCode), a reminder, a payment (with the ticket), and a
    # place released at its deadline.
    paid = SessionFactory(event=event, capacity=5, fee=Decimal("45.00"))
    paying, late = (VerifiedCarFactory(owner=UserFactory()) for _ in range(2))
    held = events.entry_create(session=paid, car=paying, driver=paying.owner)
    unpaid = events.entry_create(session=paid, car=late, driver=late.owner)
    events.payment_reminders_send(now=held.payment_due - datetime.timedelta(days=1))
    events.entry_mark_paid(entry=held, by=None, reason="cash at the gate")
    events.entries_expire_overdue(now=unpaid.payment_due + datetime.timedelta(minutes=1))

    claimed, rival = UserFactory(), UserFactory()
    claim = register.claim_create(car=car, claimant=claimed)
    register.claim_create(car=car, claimant=rival)
    register.claim_approve(claim=claim)  # approved (both owners told), the rival rejected, the entry cancelled
    register.car_verify(car=CarFactory(owner=rival))  # verified and numbered, its owner told


def live_secrets_by_sort() -> dict[str, set[str]]:
    """Every secret the queued mail carries: reset and confirmation keys, tickets' tokens and codes, QR images."""
    found = {"reset keys": set(), "confirmation keys": set(), "tickets": set(), "images": set()}
    for message in Message.objects.all():
        body = message.text + message.html
        found["reset keys"].update(re.findall(r"/accounts/password/reset/key/([^/\s\"'<>]+)/", body))
        found["confirmation keys"].update(re.findall(r"/accounts/confirm-email/([^/\s\"'<>]+)/", body))
        # A stretch from the middle of each image: the start of a PNG is the same in every one. A QR code drawn
        # when the mail is sent is stored as its text (the ticket's token).
        found["images"].update(
            attachment["content"][200:260] if "content" in attachment else attachment["qr"]
            for attachment in message.attachments
            # Tickets' QR codes; a GiroCode (cid:girocode) only says how to pay, to the club's account.
            if any(
                name == "Content-ID" and value.startswith("<ticket") for name, value in attachment.get("headers", [])
            )
        )
    for entry in Entry.objects.all():
        found["tickets"].update({entry.ticket_token, entry.ticket_code, entry.ticket_code_display})
    return found


def live_secrets() -> set[str]:
    return set().union(*live_secrets_by_sort().values())


def admin_pages(found: set[str]) -> list[str]:
    """Every admin page that shows mail, entries or email addresses, with searches for recipients and secrets."""
    from allauth.account.models import EmailAddress

    outbox, entries = "/admin/outbox/message/", "/admin/events/entry/"
    pages = ["/admin/", outbox, f"{outbox}?status__exact=queued", f"{outbox}?carries_secret__exact=1", entries]
    pages += ["/admin/events/historicalentry/", "/admin/account/emailaddress/", "/admin/register/user/"]
    for message in Message.objects.all():
        pages += [f"{outbox}{message.pk}/change/", f"{outbox}{message.pk}/history/"]
        pages.append(f"{outbox}?q={message.to[0]}")
    for secret in found:
        pages += [f"{outbox}?q={secret}", f"{entries}?q={secret}"]
    for entry in Entry.objects.all():
        pages += [f"{entries}{entry.pk}/change/", f"{entries}{entry.pk}/history/"]
        for version in entry.history.all():
            pages.append(reverse("admin:events_entry_simple_history", args=[entry.pk, version.history_id]))
            pages.append(f"/admin/events/historicalentry/{version.history_id}/change/")
    for address in EmailAddress.objects.all():
        pages.append(f"/admin/account/emailaddress/{address.pk}/change/")
    return pages


def leaks(client: Client, pages: list[str], found: set[str]) -> list[tuple[str, str]]:
    """(page, secret) for every secret a page shows. A search for a secret echoes the query back (the searcher
    typed it): there the query itself does not count, but any match does (it would confirm the secret)."""
    shown = []
    for page in pages:
        response = client.get(page)
        content = response.content.decode()
        query = page.split("?q=", 1)[1] if "?q=" in page else None
        shown += [(page, secret) for secret in found if secret in content and secret != query]
        if query in found and response.status_code == 200 and response.context["cl"].result_count:
            shown.append((page, "found by search"))
    export = client.post(
        "/admin/events/entry/",
        {"action": "export_csv", "_selected_action": [str(pk) for pk in Entry.objects.values_list("pk", flat=True)]},
    )
    shown += [("export", secret) for secret in found if secret in export.content.decode()]
    return shown


def test_every_kind_of_mail_is_declared_and_the_sweep_triggers_them_all(staff):
    send_every_kind_of_mail()

    kinds = dict(Message.objects.values_list("kind", "carries_secret").distinct())
    templates = {
        str(path.relative_to(settings.BASE_DIR / "templates")).removesuffix("_subject.txt")
        for path in Path(settings.BASE_DIR / "templates").glob("*/email/*_subject.txt")
    }
    assert set(kinds) == ACCOUNT_KINDS | EVENTS_KINDS | REGISTER_KINDS
    assert templates == EVENTS_KINDS | REGISTER_KINDS  # a new mail of the project joins the sweep
    assert {kind for kind, secret in kinds.items() if secret} == ACCOUNT_KINDS | SECRET_KINDS


@pytest.mark.parametrize("role", ["superuser", "organiser", "registrar"])
def test_no_admin_page_shows_a_live_secret_to_any_staff_role(staff, role):
    send_every_kind_of_mail()
    by_sort = live_secrets_by_sort()
    found = live_secrets()
    client = Client()
    client.force_login(staff[role])

    shown = leaks(client, admin_pages(found), found)

    # Not vacuous: the superuser's reset key, two confirmation keys (sign-up, added address), five entries'
    # tickets (token, code, code as shown) and the tickets' QR images in the mails.
    assert {sort: len(secrets) for sort, secrets in by_sort.items()} == {
        "reset keys": 1,
        "confirmation keys": 2,
        "tickets": 15,
        "images": 4,
    }
    assert shown == []


@pytest.mark.parametrize(
    ("role", "kinds"),
    [
        ("superuser", ACCOUNT_KINDS | EVENTS_KINDS | REGISTER_KINDS),
        ("organiser", EVENTS_KINDS),
        ("registrar", REGISTER_KINDS),
    ],
)
def test_staff_see_only_the_mail_of_their_area(staff, role, kinds):
    send_every_kind_of_mail()
    client = Client()
    client.force_login(staff[role])
    other = Message.objects.exclude(kind__in=kinds).first()

    listing = client.get("/admin/outbox/message/")
    opened = None if other is None else client.get(f"/admin/outbox/message/{other.pk}/change/").status_code

    assert {message.kind for message in listing.context["cl"].queryset} == kinds
    assert opened == (None if role == "superuser" else 403)


def test_a_secret_bearing_body_is_withheld_and_a_plain_one_shown(staff):
    send_every_kind_of_mail()
    client = Client()
    client.force_login(staff["organiser"])
    ticket = Message.objects.filter(kind="events/email/entry_confirmed").first()
    plain = Message.objects.filter(kind="events/email/entrant_message").first()

    ticket_page = client.get(f"/admin/outbox/message/{ticket.pk}/change/").content.decode()
    plain_page = client.get(f"/admin/outbox/message/{plain.pk}/change/").content.decode()

    assert ticket_page.count("Withheld: it carries a personal link or code.") == 2  # text and HTML
    assert "Open at 8." in plain_page and "Withheld" not in plain_page


def test_delivery_erases_the_body_of_every_secret_bearing_message_and_keeps_its_record(staff, deliver_mail):
    send_every_kind_of_mail()
    found = live_secrets()
    by_sort = live_secrets_by_sort()
    found_keys = by_sort["reset keys"] | by_sort["confirmation keys"]

    delivered = deliver_mail()

    secret_rows = Message.objects.filter(carries_secret=True)
    assert {(m.status, m.text, m.html, len(m.attachments)) for m in secret_rows} == {("sent", "", "", 0)}
    assert {m.kind for m in secret_rows} == ACCOUNT_KINDS | SECRET_KINDS
    assert all(m.subject and m.recipient and m.attempts == 1 for m in secret_rows)
    assert all(m.text for m in Message.objects.filter(carries_secret=False))
    stored = "".join(m.text + m.html + str(m.attachments) for m in Message.objects.all())
    assert [s for s in found if s in stored] == []
    # The readers did get them: the erasure is of the stored copy only.
    sent = "".join(m.body for m in delivered)
    assert set(KEY_LINK.findall(sent)) == found_keys


def test_send_again_of_a_sent_secret_bearing_message_is_refused_with_the_reason(staff, deliver_mail):
    send_every_kind_of_mail()
    deliver_mail()
    client = Client()
    client.force_login(staff["superuser"])
    reset = Message.objects.get(kind="account/email/password_reset_key")
    plain = Message.objects.filter(kind="events/email/entrant_message").first()

    response = client.post(
        "/admin/outbox/message/", {"action": "send_again", "_selected_action": [reset.pk, plain.pk]}, follow=True
    )

    content = response.content.decode()
    assert "1 email queued again." in content
    assert "Not sent again: it carried a personal link or code, erased once it was sent." in content
    assert Message.objects.get(pk=reset.pk).status == "sent"
    assert Message.objects.get(pk=plain.pk).status == "queued"


def test_an_organiser_cannot_take_over_the_superuser_through_a_password_reset(staff, deliver_mail):
    # Anonymous asks for a reset of the superuser's address.
    Client().post("/accounts/password/reset/", {"email": SUPERUSER_EMAIL})
    organiser_client = Client()
    logged_in = organiser_client.post("/admin/login/", {"username": "orla@example.org", "password": PASSWORD})
    assert logged_in.status_code == 302
    reset = Message.objects.get(kind="account/email/password_reset_key")

    # The organiser searches the outbox, opens the message, and reads everything offered.
    read = [
        organiser_client.get("/admin/outbox/message/", {"q": SUPERUSER_EMAIL}),
        organiser_client.get("/admin/outbox/message/"),
        organiser_client.get(f"/admin/outbox/message/{reset.pk}/change/"),
        organiser_client.get(f"/admin/outbox/message/{reset.pk}/history/"),
    ]
    links = [link for response in read for link in KEY_LINK.findall(response.content.decode())]

    assert [r.status_code for r in read] == [200, 200, 403, 403]
    assert read[0].context["cl"].result_count == 0
    assert links == []
    staff["superuser"].refresh_from_db()
    assert staff["superuser"].check_password(PASSWORD)
    # The working link went to the superuser's mailbox only, and the outbox keeps no copy of it.
    [mail] = deliver_mail()
    assert Client().get(KEY_LINK.search(mail.body).group(0)).status_code == 302  # on to the set-password form
    assert Message.objects.get(pk=reset.pk).text == ""
