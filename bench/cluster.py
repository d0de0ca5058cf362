"""What the proxy and a second web node cost or bring on this machine: the cluster of ``make cluster``.

    .venv/bin/python bench/cluster.py [--seconds 8] [--connections 16] [--signups 300]

One cluster (config/cluster: two gunicorn nodes of 2 workers × 4 threads, two mail workers, SeaweedFS when
installed, a throw-away PostgreSQL) and, beside its nginx over both nodes, a second nginx over node A alone.
Side by side in one run, three ways in:

- ``node A direct``: gunicorn without a proxy;
- ``proxy, 1 node``: nginx in front of node A;
- ``proxy, 2 nodes``: nginx over nodes A and B, as ``make cluster`` serves.

For each: the published roster of 105 cars (wrk, keep-alive, requests/s and latency) and a sign-up rush
(``--signups`` owners POSTing the real form from 64 threads, each on a fresh connection: sign-ups/s). On a
machine with two cores, a second node cannot add CPU: the figures show what the extra hop and the extra
processes cost, not a speed-up.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.kit import wrk  # noqa: E402
from config.cluster import running, start_proxy  # noqa: E402
from config.cluster.processes import free_port, wait_ready  # noqa: E402
from tests.load import harness  # noqa: E402
from tests.load.test_rush import rush  # noqa: E402

WAYS = ("node A direct", "proxy, 1 node", "proxy, 2 nodes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--signups", type=int, default=300)
    args = parser.parse_args()
    sessions = ["direct", "one", "two"]
    # A first rush warms every process up (connections, caches); it is not measured.
    warm = "warm-up"
    with harness.embedded_database() as db, tempfile.TemporaryDirectory(prefix="onem-bench-cluster-") as tmp:
        env = {**harness.app_env(db), "SECRET_KEY": harness.SECRET_KEY, "LOG_REQUESTS": "0", "LOG_LEVEL": "WARNING"}
        env["EMAIL_DELIVERY_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
        started = time.monotonic()
        with running(Path(tmp) / "cluster", env=env) as cluster:
            print(f"cluster started in {time.monotonic() - started:.1f} s", flush=True)
            names = ",".join([warm, *sessions])
            owners = harness.seed(db, "owners", "--count", str(args.signups), "--capacity", "55", "--sessions", names)
            roster = harness.seed(db, "roster", "--confirmed", "105")
            single_dir = Path(tmp) / "one-node"
            (single_dir / "logs").mkdir(parents=True)
            single_dir.chmod(0o755)
            single = start_proxy(single_dir, free_port(), cluster.nodes[:1])
            try:
                wait_ready(single, port=single.port, path="/healthz", timeout=30)
                ports = dict(zip(WAYS, [cluster.nodes[0].port, single.port, cluster.port], strict=True))
                path = f"/events/{roster['event']}/roster/"
                pages = {}
                for way, port in ports.items():
                    wrk(f"http://127.0.0.1:{port}{path}", seconds=2, connections=args.connections)  # warm-up
                    pages[way] = wrk(
                        f"http://127.0.0.1:{port}{path}", seconds=args.seconds, connections=args.connections
                    )
                rush(owners["event"], warm, [(owner, cluster.port) for owner in owners["owners"]])
                signups = {}
                for way, session in zip(WAYS, sessions, strict=True):
                    jobs = [(owner, ports[way]) for owner in owners["owners"]]
                    began = time.monotonic()
                    outcomes = rush(owners["event"], session, jobs)
                    took = time.monotonic() - began
                    errors = sum(1 for o in outcomes if o.status != 302)
                    signups[way] = (len(outcomes) / took, errors)
            finally:
                single.stop()
    print(
        f"\nRoster of 105 cars, wrk {args.seconds} s × {args.connections} connections; sign-up rush of {args.signups}"
    )
    print(f"{'':<16}{'roster req/s':>14}{'p50':>10}{'p99':>10}{'non-2xx':>9}{'sign-ups/s':>13}{'errors':>8}")
    for way in WAYS:
        page, (rate, errors) = pages[way], signups[way]
        print(
            f"{way:<16}{page['rps']:>14.1f}{page['p50']:>10}{page['p99']:>10}{page['non2xx']:>9}"
            f"{rate:>13.1f}{errors:>8}"
        )


if __name__ == "__main__":
    main()
