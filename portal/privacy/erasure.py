"""Erasing a person by the map: what ``register.services.user_delete`` does not do itself.

``user_delete`` ends what the person has running (``account_closing``), sets the register's placeholders (former
account numbers) and deletes the account; the foreign keys to the account then do the map's UNLINK (``SET_NULL``)
and the DELETE of rows that belong to the account alone (``CASCADE``). Inside that, while the person's rows can
still be found, ``map_erase`` (a receiver of ``account_closing``, so every way an account is deleted passes here:
the profile, the admin's delete, the staff's erasure on request) applies the rest of the map to each record's rows:
a record whose personal fields are all DELETE loses the person's rows (mail to them, their login records and
sessions); in the others, BLANK fields are emptied and PLACEHOLDER fields say "deleted account #n". The mails about
the closing itself (an entry cancelled) are still queued: they go out, and the retention job deletes them the day
after (``retention.mail_to_no_account``). KEEP and UNLINK are left to the account's deletion. The account itself is
``user_delete``'s: the map skips the user model.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models, transaction

from portal.models import DataRequest
from portal.privacy.datamap import RECORDS
from portal.privacy.schema import Erase, Record
from register.services import user_delete

PLACEHOLDER = "deleted account #%(id)d"


def _blank(field: models.Field):
    if isinstance(field, models.JSONField):
        return field.get_default()
    if field.null:
        return None
    return ""


def _erase_record(record: Record, rows, user) -> int:
    rules = {name: personal.erase for name, personal in record.personal.items()}
    if rules and all(rule == Erase.DELETE for rule in rules.values()):
        deleted, _per_model = rows.delete()
        return deleted
    values = {}
    for name, rule in rules.items():
        field = record.model._meta.get_field(name)
        if rule == Erase.PLACEHOLDER:
            values[name] = PLACEHOLDER % {"id": user.pk}
        elif rule == Erase.BLANK or (rule == Erase.DELETE and isinstance(field, models.FileField)):
            values[name] = _blank(field)
            if isinstance(field, models.FileField):
                _files_delete_at_commit(field, rows)
    return rows.update(**values) if values else 0


def _files_delete_at_commit(field: models.FileField, rows) -> None:
    names = [name for name in rows.values_list(field.name, flat=True) if name]
    if names:
        transaction.on_commit(lambda: [field.storage.delete(name) for name in names])


def map_erase(*, user) -> dict[str, int]:
    """Apply the map's erasure to the person's rows, record by record; return the rows touched per record."""
    user_model = get_user_model()
    # Every record's rows are found first: erasing one (the email addresses) must not hide another's.
    found = [
        (record, (record.erase_rows or record.rows)(user))
        for record in RECORDS
        if record.rows is not None and record.model is not user_model
    ]
    return {record.label: _erase_record(record, rows, user) for record, rows in found}


def erase_by_the_map(sender, *, user, **kwargs) -> dict[str, int]:
    """A receiver of ``account_closing``, connected in ``PortalConfig.ready`` (not at import: the admin's
    autodiscovery imports this module before events is ready), so that it runs after events has cancelled the
    person's entries and queued the mails saying so, which go too: the account they were about is closing."""
    counts = map_erase(user=user)
    DataRequest.objects.create(kind=DataRequest.Kind.ERASURE, subject_id=user.pk)
    return counts


@transaction.atomic
def person_erase(*, user, by) -> DataRequest:
    """Erase a person at their request (a letter), by a member of staff: the same as deleting the account,
    with who did it in the record."""
    subject_id = user.pk
    user_delete(user=user)
    request = DataRequest.objects.filter(kind=DataRequest.Kind.ERASURE, subject_id=subject_id).latest("pk")
    request.by = by
    request.by_staff = True
    request.save(update_fields=["by", "by_staff"])
    return request
