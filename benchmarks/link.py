"""A slow link on this machine: a TCP relay on 127.0.0.1 that delays every byte by half
a round trip in each direction, so a local index behaves as one across the internet.

    with slow_link("http://127.0.0.1:8080", rtt_ms=40) as url:   # url: the relay's
        ...

Bandwidth is not limited: what the relay adds is latency (a connect, every request and
every answer wait ``rtt_ms`` more), which is what makes many small exchanges slow and what
parallel uploads hide. Standard library only.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit


def _pump(source: socket.socket, target: socket.socket, delay: float) -> None:
    """Forward ``source`` to ``target``, each chunk ``delay`` seconds after it arrived."""
    due: queue.Queue[tuple[float, bytes]] = queue.Queue()

    def read() -> None:
        try:
            while chunk := source.recv(1 << 16):
                due.put((time.monotonic() + delay, chunk))
        except OSError:
            pass
        due.put((time.monotonic() + delay, b""))

    threading.Thread(target=read, daemon=True).start()
    try:
        while True:
            when, chunk = due.get()
            wait = when - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if not chunk:
                target.shutdown(socket.SHUT_WR)
                return
            target.sendall(chunk)
    except OSError:
        pass


@contextlib.contextmanager
def slow_link(upstream_url: str, rtt_ms: float) -> Iterator[str]:
    """``upstream_url`` reached through a relay adding ``rtt_ms`` to every round trip."""
    parts = urlsplit(upstream_url)
    upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
    listener = socket.create_server(("127.0.0.1", 0))
    delay = rtt_ms / 2000
    stop = threading.Event()

    def connect(client: socket.socket) -> None:
        time.sleep(delay * 2)  # the handshake's round trip
        server = socket.create_connection(upstream)
        for a, b in ((client, server), (server, client)):
            threading.Thread(target=_pump, args=(a, b, delay), daemon=True).start()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            # Each connection on its own: a handshake's round trip delays that connection
            # only, as on a real network (not the next one's accept).
            threading.Thread(target=connect, args=(client,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"{parts.scheme}://127.0.0.1:{listener.getsockname()[1]}{parts.path}"
    finally:
        stop.set()
        listener.close()
        thread.join(2)
