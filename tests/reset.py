"""How a transactional test's database is emptied after it and refilled before the next one, in milliseconds.

Transactional tests (real commits: races, the roster cache, live servers, mail workers) run Django's
TransactionTestCase with serialized rollback (tests/conftest.py). Django empties every table after each one
with a single ``TRUNCATE`` of all of them, and puts the rows the migrations made (content types, permissions,
groups, colours, model facts, the roster generation) back before the next by deserializing some 200 objects
from JSON and saving them one by one. On this project's ~40 tables that cost 0.5–0.7 s per test, a quarter
of the suite: ``TRUNCATE`` gives every table and index a new file, and each save is a round trip or two.

``install`` keeps Django's two steps and their meaning, and changes how each is done, on the test
database's own connection only:

- **Emptying** (the ``flush`` Django calls): ``DELETE`` from every table instead of ``TRUNCATE`` — the same
  tables, the same end (empty, sequences untouched, as Django's test flush leaves them). A ``DELETE`` runs the
  tables' triggers, which ``TRUNCATE`` does not: ``SET CONSTRAINTS ALL IMMEDIATE`` runs the deferred ones
  (foreign-key checks, the roster generation's bump) at that point, and a second round of ``DELETE`` takes
  whatever they wrote, so the tables end as empty as ``TRUNCATE`` leaves them.
- **Refilling** (Django's ``deserialize_db_from_string``): the same rows, copied with ``COPY`` into each table
  that had any right after the migrations (``snapshot``, taken then, when Django serializes them too), after
  deleting what those tables hold (the migrations' own rows before the first transactional test; a trigger's).
  Foreign keys are deferred, so the order of the tables does not matter.

A flush asked for with ``reset_sequences`` or ``allow_cascade`` (no test here asks) stays Django's own.
The snapshot is taken once per database; a connection object made later for the same database (the browser
journeys get new ones, tests/e2e/conftest.py) is given the same by ``install``.
"""

from __future__ import annotations

from django.db import transaction

_snapshots: dict[str, dict[str, bytes]] = {}  # by database alias


def snapshot(connection) -> dict[str, bytes]:
    """Every row of every table Django flushes that has any, in ``COPY``'s text format, by table."""
    rows = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False):
            with cursor.copy(f"COPY {connection.ops.quote_name(table)} TO STDOUT") as copy:
                data = b"".join(bytes(block) for block in copy)
            if data:
                rows[table] = data
    return rows


def install(connection) -> None:
    """Make ``connection``'s flush a ``DELETE`` and its serialized rollback a ``COPY`` of its database's
    ``snapshot`` (taken now, the first time)."""
    if connection.alias not in _snapshots:
        _snapshots[connection.alias] = snapshot(connection)
    rows = _snapshots[connection.alias]
    quote = connection.ops.quote_name
    truncate = connection.ops.sql_flush

    def sql_flush(style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        deletes = [f"DELETE FROM {quote(table)}" for table in tables]
        return ["SET CONSTRAINTS ALL DEFERRED", *deletes, "SET CONSTRAINTS ALL IMMEDIATE", *deletes]

    def deserialize_db_from_string(data):  # ``data``: Django's JSON of the same rows
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in rows:
                cursor.execute(f"DELETE FROM {quote(table)}")
            for table, data in rows.items():
                with cursor.copy(f"COPY {quote(table)} FROM STDIN") as copy:
                    copy.write(data)

    connection.ops.sql_flush = sql_flush
    connection.creation.deserialize_db_from_string = deserialize_db_from_string
