"""Tickets: a random token and short code on every entry, and who checked a car in.

Existing entries get their own random values (a column default would give them all the same one).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import events.tickets


def fill_tickets(apps, schema_editor):
    Entry = apps.get_model("events", "Entry")
    entries = list(Entry.objects.only("pk"))
    for entry in entries:
        entry.ticket_token = events.tickets.new_token()
        entry.ticket_code = events.tickets.new_code()
    Entry.objects.bulk_update(entries, ["ticket_token", "ticket_code"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_roster_generation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="checked_in_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="checked in by",
            ),
        ),
        migrations.AddField(
            model_name="entry",
            name="ticket_token",
            field=models.CharField(max_length=64, null=True, verbose_name="ticket token"),
        ),
        migrations.AddField(
            model_name="entry",
            name="ticket_code",
            field=models.CharField(max_length=8, null=True, verbose_name="ticket code"),
        ),
        migrations.RunPython(fill_tickets, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="entry",
            name="ticket_token",
            field=models.CharField(
                default=events.tickets.new_token, max_length=64, unique=True, verbose_name="ticket token"
            ),
        ),
        migrations.AlterField(
            model_name="entry",
            name="ticket_code",
            field=models.CharField(
                default=events.tickets.new_code, max_length=8, unique=True, verbose_name="ticket code"
            ),
        ),
    ]
