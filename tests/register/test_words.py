"""One word for each thing, in each language (the glossary in locale/README.md): logging in, creating an
account and signing a car up for a session are three words, and none of them stands for another. The
person's one place for their profile, language, email, password and deletion is the account page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from register.models import User
from tests.factories import SessionFactory, VerifiedCarFactory

pytestmark = pytest.mark.django_db

WORDS = {
    "en": {
        "log_in": "Log in",
        "log_out": "Log out",
        "create": "Create an account",
        "sign_up": "Sign up",
        "account": "Account",
    },
    "de": {
        "log_in": "Einloggen",
        "log_out": "Ausloggen",
        "create": "Konto erstellen",
        "sign_up": "Anmelden",
        "account": "Konto",
    },
}
# What must never be read on a page about logging in or creating an account: the session's word, and the
# libraries' own words for the two.
NOT_ON_ACCOUNT_PAGES = {
    "en": re.compile(r"\bsign[ -]?(up|in|out)\b|\bsignup\b", re.IGNORECASE),
    "de": re.compile(r"anmeld|abmeld|\bmelde\b|registrier(en|ung)", re.IGNORECASE),
}
# What must never be read on the event page, my entries or the account page: the libraries' words for
# logging in and out and creating an account, and the word "Profile" (the account page is one place).
NOT_ON_OWNER_PAGES = {
    "en": re.compile(r"\bsign[ -]?(in|out)\b|\bsign up for an account\b|\bprofile\b", re.IGNORECASE),
    "de": re.compile(r"\bmelde dich\b|abmeld|registrieren|\bprofil\b", re.IGNORECASE),
}


class Page(HTMLParser):
    """The text a person reads, and the headings, links and buttons with their text."""

    def __init__(self, html: str):
        super().__init__()
        self.text: list[str] = []
        self.controls: list[tuple[str, str, str]] = []  # (tag, text, href or form action)
        self._open: list[list] = []
        self._skip = 0
        self._action = ""
        self.feed(html)
        self.text = [" ".join(t.split()) for t in self.text if t.strip()]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "title"):
            self._skip += 1
        elif tag == "form":
            self._action = attrs.get("action") or ""
        elif tag in ("a", "button", "h1", "h2"):
            self._open.append([tag, [], attrs.get("href") or self._action])
        elif tag == "input" and attrs.get("type") == "submit":
            self.controls.append(("button", attrs.get("value", ""), self._action))
            self.text.append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self._skip -= 1
        elif self._open and self._open[-1][0] == tag:
            name, parts, target = self._open.pop()
            self.controls.append((name, " ".join("".join(parts).split()), target))

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        for element in self._open:
            element[1].append(data)

    def named(self, tag: str) -> list[str]:
        return [text for name, text, _target in self.controls if name == tag]

    def target_of(self, text: str) -> list[str]:
        return [target for _name, label, target in self.controls if label == text]

    def says(self, pattern: re.Pattern) -> list[str]:
        return [line for line in self.text if pattern.search(line)]


def page(client, url: str, language: str) -> Page:
    """The page in ``language``: the browser's, and the logged-in person's own (which wins)."""
    user = client.session.get("_auth_user_id")
    if user:
        User.objects.filter(pk=user).update(language=language)
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200, url
    return Page(response.content.decode())


@pytest.mark.parametrize("language", ["en", "de"])
def test_navigation_for_a_visitor_offers_log_in_and_create_an_account(client, language):
    words = WORDS[language]

    home = page(client, reverse("home"), language)

    assert home.target_of(words["log_in"]) == [reverse("account_login")]
    assert home.target_of(words["create"]) == [reverse("account_signup")]


@pytest.mark.parametrize("language", ["en", "de"])
def test_login_page_says_log_in_and_never_the_session_word(client, language):
    words = WORDS[language]

    login = page(client, reverse("account_login"), language)

    assert login.named("h1") == [words["log_in"]]
    assert words["log_in"] in login.named("button")
    assert login.says(NOT_ON_ACCOUNT_PAGES[language]) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_signup_page_says_create_an_account_and_never_the_session_word(client, language):
    words = WORDS[language]

    signup = page(client, reverse("account_signup"), language)

    assert signup.named("h1") == [words["create"]]
    assert words["create"] in signup.named("button")
    assert signup.says(NOT_ON_ACCOUNT_PAGES[language]) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_logout_page_says_log_out(client, owner, language):
    client.force_login(owner)

    logout = page(client, reverse("account_logout"), language)

    assert logout.named("h1") == [WORDS[language]["log_out"]]
    assert WORDS[language]["log_out"] in logout.named("button")
    assert logout.says(NOT_ON_OWNER_PAGES[language]) == []


@pytest.mark.parametrize(
    ("language", "button"),
    [("en", "Log in to sign up"), ("de", "Einloggen, um dein Fahrzeug anzumelden")],
)
def test_event_page_asks_a_visitor_to_log_in_to_sign_up(client, language, button):
    session = SessionFactory()

    event = page(client, session.event.get_absolute_url(), language)

    assert event.target_of(button) == [f"{reverse('account_login')}?next={session.event.get_absolute_url()}"]
    assert WORDS[language]["sign_up"] not in event.named("button")


@pytest.mark.parametrize("language", ["en", "de"])
def test_event_page_signs_a_car_up_with_the_session_word_only(owner_client, owner, language):
    words = WORDS[language]
    VerifiedCarFactory(owner=owner)
    session = SessionFactory()

    event = page(owner_client, session.event.get_absolute_url(), language)

    signup_url = reverse("events:signup", args=[session.event.slug, session.slug])
    assert event.target_of(words["sign_up"]) == [signup_url]
    assert words["log_in"] not in event.named("button") + event.named("a")
    assert event.says(NOT_ON_OWNER_PAGES[language]) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_navigation_for_an_owner_has_one_account_entry_and_log_out(owner_client, language):
    words = WORDS[language]

    entries = page(owner_client, reverse("events:my_entries"), language)

    assert entries.target_of(words["account"]) == [reverse("register:profile")]
    assert entries.target_of(words["log_out"]) == [reverse("account_logout")]
    assert entries.says(NOT_ON_OWNER_PAGES[language]) == []


@pytest.mark.parametrize(
    ("language", "heading", "email_and_password", "data"),
    [("en", "Account", "Email and password", "Your data"), ("de", "Konto", "E-Mail und Passwort", "Deine Daten")],
)
def test_account_page_holds_profile_language_email_password_and_deletion(
    owner_client, language, heading, email_and_password, data
):
    account = page(owner_client, reverse("register:profile"), language)

    assert account.named("h1") == [heading]
    assert account.named("h2") == [email_and_password, data]
    links = {target for _name, _text, target in account.controls}
    assert {reverse("account_change_password"), reverse("account_email"), reverse("register:account_delete")} <= links
    assert account.says(NOT_ON_OWNER_PAGES[language]) == []


@pytest.mark.parametrize(("language", "title"), [("en", "Account"), ("de", "Konto")])
def test_garage_links_to_the_account_page_by_its_name(owner_client, language, title):
    garage = page(owner_client, reverse("register:garage"), language)

    assert garage.target_of(title) == [reverse("register:profile")] * 2  # the navigation and the garage's button


@pytest.mark.parametrize("language", ["en", "de"])
def test_library_overrides_are_compiled(language):
    """The overrides' .mo says what their .po says (the German catalogue's own gate is tests/test_translations.py)."""
    po = Path(settings.BASE_DIR) / "locale_overrides" / language / "LC_MESSAGES" / "django.po"
    expected = {(e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(po)) if not e.obsolete}

    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(po.with_suffix(".mo"))) if e.msgid}

    assert compiled == expected, "Compile the overrides: manage.py compilemessages (locale/README.md)"
