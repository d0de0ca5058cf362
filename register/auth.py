"""Login throttling helpers (django-axes)."""

from __future__ import annotations


def login_identifier(request, credentials: dict | None) -> str:
    """The email being tried, whichever form sent it: allauth's login form or the admin's."""
    credentials = credentials or {}
    data = getattr(request, "POST", {}) if request is not None else {}
    value = (
        credentials.get("email")
        or credentials.get("username")
        or data.get("login")
        or data.get("username")
        or data.get("email")
        or ""
    )
    return str(value).strip().lower()
