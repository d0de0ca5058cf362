"""Formerly created the "Organisers" group and its permissions. Folded: staff roles live in ``portal/roles.py``
and are applied after every ``migrate``. Kept, empty, because later migrations depend on it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0001_initial"),
        ("register", "0002_model_facts"),
    ]

    operations = []
