"""Mail off the request path: owners' sign-up latency with a slow vs an instant SMTP server, and the
worker's delivery rate.

    .venv/bin/python bench/mail.py [--signups 100] [--blocks 4] [--delay 2] [--messages 300] [--concurrency 1]

One throw-away embedded PostgreSQL (deleted afterwards), one gunicorn as `make serve` (2 workers × 4 gthread
threads, DEBUG off), one mail worker (`manage.py procrastinate worker`) delivering by SMTP to an aiosmtpd
server in this process. Logged-in owners POST the real sign-up form one after another. The SMTP server
answers each message at once or after ``--delay`` seconds, switching every ``signups / blocks`` sign-ups,
so both conditions share the run (and the machine's load); the sign-up's confirmation is queued in its
transaction and the worker delivers it meanwhile. Goal: p50 ratio (slow / instant) ≤ 1.1×, p95 ≤ 1.2×.

Delivery rate: ``--messages`` emails queued with ``send_mail`` (each in its own transaction) while no
worker runs, then one worker with ``--concurrency`` delivers them to the instant server; the rate is
measured between the first and the last ``sent`` time of the outbox rows.
"""

from __future__ import annotations

import argparse
import statistics
import time

from kit import harness, production_env

from tests.outbox.smtp import SmtpServer, Worker, wait_for

WARM_UP = 10  # sign-ups before the clock starts: gunicorn's threads open their connections, caches fill
CSRF_SECRET = "benchcsrfsecretbenchcsrfsecretbe"  # 32 allowed characters: Django 5.2 accepts it unmasked


def sign_up(port: int, event: str, session: str, owner: dict) -> float:
    """Seconds for one sign-up POST (the view answers 302 to "My entries" once entry_create returned)."""
    body = f"csrfmiddlewaretoken={CSRF_SECRET}&car={owner['car']}".encode()
    headers = {
        "Cookie": f"sessionid={owner['sessionid']}; csrftoken={CSRF_SECRET}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://127.0.0.1:{port}",
    }
    started = time.perf_counter()
    response = harness.request(
        port, "POST", f"/events/{event}/sessions/{session}/sign-up/", body=body, headers=headers
    )
    elapsed = time.perf_counter() - started
    if (response.status, response.headers.get("location")) != (302, "/events/my-entries/"):
        raise RuntimeError(f"sign-up answered {response.status} {response.headers.get('location')}")
    return elapsed


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def worker_env(db: harness.Database, smtp: SmtpServer) -> dict[str, str]:
    return harness.app_env(
        db,
        **production_env(db),
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
    )


def sent_count(db: harness.Database) -> int:
    return db.query("SELECT count(*) FROM outbox_message WHERE status = 'sent'")[0][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=100, help="sign-ups per condition")
    parser.add_argument("--blocks", type=int, default=4, help="alternations per condition")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds the slow server takes per message")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()

    smtp = SmtpServer()
    smtp.start()
    with harness.embedded_database() as db:
        harness.migrate(db)
        data = harness.seed(
            db, "owners", "--count", str(2 * args.signups + WARM_UP), "--capacity", "100000", "--sessions", "mail"
        )
        owners = iter(data["owners"])
        worker = Worker(worker_env(db, smtp))
        # The seeder's logged-in sessions are signed with the harness's key.
        app = {**production_env(db), "SECRET_KEY": harness.SECRET_KEY}
        with harness.gunicorns(db, 1, workers=2, threads=4, **app) as [server]:
            latencies: dict[str, list[float]] = {"instant": [], "slow": []}
            for _ in range(WARM_UP):
                sign_up(server.port, data["event"], "mail", next(owners))
            per_block = args.signups // args.blocks
            conditions = [("instant", 0.0), ("slow", args.delay)]
            for block in range(args.blocks):
                # ABBA order: neither condition always goes first.
                for condition, delay in conditions if block % 2 == 0 else conditions[::-1]:
                    smtp.handler.delay = delay
                    for _ in range(per_block):
                        latencies[condition].append(sign_up(server.port, data["event"], "mail", next(owners)))
        # The slow server's backlog, delivered at full speed before the rate is measured.
        smtp.handler.delay = 0.0
        total = WARM_UP + sum(len(values) for values in latencies.values())
        wait_for(lambda: sent_count(db) == total, timeout=600, what="the sign-ups' confirmations sent")
        worker.stop()

        harness.manage(
            db,
            "shell",
            "-c",
            "from django.core.mail import send_mail\n"
            f"for i in range({args.messages}): send_mail(f'Bench {{i}}', 'Body', None, [f'b{{i}}@example.org'])",
            **production_env(db),
        )
        worker = Worker(worker_env(db, smtp), "--concurrency", str(args.concurrency))
        try:
            wait_for(lambda: sent_count(db) == total + args.messages, timeout=600, what="the bench messages sent")
        finally:
            worker.stop()
        first, last = db.query("SELECT min(sent), max(sent) FROM outbox_message WHERE subject LIKE 'Bench %%'")[0]
    smtp.stop()

    print(f"sign-ups: {args.signups} per condition, sequential, in {args.blocks} alternating blocks")
    print(f"{'SMTP server':>22} {'p50 ms':>8} {'p95 ms':>8}")
    figures = {}
    for condition, label in (("instant", "answers at once"), ("slow", f"takes {args.delay:g} s")):
        values = latencies[condition]
        figures[condition] = (statistics.median(values), percentile(values, 0.95))
        print(f"{label:>22} {figures[condition][0] * 1000:8.1f} {figures[condition][1] * 1000:8.1f}")
    p50 = figures["slow"][0] / figures["instant"][0]
    p95 = figures["slow"][1] / figures["instant"][1]
    print(f"ratio slow / instant: p50 {p50:.2f}× (goal ≤ 1.1×), p95 {p95:.2f}× (goal ≤ 1.2×)")
    rate = (args.messages - 1) / (last - first).total_seconds()
    print(
        f"delivery: {args.messages} messages to a local SMTP server, one worker, concurrency {args.concurrency}: "
        f"{rate:.1f} messages/s"
    )
    print(f"messages received by the SMTP server: {len(smtp.handler.received)}, distinct: {len(smtp.counts())}")


if __name__ == "__main__":
    main()
