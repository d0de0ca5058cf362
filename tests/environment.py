"""Loaded with ``-p tests.environment`` before Django is configured.

Tests run the settings in their development shape (no HTTPS redirect, a
throw-away secret); production settings are checked separately with
``manage.py check --deploy``.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("EMAIL_DELIVERY_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
