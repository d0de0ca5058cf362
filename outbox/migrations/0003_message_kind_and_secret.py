"""Each message records its kind (the template that made it) and whether its body carries a personal secret.

Messages queued before this migration have no kind, so nobody can tell which of them held a password-reset
link, a confirmation key or a ticket: they all count as secret-bearing (the field's default), and the bodies
of those already sent are erased here, as ``message_deliver`` now erases every secret-bearing body once sent.
Queued and failed ones keep their body so they can still be delivered; the admin shows none of it.
"""

from django.db import migrations, models


def erase_sent_bodies_of_unknown_kind(apps, schema_editor):
    Message = apps.get_model("outbox", "Message")
    Message.objects.filter(status="sent", kind="").update(text="", html="", attachments=[])


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0002_staff_see_mail"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="carries_secret",
            field=models.BooleanField(default=True, verbose_name="carries a personal link or code"),
        ),
        migrations.AddField(
            model_name="message",
            name="kind",
            field=models.CharField(blank=True, max_length=100, verbose_name="kind"),
        ),
        migrations.RunPython(erase_sent_bodies_of_unknown_kind, migrations.RunPython.noop),
    ]
