"""The contender for bench/roster.py: a minimal WSGI app, raw psycopg2 and string rendering.

Serves ``/events/<slug>/roster/`` with the same rows as the app's roster table (slot, colour, market,
nickname, register number, masked VIN, driver's public name) — like the app, the first 100 cars of each
session (``PAGE``; the app lists a session 100 cars a page) — one query, one persistent connection per
thread. No framework, no template engine, no sessions: the floor the real page is measured against.

Run by bench/roster.py under the same gunicorn settings as the app; reads RAW_PG_HOST / RAW_PG_PORT /
RAW_PG_DB from the environment.
"""

from __future__ import annotations

import html
import os
import re
import threading

import psycopg2

_local = threading.local()
_PATH = re.compile(r"^/events/(?P<slug>[-a-zA-Z0-9_]+)/roster/$")

PAGE = 100
QUERY = f"""
SELECT name, slot, colour, market, nickname, register_number, vin, driver FROM (
  SELECT s.name, e.slot, col.name AS colour, c.market, c.nickname, c.register_number, c.vin,
         CASE WHEN u.show_name_publicly AND u.display_name <> '' THEN u.display_name ELSE '' END AS driver,
         s.starts_at, s.id AS session_id, e.created, e.id,
         row_number() OVER (PARTITION BY s.id ORDER BY e.slot NULLS LAST, e.created, e.id) AS position
  FROM events_entry e
  JOIN events_session s ON s.id = e.session_id
  JOIN events_event ev ON ev.id = s.event_id
  JOIN register_car c ON c.id = e.car_id
  JOIN register_colour col ON col.id = c.colour_id
  LEFT JOIN register_user u ON u.id = e.driver_id
  WHERE ev.slug = %s AND ev.roster_published AND e.status = 'confirmed'
) page
WHERE position <= {PAGE}
ORDER BY starts_at, session_id, slot NULLS LAST, created, id
"""


def _cursor():
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg2.connect(
            host=os.environ["RAW_PG_HOST"],
            port=os.environ.get("RAW_PG_PORT", "5432"),
            user="postgres",
            dbname=os.environ.get("RAW_PG_DB", "postgres"),
        )
        conn.autocommit = True
        _local.conn = conn
    return conn.cursor()


def render(slug: str, rows: list[tuple]) -> str:
    esc = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Roster</title></head><body><main>",
        f"<h1>Roster {esc(slug)}</h1>",
    ]
    session = None
    for name, slot, colour, market, nickname, number, vin, driver in rows:
        if name != session:
            if session is not None:
                out.append("</tbody></table>")
            session = name
            out.append(
                f"<h2>{esc(name)}</h2><table><thead><tr><th>Slot</th><th>Colour</th><th>Market</th>"
                "<th>Nickname</th><th>No.</th><th>VIN</th><th>Driver</th></tr></thead><tbody>"
            )
        masked = f"{vin[:6]}•••••••{vin[-4:]}"
        out.append(
            f"<tr><td>{slot}</td><td>{esc(colour)}</td><td>{esc(market)}</td><td>{esc(nickname)}</td>"
            f"<td>{number or ''}</td><td>{masked}</td><td>{esc(driver or 'Registered owner')}</td></tr>"
        )
    if session is not None:
        out.append("</tbody></table>")
    out.append("</main></body></html>")
    return "".join(out)


def application(environ, start_response):
    match = _PATH.match(environ.get("PATH_INFO", ""))
    if not match:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    with _cursor() as cursor:
        cursor.execute(QUERY, (match["slug"],))
        rows = cursor.fetchall()
    body = render(match["slug"], rows).encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
