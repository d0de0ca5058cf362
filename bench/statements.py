"""Bank statement import: a CAMT.053 of 10,000 credits against 6,342 entries awaiting payment, imported and
matched, then imported again (which must change nothing). Goal: each ≤ 10 s (BENCHMARKS.md).

The credits: one per entry, with its exact fee and its reference written the ways people and banks write it
(lower case with spaces, leading zeros, glued to words), and the rest without a reference we know (rent, a typo,
another club's code). The import leaves the paid entries' mails to the worker (one job, queued in the import's
transaction); the worker's part, composing and queueing them, is measured on its own after the import (sending
is not).

    .venv/bin/python bench/statements.py [--entries 6342] [--credits 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.load import harness  # noqa: E402

FEE = Decimal("45.00")


def camt(credits: list[tuple[str, Decimal, str]]) -> bytes:
    entries = "".join(
        f"""<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2031-08-02</Dt></BookgDt><AcctSvcrRef>{key}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Driver {n}</Nm></Dbtr>
<DbtrAcct><Id><IBAN>DE44500105175407324931</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""
        for n, (key, amount, remittance) in enumerate(credits)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2031-08-02T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2031-08-02T20:00:00</CreDtTm>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>{entries}</Stmt></BkToCstmrStmt></Document>""".encode()


def mangled(reference: str, n: int) -> str:
    ways = [
        lambda r: r.lower().replace("-", " "),
        lambda r: "000" + r,
        lambda r: "Startgeld" + r.replace("-", "") + "danke",
        lambda r: r,
    ]
    return ways[n % len(ways)](reference)


def cpu_seconds() -> tuple[float, float]:
    """CPU time used so far by this process and by its database connection's server process (Linux's /proc;
    the embedded server runs on this machine). On a shared machine the wall time counts the others' work too:
    the CPU time says what the import itself costs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [backend] = cursor.fetchone()
    fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
    return time.process_time(), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def used(before: tuple[float, float]) -> str:
    python, database = (now - then for now, then in zip(cpu_seconds(), before, strict=True))
    return f"{python + database:.1f} s: Python {python:.1f} s, PostgreSQL {database:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=6342)
    parser.add_argument("--credits", type=int, default=10000)
    args = parser.parse_args()

    with harness.embedded_database() as db:
        harness.migrate(db)
        harness.seed(
            db, "owners", "--count", str(args.entries), "--capacity", "100000", "--sessions", "paid", timeout=600
        )
        os.environ.update(harness.app_env(db))
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        import django

        django.setup()
        from django.utils import timezone

        from events.models import Entry, Session
        from events.payment_reference import payment_reference_new
        from events.services import paid_mails_send
        from outbox.models import Message
        from payments.models import BankTransaction
        from payments.services import statement_import
        from register.models import Car

        session = Session.objects.get(slug="paid")
        Session.objects.filter(pk=session.pk).update(fee=FEE)
        due = timezone.now() + timezone.timedelta(days=14)
        cars = list(Car.objects.select_related("owner").order_by("pk")[: args.entries])
        references = set()
        while len(references) < len(cars):
            references.add(payment_reference_new())
        Entry.objects.bulk_create(
            Entry(
                session=session,
                car=car,
                driver=car.owner,
                status=Entry.Status.AWAITING_PAYMENT,
                amount_due=FEE,
                payment_reference=reference,
                payment_due=due,
            )
            for car, reference in zip(cars, sorted(references), strict=True)
        )
        credits = [(f"B{n:06d}", FEE, mangled(reference, n)) for n, reference in enumerate(sorted(references))]
        credits += [
            (f"X{n:06d}", Decimal("12.50"), f"Miete {n} / 1M-AAAAA-A") for n in range(args.credits - len(credits))
        ]
        data = camt(credits)
        print(f"# {len(credits):,} credits ({len(data) / 1e6:.1f} MB of CAMT.053) against {len(cars):,} entries")

        started, cpu = time.perf_counter(), cpu_seconds()
        statement = statement_import(data=data, file_name="bench.xml", by=None)
        first, first_cpu = time.perf_counter() - started, used(cpu)
        paid = Entry.objects.filter(status=Entry.Status.CONFIRMED).count()
        print(f"import and match : {first:6.1f} s  ({statement.summary()}; goal ≤ 10 s)")
        print(f"                   CPU {first_cpu}")

        started, cpu = time.perf_counter(), cpu_seconds()
        mails = paid_mails_send()
        composed, composed_cpu = time.perf_counter() - started, used(cpu)
        print(f"worker: the mails: {composed:6.1f} s  ({mails:,} paid mails composed and queued, by the worker)")
        print(f"                   CPU {composed_cpu}")
        state = (BankTransaction.objects.count(), paid, Message.objects.count())

        started, cpu = time.perf_counter(), cpu_seconds()
        again = statement_import(data=data, file_name="bench.xml", by=None)
        second, second_cpu = time.perf_counter() - started, used(cpu)
        after = (
            BankTransaction.objects.count(),
            Entry.objects.filter(status=Entry.Status.CONFIRMED).count(),
            Message.objects.count(),
        )
        print(
            f"import again     : {second:6.1f} s  ({again.summary()}; goal ≤ 10 s, nothing changed: {after == state})"
        )
        print(f"                   CPU {second_cpu}")
        assert paid == len(cars) == mails == Message.objects.count(), (paid, mails)
        assert after == state, (state, after)


if __name__ == "__main__":
    main()
