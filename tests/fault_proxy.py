"""A small HTTP proxy in front of a real index, to inject the faults real indexes have.

``FaultProxy(upstream).start()`` listens on 127.0.0.1 (free port) and forwards every
request to ``upstream``, except that it can answer the next N requests with a 5xx,
drop the next N connections without an answer, answer slowly, or rewrite the sha256
values in answers. Redirects are passed on (not followed) with the upstream address
rewritten to the proxy's, as are absolute links in text answers.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import socketserver
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# A sha256 after "sha256=" (PEP 503 fragment) or as a JSON value ("sha256": "...").
_SHA256 = re.compile(rb'(sha256=|"sha256"\s*:\s*")([0-9a-fA-F]{64})')
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def corrupt_sha256(digest: str) -> str:
    """The wrong digest the proxy puts in place of ``digest`` when corrupting hashes."""
    return hashlib.sha256(digest.lower().encode()).hexdigest()


@dataclass(frozen=True)
class ProxiedRequest:
    """One request the proxy saw, and what it answered (status 0: dropped)."""

    method: str
    path: str
    headers: dict[str, str]
    status: int
    content_type: str


class FaultProxy:
    """A threaded forwarding proxy with switchable faults; see the module docstring."""

    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        if parts.hostname != "127.0.0.1" or parts.port is None:
            raise ValueError(f"tests only proxy to 127.0.0.1:PORT, not {upstream_url!r}")
        self.upstream_origin = f"http://127.0.0.1:{parts.port}"
        self._upstream_port = parts.port
        self._lock = threading.Lock()
        self._failures: list[int] = []  # statuses for the next requests, in order
        self._drops = 0
        self._delay = 0.0
        self._corrupt = False
        self._log: list[ProxiedRequest] = []
        self._stopping = threading.Event()
        self._server = _ProxyServer(("127.0.0.1", 0), self._handler_class())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval: shutdown() waits up to one of them.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes delayed handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def proxied(self, upstream_url: str) -> str:
        """``upstream_url`` as seen through the proxy."""
        return upstream_url.replace(self.upstream_origin, self.url, 1)

    # --- faults ------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` requests with ``status`` instead of forwarding them."""
        with self._lock:
            self._failures.extend([status] * count)

    def drop_next(self, count: int) -> None:
        """Close the next ``count`` connections after reading the request, answering nothing."""
        with self._lock:
            self._drops += count

    def delay(self, seconds: float) -> None:
        """Wait ``seconds`` before answering every request from now on (0: no delay)."""
        with self._lock:
            self._delay = seconds

    def corrupt_hashes(self, enabled: bool = True) -> None:
        """Replace every sha256 in answers by :func:`corrupt_sha256` of it."""
        with self._lock:
            self._corrupt = enabled

    @property
    def requests(self) -> list[ProxiedRequest]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._log)

    # --- serving -----------------------------------------------------------------------

    def _next_fault(self) -> tuple[int | None, bool, float, bool]:
        with self._lock:
            status = self._failures.pop(0) if self._failures else None
            drop = status is None and self._drops > 0
            if drop:
                self._drops -= 1
            return status, drop, self._delay, self._corrupt

    def _record(self, handler: BaseHTTPRequestHandler, status: int, content_type: str) -> None:
        entry = ProxiedRequest(
            handler.command, handler.path, dict(handler.headers.items()), status, content_type
        )
        with self._lock:
            self._log.append(entry)

    def _forward(self, handler: BaseHTTPRequestHandler, corrupt: bool) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", self._upstream_port, timeout=60)
        try:
            upstream.request(handler.command, handler.path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            answer_headers = [
                (k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP
            ]
        finally:
            upstream.close()
        content_type = response.getheader("Content-Type", "")
        if "json" in content_type or "html" in content_type:
            payload = payload.replace(self.upstream_origin.encode(), self.url.encode())
            if corrupt:
                payload = _SHA256.sub(_corrupt_match, payload)
        # Logged before answering, so that a client that got its answer finds it logged.
        self._record(handler, response.status, content_type)
        handler.send_response(response.status, response.reason)
        for key, value in answer_headers:
            handler.send_header(key, self.proxied(value) if key.lower() == "location" else value)
        length_header = response.getheader("Content-Length", "0")
        size = length_header if handler.command == "HEAD" else str(len(payload))
        handler.send_header("Content-Length", size)
        handler.end_headers()
        handler.wfile.write(payload)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        status, drop, delay, corrupt = self._next_fault()
        if delay and self._stopping.wait(delay):
            return
        if drop:
            self._record(handler, 0, "")
            handler.close_connection = True  # the server closes the socket, unanswered
            return
        if status is not None:
            self._record(handler, status, "text/plain")
            handler.send_error(status)
            return
        self._forward(handler, corrupt)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._handle(self)

            do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass  # the request log is proxy.requests

        return Handler


class _ProxyServer(ThreadingHTTPServer):
    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall on some machines.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gives up (a timeout test) leaves a broken pipe: expected, not news.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _corrupt_match(match: re.Match[bytes]) -> bytes:
    return match.group(1) + corrupt_sha256(match.group(2).decode()).encode()
