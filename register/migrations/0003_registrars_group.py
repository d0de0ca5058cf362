"""Formerly created the "Registrars" group and its permissions. Folded: staff roles live in ``portal/roles.py``
and are applied after every ``migrate``. Kept, empty, because later migrations depend on it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0002_model_facts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = []
