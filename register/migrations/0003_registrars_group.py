"""The "Registrars" group: staff who verify cars, resolve claims and import the register.

Permissions are created by ``post_migrate``, which on a fresh database runs only
after every migration; so this migration creates them itself first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Registrars"

# (app_label, codename). Exactly these; the tests assert the set.
PERMISSIONS = [
    ("register", "view_car"),
    ("register", "change_car"),
    ("register", "view_historicalcar"),
    ("register", "view_claim"),
    ("register", "change_claim"),
    ("register", "add_colour"),
    ("register", "change_colour"),
    ("register", "view_colour"),
    ("register", "delete_colour"),
    ("register", "add_market"),
    ("register", "change_market"),
    ("register", "view_market"),
    ("register", "delete_market"),
    ("register", "view_registeredmodel"),
    ("register", "change_registeredmodel"),
    ("register", "view_carphoto"),
    ("register", "change_carphoto"),
    ("register", "delete_carphoto"),
    ("register", "view_ownership"),
    ("register", "view_user"),
    ("register", "import_car"),
    ("register", "export_car"),
    # VIN existence checks per account and address: registrars see the counters and may delete one (a reset).
    ("register", "view_vincheckcounter"),
    ("register", "delete_vincheckcounter"),
    # Unlock a login locked after too many failures (django-axes): delete the access attempt.
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
]

# Not default model permissions: the Car admin checks them for import and export.
EXTRA_CAR_PERMISSIONS = [
    ("import_car", "Can import cars"),
    ("export_car", "Can export cars"),
]


def create_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    car_type = ContentType.objects.get(app_label="register", model="car")
    for codename, name in EXTRA_CAR_PERMISSIONS:
        Permission.objects.get_or_create(content_type=car_type, codename=codename, defaults={"name": name})

    group, _ = Group.objects.get_or_create(name=GROUP)
    permissions = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in PERMISSIONS
    ]
    group.permissions.set(permissions)


def remove_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0002_model_facts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.RunPython(create_group, remove_group),
    ]
