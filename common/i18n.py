"""Languages: which one to write in for a person."""

from __future__ import annotations

from django.conf import settings


def user_language(user) -> str:
    """The language to render anything for ``user`` in (an email, say): their saved choice, or the
    site's default for nobody or a code that is no longer offered."""
    language = getattr(user, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
