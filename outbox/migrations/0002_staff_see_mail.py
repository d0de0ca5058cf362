"""Formerly gave both staff groups the outbox's permissions. Folded: staff roles live in ``portal/roles.py`` and
are applied after every ``migrate``. Kept, empty, because the graph names it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("events", "0002_organisers_group"),
        ("register", "0003_registrars_group"),
    ]

    operations = []
