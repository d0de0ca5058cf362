"""What every part of ``events.services`` shares: the error a broken rule raises, the session lock, and the
audited writers of entries.

Locking: every service that changes who is confirmed, or which slot a car has, locks the session row
(``SELECT … FOR UPDATE``) inside one transaction before it counts or numbers anything, so two requests for
the same session are serialised and capacity can never be overshot (the pretalx way; READ COMMITTED). The
services look the lock up here, in ``_lock_session``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import override

from common.bulk import rows_update
from events.models import Entry, Session
from register.models import User


class EntryError(Exception):
    """A rule of the events was broken; the message is for the user."""


def _lock_session(session_id: int) -> Session:
    """Lock the session row until the end of the transaction: the one lock every capacity rule relies on."""
    return Session.objects.select_for_update().get(pk=session_id)


def _locked_entry(entry: Entry) -> tuple[Session, Entry]:
    """Lock the entry's session, then read the entry as committed: what an organiser's action on one entry
    decides on."""
    session = _lock_session(entry.session_id)
    return session, Entry.objects.select_related("car", "driver", "session__event", "checked_in_by").get(pk=entry.pk)


def _audited(entry: Entry, *, by: User | None, reason: Promise) -> Entry:
    """Say who changes ``entry`` and why: django-simple-history writes both into the snapshot it takes when
    the entry is saved (``save()``) or bulk-updated (``_save_entries``), in the same transaction.

    ``reason`` is a lazy translation, stored in the site's language (English) whoever acts, so that the audit
    trail can show every reason in its reader's language (``events.admin.change_reason``)."""
    entry._history_user = by  # None stays None: a change by nobody is not the request's user's
    with override(settings.LANGUAGE_CODE):
        entry._change_reason = str(reason)[:100]
    return entry


def _save_entries(entries: Sequence[Entry], fields: list[str]) -> None:
    """``fields`` of many entries written at once (``common.bulk.rows_update``), with a history snapshot per
    entry (one more INSERT for all of them): the audited writer for many entries, since simple-history's
    signals do not see a bulk write. What simple-history's ``bulk_update_with_history`` does, faster."""
    rows_update(entries, fields)
    Entry.history.bulk_history_create(entries, update=True)


def is_organiser(user: User | None) -> bool:
    """Staff with the permission to change entries (the "Organisers" group, or a superuser)."""
    return bool(user and user.is_active and user.is_staff and user.has_perm("events.change_entry"))
