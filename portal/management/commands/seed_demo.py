"""``python manage.py seed_demo``: synthetic owners, cars, photos, logins and gatherings for development."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal import demo, demo_data


class Command(BaseCommand):
    help = "Fill the database with synthetic demo data (idempotent; development only)."

    def handle(self, *args, **options):
        # The demo logins share a published password: never create them on a production site.
        if not settings.DEBUG:
            raise CommandError("seed_demo creates logins with a published password; it only runs with DEBUG on.")
        report = demo.Seeder().run()
        if report.created:
            for what, count in sorted(report.created.items()):
                self.stdout.write(f"Created {count} {what}.")
        else:
            self.stdout.write("Demo data already present; nothing to do.")
        self.stdout.write(self.style.SUCCESS("Demo logins (development only), password: " + demo_data.DEMO_PASSWORD))
        for email, role in (
            (demo_data.ADMIN_EMAIL, "superuser"),
            (demo_data.ORGANISER_EMAIL, "organiser (staff, group Organisers)"),
            (demo_data.REGISTRAR_EMAIL, "registrar (staff, group Registrars)"),
            (demo_data.OWNER_EMAIL, "owner with one verified and one pending car"),
        ):
            self.stdout.write(f"  {email:<24} {role}")
