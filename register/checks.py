"""System checks of the project's own settings."""

from __future__ import annotations

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
