"""What a small production site runs, on one machine: ``make cluster`` (``python -m config.cluster``).

- PostgreSQL: ``DATABASE_URL``'s, else the embedded one (config/database.py);
- SeaweedFS as the S3 object storage of photos and private files (config/objectstore.py), when its ``weed``
  binary is installed (requirements-dev.txt); without it the files stay on the local disk, which both nodes share
  here, as they would not on two machines;
- ``migrate`` and ``collectstatic`` once;
- two web nodes: gunicorn (``config.wsgi``, DEBUG off) on two loopback ports, each with its own metrics
  directory (portal/operations.py);
- two mail workers (``manage.py procrastinate worker``): each message is taken by one of them;
- nginx in front on one port, load-balancing over the nodes (config/cluster/site.conf, the production recipe).

Every process gets the same environment: the S3_* settings of the object store, JSON log lines with the
proxy's request id (LOG_FORMAT=json, LOG_REQUESTS=1) and, where the caller set nothing, values that make a
production configuration run on loopback. It is a try-out, not a deployment: plain http on 127.0.0.1 (no TLS,
no HTTPS redirect, no HSTS), SITE_URL http://127.0.0.1:PORT, a well-known test IBAN for the payment box.
``manage.py check --deploy`` reports the plain http, as it should (``make cluster`` prints what it says).
``running()`` is used by tests/load/test_cluster.py and bench/cluster.py too.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from config.cluster.processes import BIN, ROOT, Service, free_port, manage, manage_python, spawn, wait_ready

HERE = Path(__file__).resolve().parent
NODE_NAMES = "abcdefgh"

# Where the caller set nothing: a production configuration that runs on loopback (see the docstring).
TRY_OUT = {
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "TRUSTED_PROXY_COUNT": "1",
    "LOG_FORMAT": "json",
    "LOG_REQUESTS": "1",
    "LOG_LEVEL": "INFO",
    "PAYMENT_ACCOUNT_HOLDER": "1M Register e.V. (try-out)",
    "PAYMENT_IBAN": "DE89370400440532013000",
    "PAYMENT_BIC": "COBADEFFXXX",
}


@dataclass
class Cluster:
    run_dir: Path
    env: dict[str, str]
    proxy: Service
    nodes: list[Service]
    workers: list[Service]
    objectstore: dict[str, str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.proxy.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def services(self) -> list[Service]:
        return [self.proxy, *self.nodes, *self.workers]


def cluster_env(base: dict[str, str], *, run_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in base.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    for name, value in {
        **TRY_OUT,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "STATIC_ROOT": str(run_dir / "static"),
    }.items():
        env.setdefault(name, value)
    if not env.get("SECRET_KEY"):
        key = run_dir / "secret_key"
        if not key.exists():
            key.write_text(secrets.token_urlsafe(50))
            key.chmod(0o600)
        env["SECRET_KEY"] = key.read_text().strip()
    env.update(DEBUG="0", ONEM_DB_ANNOUNCED="1", PYTHONPATH=str(ROOT))
    return env


def render(template: Path, values: dict[str, str], target: Path) -> Path:
    text = template.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    if leftover := re.findall(r"@[A-Z_]+@", text):  # else an nginx syntax error, far from here
        raise ValueError(f"{template.name}: unfilled {leftover}")
    target.write_text(text)
    return target


def _start_objectstore(run_dir: Path, env: dict[str, str]) -> dict[str, str]:
    """SeaweedFS on ``run_dir/seaweedfs`` (config/objectstore.py, left running by it, stopped by ``running``);
    its S3_* settings, or none when the environment names an object store or there is no ``weed`` binary."""
    from config import objectstore

    if env.get("S3_ENDPOINT_URL") or objectstore.weed_binary() is None:
        return {}  # the caller's object store, or the local disk
    # In a process of its own: the server outlives the command that started it.
    out = manage_python("-m", "config.objectstore", str(run_dir / "seaweedfs"), "--detach", env=env)
    return dict(shlex.split(line)[0].split("=", 1) for line in out.splitlines() if line.startswith("S3_"))


def _prepare(env: dict[str, str]) -> None:
    with ThreadPoolExecutor(2) as pool:
        migrated = pool.submit(manage, "migrate", "--noinput", "-v", "0", env=env)
        collected = pool.submit(manage, "collectstatic", "--noinput", "-v", "0", env=env)
        migrated.result()
        collected.result()


def start_node(name: str, env: dict[str, str], *, run_dir: Path, workers: int, threads: int) -> Service:
    port = free_port()
    metrics = run_dir / "metrics" / name
    shutil.rmtree(metrics, ignore_errors=True)  # prometheus_client's files of an earlier run would add up
    metrics.mkdir(parents=True)
    argv = [
        str(BIN / "gunicorn"),
        "config.wsgi",
        "--config",
        str(HERE / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        # A listening socket per worker: the kernel spreads connections over them (tests/load/harness.py).
        "--reuse-port",
        "--graceful-timeout",
        "5",
        "--name",
        name,
    ]
    node_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    return spawn(name, argv, env=node_env, logs=run_dir / "logs", port=port)


def start_proxy(run_dir: Path, port: int, nodes: list[Service]) -> Service:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise FileNotFoundError("nginx is not installed: apt-get install -y nginx (Debian's package)")
    servers = "\n".join(f"    server 127.0.0.1:{node.port} max_fails=1 fail_timeout=10s;" for node in nodes)
    site = render(
        HERE / "site.conf",
        {"SERVERS": servers, "LISTEN": f"127.0.0.1:{port}", "ACCESS_LOG": str(run_dir / "logs" / "proxy-access.log")},
        run_dir / "site.conf",
    )
    conf = render(HERE / "nginx.conf", {"RUN": str(run_dir), "SITE": str(site)}, run_dir / "nginx.conf")
    # -e: the error log before the configuration is read (its default, under /var/log, may not be writable).
    argv = [nginx, "-p", str(run_dir), "-c", str(conf), "-e", str(run_dir / "nginx-error.log")]
    return spawn("proxy", argv, env=dict(os.environ), logs=run_dir / "logs", port=port)


@contextlib.contextmanager
def running(
    run_dir: Path,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    nodes: int = 2,
    workers: int = 2,
    node_workers: int = 2,
    threads: int = 4,
    objectstore: bool = True,
) -> Iterator[Cluster]:
    """Start everything, yield the cluster, then stop everything."""
    run_dir = Path(run_dir).resolve()
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    # nginx's workers run as an unprivileged user when it is started as root: they must reach their temp dirs.
    run_dir.chmod(0o755)
    port = port or free_port()
    env = cluster_env(dict(os.environ) if env is None else env, run_dir=run_dir, port=port)
    started: list[Service] = []
    store: dict[str, str] = {}
    try:
        with ThreadPoolExecutor(2) as pool:
            stored = pool.submit(_start_objectstore, run_dir, env) if objectstore else None
            _prepare(env)
            store = stored.result() if stored else {}
        env.update(store)
        web = [
            start_node(f"node-{NODE_NAMES[i]}", env, run_dir=run_dir, workers=node_workers, threads=threads)
            for i in range(nodes)
        ]
        started += web
        for node in web:
            wait_ready(node, port=node.port, path="/readyz")
        worker = [str(BIN / "python"), "manage.py", "procrastinate", "worker"]
        mail = [spawn(f"worker-{i + 1}", worker, env=env, logs=run_dir / "logs") for i in range(workers)]
        started += mail
        proxy = start_proxy(run_dir, port, web)
        started.append(proxy)
        wait_ready(proxy, port=port, path="/healthz", timeout=30)
        yield Cluster(run_dir=run_dir, env=env, proxy=proxy, nodes=web, workers=mail, objectstore=store)
    finally:
        with ThreadPoolExecutor(max(len(started), 1)) as pool:
            list(pool.map(Service.stop, started))
        if store:
            from config import objectstore as seaweedfs

            seaweedfs.stop(run_dir / "seaweedfs")
