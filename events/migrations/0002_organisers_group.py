"""The "Organisers" group: staff who run events in the admin, with exactly the permissions they need.

Entries are never deleted (they are cancelled) and are created only by the sign-up service, so organisers
get neither ``delete_entry`` nor ``add_entry``. Cars, owners and colours are read-only for them. They do not
see django-axes' records of failed logins: unlocking a login is the registrars' job.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Organisers"

PERMISSIONS = [
    ("events", "event", ["add", "change", "view"]),
    ("events", "session", ["add", "change", "view"]),
    ("events", "entry", ["change", "view"]),
    ("register", "car", ["view"]),
    ("register", "user", ["view"]),
    ("register", "colour", ["view"]),
]


def create_group(apps, schema_editor):
    # On a fresh database permissions are created by post_migrate, i.e. after this migration: create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    wanted = []
    for app_label, model, actions in PERMISSIONS:
        for action in actions:
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}"))
    group.permissions.set(wanted)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0001_initial"),
        ("register", "0002_model_facts"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
