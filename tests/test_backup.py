from io import StringIO

import pytest
from django.core.management import call_command

from events.models import Entry
from register.models import Car
from tests.factories import EntryFactory, SessionFactory


@pytest.mark.django_db(transaction=True)
def test_dump_and_restore_keep_every_row(tmp_path):
    session = SessionFactory(capacity=5)
    EntryFactory.create_batch(3, session=session)
    out = StringIO()

    call_command("db_backup", "--verify", "--output", str(tmp_path / "register.dump"), stdout=out)

    text = out.getvalue()
    assert "Restore verified" in text
    assert (tmp_path / "register.dump").stat().st_size > 0
    car_line = next(line for line in text.splitlines() if line.strip().startswith("register_car "))
    assert car_line.split()[1:] == [str(Car.objects.count())] * 2
    entry_line = next(line for line in text.splitlines() if line.strip().startswith("events_entry "))
    assert entry_line.split()[1:] == [str(Entry.objects.count())] * 2
