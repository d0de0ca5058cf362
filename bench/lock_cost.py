"""What the session lock costs: sign-ups/s when every client races for one session vs spread over many.

    .venv/bin/python bench/lock_cost.py [--signups 480] [--threads 16] [--spread 40]

Calls events.services.entry_create from a thread pool (one database connection per thread) against a
throw-away embedded PostgreSQL, deleted afterwards. Both runs sign up the same owners with the same
client concurrency and take the same code path (every entry confirmed: capacities are large), so the
only difference is contention on the one ``SELECT … FOR UPDATE`` of the hot session. Goal: ≥ 0.8×.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor

from kit import harness


def run(pairs, threads: int) -> float:
    """Sign-ups per second for (session, car) pairs from ``threads`` threads."""
    from django.db import connection

    from events.services import entry_create

    def one(pair):
        session, car = pair
        entry_create(session=session, car=car, driver=car.owner)

    with ThreadPoolExecutor(threads) as pool:
        # Open every thread's connection before the clock starts, so both runs time sign-ups only.
        list(pool.map(lambda _: connection.ensure_connection() or time.sleep(0.05), range(threads)))
        started = time.perf_counter()
        list(pool.map(one, pairs))
        elapsed = time.perf_counter() - started
        list(pool.map(lambda _: connection.close(), range(threads)))
    return len(pairs) / elapsed


_objects: dict = {}


def _init_worker() -> None:
    """Each client process loads the sessions and cars once and opens its own connection."""
    from events.models import Session
    from register.models import Car

    _objects["sessions"] = {s.pk: s for s in Session.objects.select_related("event")}
    _objects["cars"] = {c.pk: c for c in Car.objects.select_related("owner")}


def _sign_up(pair: tuple[int, int]) -> None:
    from events.services import entry_create

    car = _objects["cars"][pair[1]]
    entry_create(session=_objects["sessions"][pair[0]], car=car, driver=car.owner)


def run_processes(pairs, processes: int) -> float:
    """The same with client processes (no shared GIL between the clients, like separate app workers)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # never share a connection across fork
    with multiprocessing.get_context("fork").Pool(processes, initializer=_init_worker) as pool:
        pool.map(time.sleep, [0.2] * processes, chunksize=1)  # every worker up before the clock starts
        started = time.perf_counter()
        pool.map(_sign_up, [(s.pk, c.pk) for s, c in pairs], chunksize=1)
        elapsed = time.perf_counter() - started
    return len(pairs) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=480)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--spread", type=int, default=40, help="sessions in the spread run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--processes", action="store_true", help="client processes instead of threads")
    args = parser.parse_args()
    names = [f"hot{r}" for r in range(args.rounds)]
    names += [f"s{r}-{i}" for r in range(args.rounds) for i in range(args.spread)]

    with harness.embedded_database() as db:
        harness.migrate(db)
        harness.seed(db, "owners", "--count", str(args.signups), "--capacity", "100000", "--sessions", ",".join(names))
        os.environ.update(harness.app_env(db))
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        import django

        django.setup()
        from events.models import Entry, Session
        from register.models import Car

        sessions = {s.slug: s for s in Session.objects.select_related("event")}
        cars = list(Car.objects.select_related("owner").order_by("pk"))
        runner = run_processes if args.processes else run
        clients = "processes" if args.processes else "threads"
        print(f"# {len(cars)} sign-ups per run, {args.threads} client {clients}, entry_create called directly")
        print(f"{'round':>5} {'one session/s':>14} {f'{args.spread} sessions/s':>16} {'ratio':>7}")
        ratios = []
        for r in range(args.rounds):
            hot = runner([(sessions[f"hot{r}"], car) for car in cars], args.threads)
            spread = runner([(sessions[f"s{r}-{i % args.spread}"], car) for i, car in enumerate(cars)], args.threads)
            ratios.append(hot / spread)
            print(f"{r + 1:>5} {hot:>14.1f} {spread:>16.1f} {hot / spread:>6.2f}x")
        assert Entry.objects.confirmed().count() == len(cars) * 2 * args.rounds
        print(f"# best ratio {max(ratios):.2f}x, worst {min(ratios):.2f}x (goal ≥ 0.8x)")


if __name__ == "__main__":
    main()
