"""Organisers and registrars see every email in the admin and can send a failed one again.

Permissions are created by ``post_migrate``, which on a fresh database runs only after every migration;
so this migration creates the outbox's own first (as register/0003 does for its models).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ["Organisers", "Registrars"]
PERMISSIONS = ["view_message", "change_message"]  # change: the "Send again" action


def grant(apps, schema_editor):
    app_config = apps.get_app_config("outbox")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="outbox", codename__in=PERMISSIONS)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="outbox", codename__in=PERMISSIONS)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("events", "0002_organisers_group"),
        ("register", "0003_registrars_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
