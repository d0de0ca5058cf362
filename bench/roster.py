"""Roster page throughput: the app (gunicorn + Django) vs a raw psycopg2 WSGI app, same rows, same server.

    .venv/bin/python bench/roster.py [--seconds 8] [--rounds 3] [--connections 8] [--app-root DIR]

Needs wrk (`apt-get install -y wrk`). Everything runs on 127.0.0.1 against a throw-away embedded
PostgreSQL that is deleted afterwards. Both contenders run under the same gunicorn settings
(2 workers × 4 gthread threads, as `make serve`) with DEBUG off. Each req/s figure is the median of ``--rounds``
wrk runs, app and raw taking turns: wrk opens its connections anew each run and gunicorn's workers
accept them greedily, so one run may find all of them on one worker (one core) and another spread
over both; the median of interleaved runs compares like with like. ``--app-root`` points at another
checkout (e.g. a scratch copy with a proposed change) to measure it against the same contender;
``--before-root`` adds a third contender, another checkout (e.g. ``git archive <commit>`` unpacked), that
takes its turn in the same rounds, so a change is measured before and after on one loaded machine.
Goal: app ≥ 1.0× raw.
"""

from __future__ import annotations

import argparse
import time

from kit import ROOT, collectstatic, harness, production_env, wrk
from raw_roster import PAGE

SIZES = (105, 6342)
COLUMNS = [("entries", 8), ("app req/s", 10), ("raw req/s", 10), ("ratio", 7), ("ratio range", 13)]
COLUMNS += [("app p50", 9), ("raw p50", 9), ("app KB", 7), ("raw KB", 7), ("slot change", 13)]
COLUMNS += [("app 304 req/s", 14), ("ratio", 7)]
HEADER = " ".join(f"{name:>{width}}" for name, width in COLUMNS)


def slot_change_shows(db, port: int, path: str, *, data_session: int) -> str:
    """Move slot 1 to slot 99999 in the database; the very next request must show it (then move it back):
    the convoy's first page then starts at slot 2 (slot 99999 is on its last page)."""
    db.query("UPDATE events_entry SET slot = 99999 WHERE session_id = %s AND slot = 1", (data_session,))
    try:
        body = harness.request(port, "GET", path, timeout=300).body
        shown = b'<td class="slot">1</td>' not in body and b'<td class="slot">2</td>' in body
    finally:
        db.query("UPDATE events_entry SET slot = 1 WHERE session_id = %s AND slot = 99999", (data_session,))
    return "shows at once" if shown else "STALE"


def median_run(results: list[dict]) -> dict:
    """The wrk run with the median requests per second (the lower middle one of an even count)."""
    return sorted(results, key=lambda x: x["rps"])[(len(results) - 1) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--app-root", default=str(ROOT))
    parser.add_argument("--before-root", help="another checkout measured in the same rounds")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--env", action="append", default=[], help="extra NAME=value for the app")
    parser.add_argument(
        "--conn-max-age", type=int, default=None, help="CONN_MAX_AGE for the app (via DATABASE_URL); default: settings"
    )
    args = parser.parse_args()
    app_root = harness.Path(args.app_root).resolve()
    sizes = [int(s) for s in args.sizes.split(",")]

    with harness.embedded_database() as db:
        started = time.monotonic()
        harness.migrate(db)
        events, sessions = {}, {}
        for i, size in enumerate(sizes):
            data = harness.seed(
                db, "roster", "--event", f"roster-{size}", "--confirmed", str(size), "--offset", str(100_000 * (i + 1))
            )
            events[size] = data["event"]
            sessions[size] = data["session"]
        collectstatic(db, app_root)
        print(f"# setup (migrate, seed {sizes}, collectstatic): {time.monotonic() - started:.1f} s")
        gunicorn = {"workers": args.workers, "threads": args.threads}
        app_env = production_env(db)
        app_env.update(dict(kv.split("=", 1) for kv in args.env))
        if args.conn_max_age is not None:
            app_env["DATABASE_URL"] = f"{db.url}&conn_max_age={args.conn_max_age}"
        app = harness.start_gunicorn(db, root=app_root, timeout=300, **gunicorn, **app_env)
        servers = {"app": app}
        if args.before_root:
            before_root = harness.Path(args.before_root).resolve()
            collectstatic(db, before_root)
            servers["before"] = harness.start_gunicorn(db, root=before_root, timeout=300, **gunicorn, **app_env)
        raw_env = {"RAW_PG_HOST": db.socket_dir, "RAW_PG_PORT": str(db.port)}
        try:
            raw = harness.start_gunicorn(
                db,
                app="bench.raw_roster:application",
                health=f"/events/{events[sizes[0]]}/roster/",
                **gunicorn,
                **raw_env,
            )
        except BaseException:
            for server in servers.values():
                server.stop()
            raise
        servers["raw"] = raw
        try:
            print(
                f"# gunicorn --workers {args.workers} --threads {args.threads} (gthread), DEBUG=0; "
                f"wrk -t2 -c{args.connections} -d{args.seconds}s; app root {app_root}; "
                f"CONN_MAX_AGE {args.conn_max_age}"
            )
            print(HEADER)
            for size in sizes:
                path = f"/events/{events[size]}/roster/"
                app_first = harness.request(app.port, "GET", path, timeout=300)
                app_body = app_first.body
                etag = app_first.headers.get("etag", "")
                raw_body = harness.request(raw.port, "GET", path, timeout=300).body
                # One session: both list its first page (100 cars; the app pages a session, so does raw).
                shown = min(size, PAGE)
                assert app_body.count("•••••••".encode()) >= shown, "app page does not show the first page"
                assert raw_body.count("•••••••".encode()) == shown, "raw page does not show the first page"
                url = {name: f"http://127.0.0.1:{server.port}{path}" for name, server in servers.items()}
                for contender in url.values():
                    wrk(contender, seconds=2, connections=args.connections)  # warm-up
                runs = {name: [] for name in servers}
                for _ in range(args.rounds):
                    for name in runs:
                        runs[name].append(wrk(url[name], seconds=args.seconds, connections=args.connections))
                a, r = median_run(runs["app"]), median_run(runs["raw"])
                ratios = [x["rps"] / y["rps"] for x, y in zip(runs["app"], runs["raw"], strict=True)]
                for name, result in [(n, x) for n in runs for x in runs[n]]:
                    if result["non2xx"] or result["socket_errors"]:
                        print(f"# {name} {size}: non-2xx {result['non2xx']}, socket errors {result['socket_errors']}")
                # A browser revalidating its copy (If-None-Match): the app answers 304 after one
                # small query while the roster is unchanged.
                conditional = {"If-None-Match": etag}
                revalidating = [
                    wrk(url["app"], seconds=args.seconds, connections=args.connections, headers=conditional)
                    for _ in range(args.rounds)
                ]
                c = median_run(revalidating)
                fresh = slot_change_shows(db, app.port, path, data_session=sessions[size])
                print(
                    f"{size:>8} {a['rps']:>10.1f} {r['rps']:>10.1f} {a['rps'] / r['rps']:>6.2f}x "
                    f"{f'{min(ratios):.2f}–{max(ratios):.2f}x':>13} "
                    f"{a['p50']:>9} {r['p50']:>9} {len(app_body) / 1024:>7.0f} {len(raw_body) / 1024:>7.0f}"
                    f" {fresh:>13} {c['rps']:>14.1f} {c['rps'] / r['rps']:>6.2f}x"
                )
                if "before" in runs:
                    b = median_run(runs["before"])
                    print(
                        f"# {size} entries, before ({args.before_root}): {b['rps']:.1f} req/s, p50 {b['p50']},"
                        f" {b['rps'] / r['rps']:.2f}x raw; app/before {a['rps'] / b['rps']:.2f}x"
                    )
        finally:
            for server in servers.values():
                server.stop()


if __name__ == "__main__":
    main()
