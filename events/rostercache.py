"""The roster cache, all of it: what is cached, under which key, and what makes a cached page old.

**What is cached.** The published roster (each page of it: ``events.views._published_roster``) and the home
page (``register.views.home``) are the same for every visitor of a kind (public, member, staff: only the
menu differs). Each is rendered once per process and kept whole in Django's cache, because building a
roster of thousands of entries takes seconds (BENCHMARKS.md). The JSON, CSV and calendar exports are not
cached, but they read the same tables and the guard test holds them to the same list.

**Under which key.** ``page:<name>:<language>:<kind>`` holds ``(version, page, gzipped page)``: one entry
per page, language and kind of visitor, however often the data changes, so memory stays bounded. The
version is the **roster generation** (the one row of ``events.RosterGeneration``; the home page adds the
minute, because "registration open" changes with the clock). A stored page whose version is not the
current one is rebuilt on that very request. The same version names the page's ETag, so a browser
revalidating its copy gets a 304. ``roster_stamp`` reads the event and the generation in one small
hand-written query: an unchanged roster costs that query and nothing else.

**What bumps the generation.** One database trigger on each table in ``WATCHED``, whoever writes
(service, admin, plain SQL, a migration): no code path can forget it. ``register_user`` counts only
when a public name or its consent changes, not on every login. The triggers are *deferred constraint
triggers*: they run at commit, so the generation row is locked only for the last moment of a writing
transaction, the new value becomes visible together with the data (a page cached under a generation is
never older than that generation's data), and a transaction bumps it once however many rows it wrote (a
transaction-local flag). A request inside a transaction that has written sees no generation (None): what
it builds shows uncommitted data and is never stored.

**Where the triggers come from.** ``triggers_install`` runs after every ``migrate`` (``events.apps``, a
``post_migrate`` step). It makes the database's triggers exactly ``WATCHED``: a listed table gets its
trigger (re-created when its definition here changed: each trigger carries its definition as a comment),
and a trigger of this cache (named ``roster_generation``) on a table no longer listed is dropped.
Nothing changes when nothing changed here. (PostgreSQL has no ``CREATE OR REPLACE`` for constraint
triggers, hence the comparison.) Migration ``events/0003_roster_generation`` created the first ones; it is
history, this list is what counts.

**A page that shows a new table's data** needs that table in ``WATCHED``, or its cached page goes stale
with no error. ``tests/events/test_roster_cache.py`` records the queries of every cached page and export
and fails naming any table it reads that is not listed.

**The CSRF swap.** A logged-in visitor's menu has one form (log out), whose CSRF token is theirs. The page
is stored with ``CSRF_PLACEHOLDER`` in its place and each response swaps in the visitor's own token, so no
visitor ever gets another's. A page without the placeholder (a public visitor's) is the same bytes for
everyone and is gzipped once when stored. Nothing else of the request may show in a stored page: the
footer's link to the language page leads back to ``path``, the address the cache key stands for, not to
the first visitor's own query string; a message waiting for the visitor is rendered for them, uncached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

from django.contrib import messages
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.middleware.gzip import re_accepts_gzip
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag
from django.utils.text import compress_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# --- what bumps the generation -------------------------------------------------------------------------------


class Watched(NamedTuple):
    """A table whose rows a cached page shows, and the writes to it that change what it shows."""

    table: str
    events: str = "INSERT OR UPDATE OR DELETE"
    when: str = ""  # a trigger's WHEN condition, or nothing: every such write counts

    @property
    def definition(self) -> str:
        """What the installed trigger carries as its comment, to tell whether it is still this one."""
        return f"{self.events} {self.when}".strip()


WATCHED: list[Watched] = [
    Watched("events_event"),
    Watched("events_session"),
    Watched("events_entry"),
    Watched("register_car"),
    Watched("register_carphoto"),
    Watched("register_colour"),
    Watched("register_registeredmodel"),
    # The user row is read for the driver's public name; a login (last_login) must not empty the cache.
    Watched(
        "register_user",
        "UPDATE",
        "WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name"
        " OR OLD.show_name_publicly IS DISTINCT FROM NEW.show_name_publicly)",
    ),
]

TRIGGER_NAME = "roster_generation"
BUMP_FUNCTION = "events_roster_generation_bump"

_BUMP_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {BUMP_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
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

# This cache's triggers on the tables of the current schema, with the definition each carries.
_INSTALLED_SQL = """
SELECT c.relname, obj_description(t.oid, 'pg_trigger')
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname = %s AND pg_table_is_visible(c.oid)
"""


def watched_tables() -> set[str]:
    return {w.table for w in WATCHED}


def installed_triggers(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, str | None]:
    """The tables that have this cache's trigger, each with the definition it carries (None: unknown)."""
    with connections[using].cursor() as cursor:
        cursor.execute(_INSTALLED_SQL, [TRIGGER_NAME])
        return dict(cursor.fetchall())


def triggers_install(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Make the database's generation triggers exactly ``WATCHED`` (see the module's docstring). Idempotent.
    Nothing before migration ``events/0003_roster_generation`` (which creates the function, so that it can be
    run backwards and forwards again); a listed table that does not exist (yet, or any more) is left out."""
    connection_ = connections[using]
    with transaction.atomic(using=using), connection_.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure(%s) IS NOT NULL", [f"{BUMP_FUNCTION}()"])
        if not cursor.fetchone()[0]:
            return
        cursor.execute(_BUMP_FUNCTION_SQL)
        installed = installed_triggers(using=using)
        quote = connection_.ops.quote_name
        for table in set(installed) - watched_tables():
            cursor.execute(f"DROP TRIGGER {TRIGGER_NAME} ON {quote(table)}")
        for watched in WATCHED:
            if installed.get(watched.table) == watched.definition:
                continue
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [watched.table])
            if not cursor.fetchone()[0]:
                continue
            table = quote(watched.table)
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER_NAME} ON {table}")
            cursor.execute(
                f"CREATE CONSTRAINT TRIGGER {TRIGGER_NAME} AFTER {watched.events} ON {table}"
                f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {watched.when} EXECUTE FUNCTION {BUMP_FUNCTION}()"
            )
            cursor.execute(f"COMMENT ON TRIGGER {TRIGGER_NAME} ON {table} IS %s", [watched.definition])


# --- the generation's row ------------------------------------------------------------------------------------


class RosterGeneration(models.Model):
    """One row counting the committed changes to anything a published roster shows: the roster cache's key.

    Why: the published roster page is cached whole (``events.views._published_roster``), because
    building it costs a template over every entry (seconds for thousands); under this generation an
    unchanged roster costs one small query (``events.rostercache.roster_stamp``) and a change shows on the very
    next request. It earns its keep: the roster served 0.22× the requests of a raw psycopg2 page with the
    earlier design (a fingerprint query over every row), 1.20× with this one (BENCHMARKS.md).

    What bumps it: deferred database triggers on the tables in ``WATCHED`` (installed
    after every migrate) add one per committing transaction that wrote to an event, session, entry, car,
    photo, colour, the model facts, or a user's public name or its consent — from a service, the admin or
    plain SQL alike, so no code path can forget it. A table the roster starts to show goes into that list;
    the module's docstring explains the rest.
    """

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("roster generation")

    def __str__(self):
        return str(self.value)


# --- reading the generation ----------------------------------------------------------------------------------


class RosterStamp(NamedTuple):
    event_id: int
    published: bool
    # The committed generation; None inside a transaction that has written, whose own changes are counted
    # only at its commit (so nothing rendered from it may be cached).
    generation: int | None


# Hand-written because they run on every request of a cached page: composing them with the ORM costs more
# than running them. pg_current_xact_id_if_assigned() is NULL until the transaction has written.
_ROSTER_STAMP_SQL = """
SELECT e.id, e.roster_published, CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN g.value END
  FROM events_event e LEFT JOIN events_rostergeneration g ON g.id = 1
 WHERE e.slug = %s
"""
_GENERATION_SQL = """
SELECT CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN value END FROM events_rostergeneration WHERE id = 1
"""


def roster_stamp(slug: str) -> RosterStamp | None:
    """What names a cached roster page, in one small query: the event, published or not, and the generation."""
    with connection.cursor() as cursor:
        cursor.execute(_ROSTER_STAMP_SQL, [slug])
        row = cursor.fetchone()
    return RosterStamp(*row) if row else None


def current_generation() -> int | None:
    """The committed generation, or None inside a transaction that has written (see RosterStamp)."""
    with connection.cursor() as cursor:
        cursor.execute(_GENERATION_SQL)
        row = cursor.fetchone()
    return row[0] if row else None


# --- the stored pages ----------------------------------------------------------------------------------------

# Real tokens are 64 letters and digits, so this can never be one.
CSRF_PLACEHOLDER = "csrf-token-of-this-request"
_CSRF_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
PAGE_SECONDS = 3600
_RENDER_LOCK = threading.Lock()


def cached_page_response(
    request, *, name: str, version: int | str, template: str, context: Callable[[], dict], path: str
) -> HttpResponse:
    """The page ``name`` (one cache entry per name, language and kind of visitor) rendered from
    ``template`` with ``context()``, rebuilt when ``version`` (the generation, and whatever else the page
    depends on) changes. ``path`` is the page's address with only the query ``name`` stands for."""
    user = request.user
    kind = "staff" if user.is_staff else "member" if user.is_authenticated else "public"
    language = get_language()
    etag = quote_etag(f"{name}-{version}-{language}-{kind}")
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    if len(messages.get_messages(request)):
        # A message waiting for this visitor belongs on this page, and only for them.
        response = render(request, template, context())
    else:
        key = f"page:{name}:{language}:{kind}"
        cached = _cached(key, version)
        if cached is None:
            # Visitors arriving together after a change would each build the page (seconds for
            # thousands of entries); one builds it while the others of this process wait for it.
            with _RENDER_LOCK:
                cached = _cached(key, version)
                if cached is None:
                    page = render_to_string(
                        template, {**context(), "csrf_token": CSRF_PLACEHOLDER, "page_path": path}, request
                    ).encode()
                    # A page without a token is the same bytes for everyone: compressed once here rather
                    # than by gzip_page on every response (about 1 ms of CPU per 100 KB of HTML).
                    packed = None if _CSRF_PLACEHOLDER_BYTES in page else compress_string(page)
                    cached = (page, packed)
                    cache.set(key, (version, *cached), PAGE_SECONDS)
        page, packed = cached
        if packed is not None and re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")):
            response = HttpResponse(packed)
            response["Content-Encoding"] = "gzip"
            response["Content-Length"] = str(len(packed))
            patch_vary_headers(response, ("Accept-Encoding",))
            etag = f"W/{etag}"  # as gzip_page marks a compressed representation
        else:
            if _CSRF_PLACEHOLDER_BYTES in page:  # a form for a logged-in visitor (log out)
                page = page.replace(_CSRF_PLACEHOLDER_BYTES, get_token(request).encode())
            response = HttpResponse(page)
    response["ETag"] = etag
    patch_cache_control(response, no_cache=True, private=True)
    return response


def _cached(key: str, version: int | str) -> tuple[bytes, bytes | None] | None:
    """The page and its gzipped bytes (None when the page carries a CSRF placeholder) for ``version``."""
    cached = cache.get(key)
    return (cached[1], cached[2]) if cached is not None and cached[0] == version else None
