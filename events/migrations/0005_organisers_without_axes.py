"""Organisers no longer see django-axes' records (failed logins with addresses and user agents).

Unlocking a login is the registrars' job (they know the owners and decide claims): they keep
``view_accessattempt`` and ``delete_accessattempt``; the access and failure logs are for superusers only.
"""

from django.db import migrations

AXES_PERMISSIONS = ["view_accessattempt", "delete_accessattempt"]


def take_away(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Organisers"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="axes", codename__in=AXES_PERMISSIONS)
        )


def give_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Organisers"):
        group.permissions.add(*Permission.objects.filter(content_type__app_label="axes", codename__in=AXES_PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_entry_ticket"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(take_away, give_back)]
