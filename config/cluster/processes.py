"""The processes of the cluster: each in a process group of its own, its output in a log file, stopped (or
killed, to try a crash) by the group id it was started with."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    """One started program (gunicorn's master and its workers, a mail worker, nginx)."""

    name: str
    process: subprocess.Popen
    log: Path
    port: int | None = None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group at once, as a crash of its machine would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (gunicorn and the mail worker finish what they are doing), SIGKILL after ``timeout``."""
        if not self.alive:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def spawn(name: str, argv: list[str], *, env: dict[str, str], logs: Path, port: int | None = None) -> Service:
    log = logs / f"{name}.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Service(name=name, process=process, log=log, port=port)


def manage(*args: str, env: dict[str, str], timeout: float = 600) -> str:
    """``manage.py ARGS`` to the end; its output, or an error that carries it."""
    return manage_python("manage.py", *args, env=env, timeout=timeout)


def manage_python(*args: str, env: dict[str, str], timeout: float = 600) -> str:
    """The venv's ``python ARGS`` to the end; its output, or an error that carries it."""
    result = subprocess.run(
        [str(BIN / "python"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"python {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def get(port: int, path: str, *, timeout: float = 5, headers: dict[str, str] | None = None):
    """One GET on a fresh connection: (status, headers with lower-case names, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def wait_ready(service: Service, *, port: int, path: str, timeout: float = 120) -> None:
    """Until GET ``path`` on ``port`` answers 200; raises (with the log's end) if ``service`` exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive:
            raise RuntimeError(f"{service.name} exited:\n{service.log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get(port, path, timeout=2)[0] == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{service.name}: 127.0.0.1:{port}{path} did not answer 200 within {timeout} s")
