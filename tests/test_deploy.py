"""Production settings: `check --deploy` passes with the environment documented in the README."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from register.checks import site_url_is_public

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "register.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://register.example.org",
    "SITE_URL": "https://register.example.org",
    "PAYMENT_ACCOUNT_HOLDER": "1M Register e.V.",
    "PAYMENT_IBAN": "DE02 1203 0000 0000 2020 51",
    "PAYMENT_BIC": "BYLADEM1001",
}


def _manage(*args, env_overrides):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.processes
def test_check_deploy_passes_with_the_documented_production_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.processes
def test_settings_refuse_to_start_without_a_secret_key_in_production():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}

    result = _manage("check", "--deploy", env_overrides=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.processes
def test_wsgi_application_refuses_to_load_without_a_secret_key():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({**PRODUCTION_ENV, "SECRET_KEY": ""})

    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "SECRET_KEY setting must not be empty" in result.stderr


@pytest.mark.processes
def test_check_deploy_fails_without_a_site_url():
    # Links in production mail pointed at http://127.0.0.1:8000, and the check passed.
    env = {**PRODUCTION_ENV, "SITE_URL": ""}

    result = _manage("check", "--deploy", env_overrides=env)

    assert result.returncode != 0
    assert "(register.E002) SITE_URL must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("site_url", "error"),
    [
        ("", "register.E002"),
        ("http://register.example.org", "register.E003"),
        ("register.example.org", "register.E003"),
        ("https://", "register.E003"),
        ("https://localhost", "register.E004"),
        ("https://127.0.0.1:8000", "register.E004"),
        ("https://127.1.2.3", "register.E004"),
        ("https://[::1]:8000", "register.E004"),
        ("https://0.0.0.0", "register.E004"),
        ("https://register.example.org", None),
        ("https://register.example.org:8443/register", None),
    ],
)
def test_site_url_check_without_debug(settings, site_url, error):
    settings.DEBUG = False
    settings.SITE_URL = site_url

    assert [issue.id for issue in site_url_is_public(None)] == ([error] if error else [])


@pytest.mark.parametrize("site_url", ["", "http://127.0.0.1:8000"])
def test_site_url_check_with_debug_is_quiet(settings, site_url):
    settings.DEBUG = True
    settings.SITE_URL = site_url

    assert site_url_is_public(None) == []


@pytest.mark.processes
def test_check_deploy_fails_without_the_payment_account():
    env = {**PRODUCTION_ENV, "PAYMENT_IBAN": "", "PAYMENT_BIC": ""}

    result = _manage("check", "--deploy", env_overrides=env)

    assert result.returncode != 0
    assert "(events.E001) PAYMENT_IBAN, PAYMENT_BIC must be set when DEBUG is off" in result.stderr


@pytest.mark.processes
def test_check_refuses_a_mistyped_iban_even_with_debug():
    # One digit off: the checksum catches it before a driver transfers money to a stranger's account.
    env = {**PRODUCTION_ENV, "DEBUG": "1", "PAYMENT_IBAN": "DE02120300000000202052"}

    result = _manage("check", env_overrides=env)

    assert result.returncode != 0
    assert "(events.E003) PAYMENT_IBAN 'DE02120300000000202052' is not a valid IBAN" in result.stderr
