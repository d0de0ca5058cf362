"""The roster generation's row and the triggers that bump it whenever something a roster shows is committed.

The triggers are deferred constraint triggers: they run at commit, so the generation row is locked only
for the last moment of a writing transaction, and a transaction bumps it once (a transaction-local flag),
however many rows it wrote. Users count only when their public name or its consent changes, not on
every login.

History: since then ``events.rostercache`` owns the function and the triggers, and makes them match its list
``WATCHED`` after every migrate (a ``post_migrate`` step). This migration still creates the generation's row and
the first triggers on a new database; what it lists here is not what counts.
"""

from django.db import migrations

BUMP_FUNCTION = """
CREATE FUNCTION events_roster_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('events.roster_generation_bumped', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('events.roster_generation_bumped', 'on', true);
        INSERT INTO events_rostergeneration (id, value) VALUES (1, 1)
            ON CONFLICT (id) DO UPDATE SET value = events_rostergeneration.value + 1;
    END IF;
    RETURN NULL;
END
$$;
"""

# Every table whose rows the roster page shows, and the events on it that change what it shows.
WATCHED = [
    ("events_event", "INSERT OR UPDATE OR DELETE", ""),
    ("events_session", "INSERT OR UPDATE OR DELETE", ""),
    ("events_entry", "INSERT OR UPDATE OR DELETE", ""),
    ("register_car", "INSERT OR UPDATE OR DELETE", ""),
    ("register_carphoto", "INSERT OR UPDATE OR DELETE", ""),
    ("register_colour", "INSERT OR UPDATE OR DELETE", ""),
    ("register_registeredmodel", "INSERT OR UPDATE OR DELETE", ""),
    (
        "register_user",
        "UPDATE",
        "WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name"
        " OR OLD.show_name_publicly IS DISTINCT FROM NEW.show_name_publicly)",
    ),
]

CREATE_TRIGGERS = [
    f"CREATE CONSTRAINT TRIGGER roster_generation AFTER {events} ON {table} DEFERRABLE INITIALLY DEFERRED"
    f" FOR EACH ROW {when} EXECUTE FUNCTION events_roster_generation_bump();"
    for table, events, when in WATCHED
]
DROP_TRIGGERS = [f"DROP TRIGGER IF EXISTS roster_generation ON {table};" for table, _events, _when in WATCHED]


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_organisers_group"),
        ("register", "0002_model_facts"),
    ]

    operations = [
        migrations.RunSQL(
            "INSERT INTO events_rostergeneration (id, value) VALUES (1, 1);",
            "DELETE FROM events_rostergeneration;",
        ),
        migrations.RunSQL(BUMP_FUNCTION, "DROP FUNCTION events_roster_generation_bump() CASCADE;"),
        migrations.RunSQL(CREATE_TRIGGERS, list(reversed(DROP_TRIGGERS))),
    ]
