"""System checks of the project's own settings."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    try:
        missing = not settings.SECRET_KEY
    except ImproperlyConfigured:
        missing = True
    if missing and not settings.DEBUG:
        return [Error("SECRET_KEY must be set when DEBUG is off.", id="register.E001")]
    return []


def _is_local(host: str) -> bool:
    """localhost, a loopback address (127.x, ::1) or the unspecified one (0.0.0.0, ::): not reachable by the
    person who reads the email."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@register(Tags.security, deploy=True)
def site_url_is_public(app_configs, **kwargs):
    """Links in emails (tickets, notices, password resets) are built from SITE_URL, sent without a request:
    in production it must be the public https address, or every link leads to the mail worker's machine."""
    if settings.DEBUG:
        return []
    url = settings.SITE_URL
    if not url:
        return [
            Error(
                "SITE_URL must be set when DEBUG is off: links in emails are built from it.",
                hint="e.g. SITE_URL=https://register.example.org",
                id="register.E002",
            )
        ]
    parts = urlsplit(url)
    try:
        host = parts.hostname or ""
    except ValueError:
        host = ""
    if parts.scheme != "https" or not host:
        return [Error(f"SITE_URL must be an https address, not {url!r}.", id="register.E003")]
    if _is_local(host):
        return [Error(f"SITE_URL must be the site's public address, not {url!r}.", id="register.E004")]
    return []
