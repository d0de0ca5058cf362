"""A server the browser can lose: a TCP relay in front of the live server, cut and restored by the journey.

Playwright's ``set_offline`` is unreliable with service workers, and routing requests to fail does not reach
every request a worker makes. A cut relay is what a phone in a car park meets: every connection is refused,
and the ones already open (keep-alive) are closed. Restored, it listens on the same port, so the pages, the
worker and the cookies keep their origin. Slowed (``slow``), it holds every request that long before passing it
on: a signal that connects but answers too late to be of use.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Relay:
    def __init__(self, target_port: int, host: str = "127.0.0.1"):
        self.host, self.target_port = host, target_port
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.delay = 0.0  # seconds each request waits in the relay before it reaches the server
        probe = socket.socket()
        probe.bind((host, 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.restore()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def slow(self, seconds: float) -> None:
        """Every request from now on (on the open connections too) waits ``seconds`` before it is passed on;
        0 makes the relay fast again."""
        self.delay = seconds

    def cut(self) -> None:
        """No server from now on: the listener closes and every open connection is dropped."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._open = self._open, set()
        if listener is not None:
            listener.close()
        for sock in sockets:  # each pump closes its own socket once it sees the connection end
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection((self.host, self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._open |= {client, upstream}
            for source, sink, held in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(source, sink, held), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, held: bool) -> None:
        try:
            while data := source.recv(65536):
                if held and self.delay:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._open.discard(source)
            source.close()
