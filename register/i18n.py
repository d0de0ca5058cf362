"""Each person's language: the saved one for a logged-in person, the browser's or the cookie's otherwise.

Anonymous visitors get Django's LocaleMiddleware: the language cookie (their choice on the language
page) or else the browser's Accept-Language. A logged-in person's saved ``User.language`` wins over
both, on every page and in every email sent to them, whoever's request sends it.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from common.i18n import user_language
from outbox.services import message_declare


class UserLanguageMiddleware:
    """After AuthenticationMiddleware: a logged-in person sees their saved language, whatever the
    browser or the cookie says."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user_language(user)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class RegisterSite:
    """What allauth's emails call the site (``current_site``): without django.contrib.sites allauth takes the
    request's host for both ("Hello from 127.0.0.1:8611!"); here the register's name in the mail's language
    and the domain of ``SITE_URL``."""

    @property
    def name(self) -> str:
        return translation.gettext("1M Register")

    @property
    def domain(self) -> str:
        return urlsplit(settings.SITE_URL).netloc


def on_site_url(url: str) -> str:
    """``url`` on ``SITE_URL`` (which it prefixes, as for the tickets' links): a link allauth built from the
    request's host leads to the public site whichever host the request came in on."""
    site, link = urlsplit(settings.SITE_URL), urlsplit(url)
    return urlunsplit((site.scheme, site.netloc, site.path + link.path, link.query, link.fragment))


class AccountAdapter(DefaultAccountAdapter):
    """allauth's emails (confirmation, password reset, …) in the language of the account they go to,
    also when asked for from a browser in another language; to an address without an account, in the
    language of the page that asked."""

    def send_mail(self, template_prefix, email, context):
        user = context.get("user") or get_user_model().objects.filter(email__iexact=email).first()
        language = user_language(user) if user is not None else translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def login(self, request, user) -> None:
        # The login page was in the browser's language; from here on, as on every later page, the
        # person's saved one, so that "Signed in as …" is written in it.
        super().login(request, user)
        language = user_language(user)
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def render_mail(self, template_prefix, email, context, headers=None):
        # Every allauth mail names the register and links to SITE_URL (RegisterSite, on_site_url).
        links = {key: on_site_url(v) for key, v in context.items() if key.endswith("_url") and isinstance(v, str)}
        context = {**context, "current_site": RegisterSite(), **links}
        message = super().render_mail(template_prefix, email, context, headers=headers)
        # Every allauth mail is account mail with a personal link or code (reset, confirmation, login code) or
        # about the account's security: the outbox keeps only its record for superusers and erases its body
        # once sent.
        return message_declare(message, kind=template_prefix, carries_secret=True)

    def format_email_subject(self, subject: str) -> str:
        # The register's name in the mail's language ("1er M Register"), like our own emails.
        return f"[{translation.gettext('1M Register')}] {subject}"
