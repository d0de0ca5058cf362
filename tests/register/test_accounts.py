from __future__ import annotations

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.utils import timezone

from events.models import Entry
from events.services import entry_create
from register.models import Car, Claim, Ownership, User
from register.services import claim_approve, claim_create, claim_reject, user_delete
from tests.factories import CarFactory, EntryFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Nordschleife-20832"


def link_in(body: str) -> str:
    return re.search(re.escape(settings.SITE_URL) + r"(/\S+)", body).group(1)


def assert_site_layout(html: str) -> None:
    """allauth pages render inside base.html with Bootstrap form controls."""
    assert "Skip to content" in html
    assert '<main id="main"' in html
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html


# Signup journey ---------------------------------------------------------------------------------------------------


def test_signup_from_register_your_car_lands_on_car_form_once_the_address_is_confirmed(client, deliver_mail):
    home = client.get("/")
    assert 'href="/garage/cars/add/"' in home.content.decode()

    to_login = client.get("/garage/cars/add/")
    assert to_login["Location"] == "/accounts/login/?next=/garage/cars/add/"

    login_page = client.get(to_login["Location"])
    signup_link = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', login_page.content.decode()).group(1)
    assert signup_link == "/accounts/signup/?next=%2Fgarage%2Fcars%2Fadd%2F"

    signup_page = client.get(signup_link)
    assert 'name="next" value="/garage/cars/add/"' in signup_page.content.decode()

    signed_up = client.post(
        signup_link,
        {
            "email": "new.owner@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Nora New",
            "country": "AU",
            "next": "/garage/cars/add/",
        },
    )
    waiting = client.get("/garage/cars/add/")
    confirm_path = link_in(deliver_mail()[0].body)
    confirmed = client.post(confirm_path)
    car_form = client.get(confirmed["Location"])

    user = User.objects.get(email="new.owner@example.org")
    # Nobody is signed in before the link is followed (the same answer as for a registered address).
    assert (signed_up.status_code, signed_up["Location"]) == (302, "/accounts/confirm-email/")
    assert waiting["Location"] == "/accounts/login/?next=/garage/cars/add/"
    assert (confirmed.status_code, confirmed["Location"]) == (302, "/garage/cars/add/")
    assert car_form.status_code == 200
    assert car_form.context["user"] == user
    assert 'name="vin"' in car_form.content.decode()
    assert (user.display_name, user.country.code, user.show_name_publicly) == ("Nora New", "AU", False)


def test_signup_consent_checkbox_is_saved_and_off_by_default(client):
    page = client.get("/accounts/signup/")
    html = page.content.decode()
    assert re.search(r'<input type="checkbox" name="show_name_publicly"[^>]*>', html).group(0).count("checked") == 0

    client.post(
        "/accounts/signup/",
        {
            "email": "cora@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Cora",
            "show_name_publicly": "on",
        },
    )

    assert User.objects.get(email="cora@example.org").show_name_publicly is True


def test_signup_page_uses_site_layout_and_bootstrap_fields(client):
    response = client.get("/accounts/signup/")

    html = response.content.decode()
    assert_site_layout(html)
    assert 'class="textinput form-control" required id="id_email"' in html
    assert html.index('name="password2"') < html.index('name="display_name"')
    assert 'for="id_display_name"' in html
    assert 'for="id_country"' in html
    assert "Show my name on public pages" in html


def test_signup_with_bad_input_shows_errors_and_creates_nothing(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "not-an-email", "password1": PASSWORD, "password2": "different", "country": "ZZ"},
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"email", "password2", "country"}
    assert User.objects.count() == 0


def test_signup_sends_verification_email_and_link_verifies(client, deliver_mail):
    client.post("/accounts/signup/", {"email": "verify@example.org", "password1": PASSWORD, "password2": PASSWORD})
    assert len(deliver_mail()) == 1
    assert mail.outbox[0].subject.startswith("[1M Register] ")
    confirm_path = link_in(mail.outbox[0].body)

    page = client.get(confirm_path)
    confirmed = client.post(confirm_path)

    assert page.status_code == 200
    assert_site_layout(page.content.decode())
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email="verify@example.org").verified is True


# Login, logout, passwords -----------------------------------------------------------------------------------------


def test_login_page_uses_site_layout(client):
    response = client.get("/accounts/login/")

    html = response.content.decode()
    assert_site_layout(html)
    assert 'class="btn btn-primary"' in html
    assert "form-control" in html


def test_login_with_email_and_next_goes_to_next(client, owner):
    response = client.post(
        "/accounts/login/?next=/garage/profile/",
        {"login": "owner@example.org", "password": "correct-horse-battery", "next": "/garage/profile/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/garage/profile/"


def test_login_with_wrong_password_shows_error(client, owner):
    response = client.post("/accounts/login/", {"login": "owner@example.org", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The email address and/or password you specified are not correct."
    ]
    assert "_auth_user_id" not in client.session


def test_logout_by_post_returns_home_anonymous(owner_client):
    response = owner_client.post("/accounts/logout/")

    assert response["Location"] == "/"
    assert "_auth_user_id" not in owner_client.session


def test_password_change(owner_client, owner):
    page = owner_client.get("/accounts/password/change/")
    response = owner_client.post(
        "/accounts/password/change/",
        {"oldpassword": "correct-horse-battery", "password1": PASSWORD, "password2": PASSWORD},
    )

    owner.refresh_from_db()
    assert_site_layout(page.content.decode())
    assert response.status_code == 302
    assert owner.check_password(PASSWORD)


def test_password_reset_by_email_end_to_end(client, owner, deliver_mail):
    requested = client.post("/accounts/password/reset/", {"email": "owner@example.org"})
    assert requested.status_code == 302
    assert [m.to for m in deliver_mail()] == [["owner@example.org"]]
    key_path = link_in(mail.outbox[0].body)

    form_page = client.get(key_path, follow=True)
    reset = client.post(form_page.redirect_chain[-1][0], {"password1": PASSWORD, "password2": PASSWORD})

    owner.refresh_from_db()
    assert_site_layout(form_page.content.decode())
    assert reset.status_code == 302
    assert owner.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Hello from 1M Register!"), ("de", "Hallo von 1er M Register!")]
)
def test_password_reset_mail_names_the_register_and_links_to_site_url(
    client, owner, deliver_mail, settings, language, greeting
):
    # Asked for on the development server's address, allauth greeted "Hello from 127.0.0.1:8611!" and linked
    # there: the register's name (in the account's language) and SITE_URL instead, whatever the request's host.
    settings.SITE_URL = "https://register.example.org"
    owner.language = language
    owner.save(update_fields=["language"])

    client.post("/accounts/password/reset/", {"email": owner.email}, headers={"host": "127.0.0.1:8611"})

    [sent] = deliver_mail()
    links = re.findall(r"https?://\S+", sent.body)
    assert greeting in sent.body
    assert "127.0.0.1" not in sent.body
    assert [link.startswith("https://register.example.org/accounts/password/reset/key/") for link in links] == [True]
    assert sent.body.endswith("!\nregister.example.org")  # under "Thank you for using 1M Register!"


def test_password_reset_page_uses_site_layout(client):
    assert_site_layout(client.get("/accounts/password/reset/").content.decode())


# Profile and deleting the account ---------------------------------------------------------------------------------


def test_profile_saves_name_country_and_consent(owner_client, owner):
    response = owner_client.post(
        "/garage/profile/", {"display_name": "Olga O.", "country": "CH", "show_name_publicly": "on"}
    )

    owner.refresh_from_db()
    assert response["Location"] == "/garage/profile/"
    assert (owner.display_name, owner.country.code, owner.show_name_publicly) == ("Olga O.", "CH", True)


def test_profile_unticking_consent_hides_name_again(owner_client, owner):
    owner.show_name_publicly = True
    owner.save()
    VerifiedCarFactory(owner=owner, register_number=3)

    owner_client.post("/garage/profile/", {"display_name": "Olga Owner", "country": "DE"})

    assert "Olga Owner" not in owner_client.get("/register/cars/3/").content.decode()


def test_profile_bad_country_is_a_field_error(owner_client, owner):
    response = owner_client.post("/garage/profile/", {"display_name": "x", "country": "ZZ"})

    owner.refresh_from_db()
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["country"]
    assert owner.display_name == "Olga Owner"


def test_delete_account_needs_confirmation(owner_client, owner):
    page = owner_client.get("/garage/profile/delete/")
    response = owner_client.post("/garage/profile/delete/", {})

    assert page.status_code == 200
    assert response.status_code == 200
    assert response.context["form"].errors["confirm"] == ["This field is required."]
    assert User.objects.filter(pk=owner.pk).exists()


def test_delete_account_keeps_cars_history_and_entries(owner_client, owner, other_owner):
    verified = VerifiedCarFactory(owner=owner, register_number=12)
    pending = CarFactory(owner=owner)
    Ownership.objects.create(car=verified, owner=owner, started=verified.created)
    entry = EntryFactory(car=verified)
    claim_create(car=CarFactory(owner=other_owner), claimant=owner)

    response = owner_client.post("/garage/profile/delete/", {"confirm": "on"}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert "Your account is deleted." in response.content.decode()
    assert not User.objects.filter(pk=owner.pk).exists()
    assert "_auth_user_id" not in owner_client.session
    assert set(Car.objects.filter(owner__isnull=True)) == {verified, pending}
    ownership = Ownership.objects.get(car=verified)
    assert (ownership.owner, ownership.ended is not None) == (None, True)
    assert Entry.objects.get(pk=entry.pk).driver is None
    assert [(c.claimant, c.status) for c in Claim.objects.all()] == [(None, Claim.Status.WITHDRAWN)]
    assert owner_client.get("/register/cars/12/").status_code == 200


def test_delete_account_keeps_every_claim_and_ownership_row_with_a_placeholder(owner, other_owner, registrar):
    bought = VerifiedCarFactory(owner=other_owner)
    Ownership.objects.create(car=bought, owner=other_owner, started=bought.created, note="Imported")
    approved = claim_create(car=bought, claimant=owner)
    claim_approve(claim=approved, by=registrar)
    rejected = claim_create(car=VerifiedCarFactory(), claimant=owner)
    claim_reject(claim=rejected, by=registrar)
    pending = claim_create(car=VerifiedCarFactory(), claimant=owner)
    former_id = owner.pk

    user_delete(user=owner)

    claims = {c.pk: c for c in Claim.objects.all()}
    assert {pk: (c.claimant, c.status, c.former_claimant_id) for pk, c in claims.items()} == {
        approved.pk: (None, Claim.Status.APPROVED, former_id),
        rejected.pk: (None, Claim.Status.REJECTED, former_id),
        pending.pk: (None, Claim.Status.WITHDRAWN, former_id),
    }
    assert claims[approved.pk].decided_by == registrar
    periods = list(Ownership.objects.filter(car=bought).order_by("started"))
    assert [(p.owner, p.note, p.ended is not None) for p in periods] == [
        (other_owner, "Imported", True),
        (None, "Claim approved", True),  # the note is kept, not overwritten
    ]
    assert periods[1].owner_label == f"deleted account #{former_id}"
    assert claims[approved.pk].claimant_label == f"deleted account #{former_id}"


def test_delete_account_cancels_upcoming_entries_through_the_service(owner, other_owner, deliver_mail, mailoutbox):
    session = SessionFactory(capacity=1)
    mine = entry_create(session=session, car=VerifiedCarFactory(owner=owner), driver=owner)
    waiting = entry_create(session=session, car=VerifiedCarFactory(owner=other_owner), driver=other_owner)
    past_session = SessionFactory(
        starts_at=timezone.now() - datetime.timedelta(days=30), ends_at=timezone.now() - datetime.timedelta(days=30)
    )
    past = EntryFactory(session=past_session, car=mine.car, driver=owner)
    deliver_mail()
    mailoutbox.clear()

    user_delete(user=owner)

    mine.refresh_from_db()
    waiting.refresh_from_db()
    past.refresh_from_db()
    assert (mine.status, mine.slot, mine.driver) == (Entry.Status.CANCELLED, None, None)
    assert (waiting.status, waiting.slot) == (Entry.Status.CONFIRMED, 1)  # promoted from the waitlist
    assert (past.status, past.driver) == (Entry.Status.CONFIRMED, None)  # history stays
    assert sorted((m.to[0], m.subject) for m in deliver_mail()) == [
        ("other@example.org", f"[{settings.SITE_NAME}] You have a place: {session.name}"),
        ("owner@example.org", f"[{settings.SITE_NAME}] Entry cancelled: {session.name}"),
    ]


def test_delete_account_erases_the_failed_logins_of_its_email(owner):
    AccessAttempt.objects.create(username=owner.email, ip_address="10.0.0.1", user_agent="x", failures_since_start=2)
    AccessAttempt.objects.create(
        username="someone@example.org", ip_address="10.0.0.1", user_agent="x", failures_since_start=1
    )

    user_delete(user=owner)

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["someone@example.org"]


def test_deleted_owner_can_no_longer_log_in(client, owner):
    UserFactory(email="keep@example.org")
    client.force_login(owner)
    client.post("/garage/profile/delete/", {"confirm": "on"})

    response = client.post("/accounts/login/", {"login": "owner@example.org", "password": "correct-horse-battery"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
