"""Reading an entry's audit trail (django-simple-history snapshots) in tests, as old → new per field."""

from __future__ import annotations

from typing import NamedTuple

from events.models import Entry


class Change(NamedTuple):
    field: str
    old: str
    new: str
    by: int | None  # the user's id
    reason: str


FIELD_ORDER = {field.name: number for number, field in enumerate(Entry._meta.fields)}


def _text(value) -> str:
    return "" if value is None else str(value)


def entry_changes(entry: Entry) -> list[Change]:
    """Every change of ``entry`` after it was written first, oldest first, one per changed field (in the
    model's field order), from the differences between consecutive snapshots."""
    records = list(Entry.history.filter(id=entry.pk).order_by("history_date", "history_id"))
    return [
        Change(
            change.field,
            _text(change.old),
            _text(change.new),
            record.history_user_id,
            record.history_change_reason or "",
        )
        for previous, record in zip(records, records[1:], strict=False)
        for change in sorted(record.diff_against(previous).changes, key=lambda change: FIELD_ORDER[change.field])
    ]


def updates(**filters):
    """The snapshots of changes (not of creations) of the entries matching ``filters``."""
    return Entry.history.filter(history_type="~", **filters)
