"""Security headers on every response, and the production settings that switch on HTTPS-only behaviour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "register.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://register.example.org",
}
PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS", "SESSION_COOKIE_HTTPONLY",
]}))
"""


def production_settings() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.processes
def test_production_settings_turn_on_https_only_behaviour():
    values = production_settings()

    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SESSION_COOKIE_HTTPONLY": True,
    }


@pytest.mark.parametrize("name", ["home", "register:list", "events:list", "account_login"])
def test_page_sends_csp_and_hardening_headers(client, db, name):
    response = client.get(reverse(name))

    csp = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip())
    assert csp["script-src"] == "'self'"  # no inline scripts, nothing from elsewhere
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert csp["base-uri"] == "'self'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts(client, db):
    # script-src 'self' would block them in the browser: a page that needs one is broken under the CSP.
    for name in ["home", "register:list", "register:stats", "events:list", "account_login", "account_signup"]:
        content = client.get(reverse(name)).content.decode()
        for chunk in content.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag, (name, tag)


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True)
def test_https_response_carries_hsts_with_production_values(client, db):
    response = client.get(reverse("home"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_when_redirect_is_on(client, db):
    response = client.get(reverse("home"))

    assert (response.status_code, response["Location"]) == (301, "https://testserver/")


def test_session_cookie_from_a_real_login_is_httponly_and_samesite(client, owner):
    response = client.post(reverse("account_login"), {"login": owner.email, "password": "correct-horse-battery"})

    cookie = response.cookies["sessionid"]
    assert response.status_code == 302
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
