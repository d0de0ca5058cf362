"""Entry changes: the entries' django-simple-history snapshots get a name of their own, and organisers may
read them across entries (the admin's "Entry changes" list, events.admin.EntryChangeAdmin)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Organisers"
CODENAME = "view_historicalentry"


def grant(apps, schema_editor):
    # On a fresh database permissions are created by post_migrate, i.e. after this migration: create them now.
    app_config = apps.get_app_config("events")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="events", codename=CODENAME)
    for group in Group.objects.filter(name=GROUP_NAME):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP_NAME):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="events", codename=CODENAME))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_roster_generation"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="historicalentry",
            options={
                "get_latest_by": ("history_date", "history_id"),
                "ordering": ("-history_date", "-history_id"),
                "verbose_name": "entry change",
                "verbose_name_plural": "entry changes",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
