"""Entry changes: the entries' django-simple-history snapshots get a name of their own, and organisers may
read them across entries (the admin's "Entry changes" list, events.admin.audit.EntryChangeAdmin; the permission is
given in ``portal/roles.py``)."""

from django.db import migrations


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
    ]
