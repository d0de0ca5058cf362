"""Login: throttling helpers (django-axes) and the email login backend."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.models import EmailAddress


class OwnAddressBackend(AuthenticationBackend):
    """allauth's email login, but only with an address the account owns: its login email or an address
    it has verified. An address added to an account without verification may be someone else's; it
    neither logs anybody in nor (see register.forms.SignupForm) keeps its real owner from signing up."""

    def _authenticate_by_email(self, email, password):
        user = super()._authenticate_by_email(email, password)
        if user is None:
            return None
        if user.email.lower() == email.strip().lower():
            return user
        if EmailAddress.objects.filter(user=user, email__iexact=email.strip(), verified=True).exists():
            return user
        return None


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
