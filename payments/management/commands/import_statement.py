"""Import a bank statement file (CAMT.053, MT940 or CSV) and match its new credits, as the admin's import page
does; prints how many credits were read, how many were new and what became of the new ones."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from payments.models import CsvLayout
from payments.services import statement_import
from payments.statements import StatementError


class Command(BaseCommand):
    help = "Import a bank statement (CAMT.053, MT940 or CSV) and match its credits to entries awaiting payment."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--layout", help="The name of a saved CSV layout (for a CSV file of another bank).")

    def handle(self, *args, file: Path, layout: str | None, **options):
        csv_layout = None
        if layout:
            csv_layout = CsvLayout.objects.filter(name=layout).first()
            if csv_layout is None:
                raise CommandError(_("No CSV layout is called “%(name)s”.") % {"name": layout})
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(_("The file cannot be read: %(error)s") % {"error": error.strerror}) from error
        try:
            statement = statement_import(data=data, file_name=file.name, by=None, csv_layout=csv_layout)
        except StatementError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(statement.summary())
