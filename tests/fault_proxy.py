"""A small HTTP proxy in front of a real index, to inject the faults real indexes have.

``FaultProxy(upstream).start()`` listens on 127.0.0.1 (free port) and forwards every
request to ``upstream``, except that it can answer the next N requests with any status
(with PyPI's kind of reason phrase, a body, extra headers such as Retry-After), drop the
next N connections without an answer (a reset), hang without answering, echo the
request's credentials back, answer slowly, hide freshly uploaded files from listings for
a while (a lagging CDN), or rewrite the sha256 values in answers. :func:`refusing_url`
is an address where connections are refused. Each fault may apply to some methods only
(``methods={"POST"}``: uploads, leaving the index's GETs alone), and may strike after
the request was forwarded (``after_forwarding=True``: the index stored the file, the
client sees a 500 or a dropped connection). Faults are queued in the order they are
asked for; a request takes the first queued fault that applies to its method. Redirects
are passed on (not followed) with the upstream address rewritten to the proxy's, as are
absolute links in text answers.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import re
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import quote, urlsplit

# A sha256 after "sha256=" (PEP 503 fragment) or as a JSON value ("sha256": "...").
_SHA256 = re.compile(rb'(sha256=|"sha256"\s*:\s*")([0-9a-fA-F]{64})')
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
# The file part of a multipart upload (twine's "content" field).
_UPLOADED_NAME = re.compile(rb'name="content"; filename="([^"]+)"')
_ATTESTATIONS = re.compile(rb'name="attestations"\r\n\r\n(.*?)\r\n--', re.S)


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
    # The filename of the file an upload (a multipart POST) carried, else "".
    uploaded: str = ""
    # True if the request reached the index (a fault may still have hidden its answer).
    forwarded: bool = False
    # The "attestations" form field of an upload (a JSON list), else "".
    attestations: str = ""


FaultAction = Literal["fail", "drop", "pass", "redirect", "hang", "echo"]


@dataclass(frozen=True)
class _Fault:
    action: FaultAction
    methods: frozenset[str] | None  # None: any method
    status: int = 0
    after_forwarding: bool = False
    location: str = ""
    reason: str = ""  # the reason phrase ("" : the standard one)
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    def applies_to(self, method: str) -> bool:
        return self.methods is None or method in self.methods


class FaultProxy:
    """A threaded forwarding proxy with switchable faults; see the module docstring."""

    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        if parts.hostname != "127.0.0.1" or parts.port is None:
            raise ValueError(f"tests only proxy to 127.0.0.1:PORT, not {upstream_url!r}")
        self.upstream_origin = f"http://127.0.0.1:{parts.port}"
        self._upstream_port = parts.port
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []  # for the next requests, in order
        self._delay = 0.0
        self._delay_methods: frozenset[str] | None = None
        self._mounts: list[tuple[str, str]] = []  # (proxy path prefix, upstream path prefix)
        self._corrupt = False
        self._lag = 0.0
        self._uploaded_at: dict[str, float] = {}
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

    def fail_next(
        self,
        count: int,
        status: int = 503,
        *,
        methods: Collection[str] | None = None,
        after_forwarding: bool = False,
        reason: str = "",
        body: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``count`` requests with ``status``; with ``after_forwarding``,
        the request reaches the index first (an upload is stored, the client sees
        ``status``). ``reason`` replaces the standard reason phrase (PyPI puts its message
        there), ``body`` the standard error page; ``headers`` are added (Retry-After)."""
        fault = _Fault(
            "fail",
            _methods(methods),
            status,
            after_forwarding,
            reason=reason,
            body=body,
            headers=tuple((headers or {}).items()),
        )
        self._queue(count, fault)

    def hang_next(self, count: int, *, methods: Collection[str] | None = None) -> None:
        """Read the next ``count`` requests and never answer them (until the proxy stops)."""
        self._queue(count, _Fault("hang", _methods(methods)))

    def echo_credentials_next(
        self, count: int, status: int = 400, *, methods: Collection[str] | None = None
    ) -> None:
        """Answer the next ``count`` requests with ``status`` and a body that repeats their
        Authorization header and its decoded form, as careless indexes do."""
        self._queue(count, _Fault("echo", _methods(methods), status))

    def lag_listing(self, seconds: float) -> None:
        """Hide every file uploaded through the proxy from GET answers until ``seconds``
        after its upload (a CDN's cached listing)."""
        with self._lock:
            self._lag = seconds

    def drop_next(
        self,
        count: int,
        *,
        methods: Collection[str] | None = None,
        after_forwarding: bool = False,
    ) -> None:
        """Close the next ``count`` connections without an answer: before reading the
        request's body (the upload never reaches the index), or ``after_forwarding`` it."""
        self._queue(count, _Fault("drop", _methods(methods), 0, after_forwarding))

    def pass_next(self, count: int, *, methods: Collection[str] | None = None) -> None:
        """Forward the next ``count`` requests untouched (to aim a later fault: "the
        second upload")."""
        self._queue(count, _Fault("pass", _methods(methods)))

    def redirect_next(
        self,
        count: int,
        location: str,
        status: int = 307,
        *,
        methods: Collection[str] | None = None,
    ) -> None:
        """Answer the next ``count`` requests with a redirect to ``location``."""
        self._queue(count, _Fault("redirect", _methods(methods), status, location=location))

    def delay(self, seconds: float, *, methods: Collection[str] | None = None) -> None:
        """Wait ``seconds`` before answering every request (of ``methods``) from now on
        (0: no delay)."""
        with self._lock:
            self._delay = seconds
            self._delay_methods = _methods(methods)

    def corrupt_hashes(self, enabled: bool = True) -> None:
        """Replace every sha256 in answers by :func:`corrupt_sha256` of it."""
        with self._lock:
            self._corrupt = enabled

    def mount(self, prefix: str, upstream_prefix: str) -> str:
        """Serve the upstream's ``upstream_prefix`` at ``prefix`` (a GitLab-shaped path in
        front of another index); return the proxy's URL for ``prefix``."""
        with self._lock:
            self._mounts.append((prefix, upstream_prefix))
        return self.url + prefix

    def clear_faults(self) -> None:
        """Forget the faults not yet used, the delay and the hash corruption: a healthy index."""
        with self._lock:
            self._faults.clear()
            self._delay = 0.0
            self._corrupt = False
            self._lag = 0.0

    def _queue(self, count: int, fault: _Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * count)

    @property
    def requests(self) -> list[ProxiedRequest]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._log)

    def posts(self) -> list[tuple[str, int]]:
        """The uploads so far: (filename, status answered; 0 for a dropped one)."""
        return [(r.uploaded, r.status) for r in self.requests if r.method == "POST"]

    # --- serving -----------------------------------------------------------------------

    def _next_fault(self, method: str) -> tuple[_Fault | None, float, bool]:
        with self._lock:
            fault = next((f for f in self._faults if f.applies_to(method)), None)
            if fault is not None:
                self._faults.remove(fault)
            delays = self._delay_methods is None or method in self._delay_methods
            return fault, self._delay if delays else 0.0, self._corrupt

    def _record(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        content_type: str,
        body: bytes | None = None,
        *,
        forwarded: bool = False,
    ) -> None:
        found = _UPLOADED_NAME.search(body or b"")
        attested = _ATTESTATIONS.search(body or b"")
        entry = ProxiedRequest(
            handler.command,
            handler.path,
            dict(handler.headers.items()),
            status,
            content_type,
            uploaded=found.group(1).decode() if found else "",
            forwarded=forwarded,
            attestations=attested.group(1).decode() if attested else "",
        )
        with self._lock:
            self._log.append(entry)

    def _upstream_path(self, path: str) -> str:
        with self._lock:
            mounts = list(self._mounts)
        for prefix, upstream_prefix in mounts:
            if path.startswith(prefix):
                return upstream_prefix + path[len(prefix) :]
        return path

    def _forward(
        self,
        handler: BaseHTTPRequestHandler,
        body: bytes | None,
        fault: _Fault | None,
        corrupt: bool,
    ) -> None:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", self._upstream_port, timeout=60)
        try:
            upstream.request(
                handler.command, self._upstream_path(handler.path), body=body, headers=headers
            )
            response = upstream.getresponse()
            payload = response.read()
            answer_headers = [
                (k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP
            ]
        finally:
            upstream.close()
        found = _UPLOADED_NAME.search(body or b"")
        if found and 200 <= response.status < 300:
            with self._lock:
                self._uploaded_at[found.group(1).decode()] = time.monotonic()
        if fault is not None and fault.action == "drop":
            self._record(handler, 0, "", body, forwarded=True)
            handler.close_connection = True  # the index has it; the client hears nothing
            return
        if fault is not None and fault.action == "fail":
            self._record(handler, fault.status, "text/plain", body, forwarded=True)
            _send_fault(handler, fault)
            return
        content_type = response.getheader("Content-Type", "")
        if "json" in content_type or "html" in content_type:
            payload = payload.replace(self.upstream_origin.encode(), self.url.encode())
            if corrupt:
                payload = _SHA256.sub(_corrupt_match, payload)
            payload = self._hide_lagging(payload)
        # Logged before answering, so that a client that got its answer finds it logged.
        self._record(handler, response.status, content_type, body, forwarded=True)
        handler.send_response(response.status, response.reason)
        for key, value in answer_headers:
            handler.send_header(key, self.proxied(value) if key.lower() == "location" else value)
        length_header = response.getheader("Content-Length", "0")
        size = length_header if handler.command == "HEAD" else str(len(payload))
        handler.send_header("Content-Length", size)
        handler.end_headers()
        handler.wfile.write(payload)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        fault, delay, corrupt = self._next_fault(handler.command)
        if delay and self._stopping.wait(delay):
            return
        if fault is not None and fault.action == "drop" and not fault.after_forwarding:
            self._record(handler, 0, "")
            handler.close_connection = True  # the server closes the socket, unanswered
            return
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        if fault is not None and fault.action == "redirect":
            self._record(handler, fault.status, "", body)
            handler.send_response(fault.status)
            handler.send_header("Location", fault.location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if fault is not None and fault.action == "fail" and not fault.after_forwarding:
            self._record(handler, fault.status, "text/plain", body)
            _send_fault(handler, fault)
            return
        if fault is not None and fault.action == "hang":
            self._record(handler, 0, "", body)
            self._stopping.wait(120)
            handler.close_connection = True
            return
        if fault is not None and fault.action == "echo":
            self._record(handler, fault.status, "text/plain", body)
            sent = handler.headers.get("Authorization", "")
            decoded = ""
            with contextlib.suppress(ValueError):
                decoded = base64.b64decode(sent.partition(" ")[2]).decode()
            echo = f"Bad request from {sent} ({decoded}, {quote(decoded, safe='')})"
            _send_fault(handler, _Fault("fail", None, fault.status, body=echo))
            return
        self._forward(handler, body, fault if fault and fault.after_forwarding else None, corrupt)

    def _hide_lagging(self, payload: bytes) -> bytes:
        with self._lock:
            now, lag = time.monotonic(), self._lag
            hidden = [n for n, at in self._uploaded_at.items() if lag and now - at < lag]
        for name in hidden:
            quoted = re.escape(name.encode())
            payload = re.sub(rb"<a [^>]*" + quoted + rb"[^>]*>.*?</a>", b"", payload)
            payload = re.sub(
                rb'\{[^{}]*"filename"\s*:\s*"' + quoted + rb'"[^{}]*(\{[^{}]*\}[^{}]*)*\},?',
                b"",
                payload,
            )
        return payload

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


def refusing_url() -> str:
    """An http://127.0.0.1 URL where nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _send_fault(handler: BaseHTTPRequestHandler, fault: _Fault) -> None:
    if not fault.reason and not fault.body and not fault.headers:
        handler.send_error(fault.status)
        return
    payload = (fault.body or fault.reason).encode()
    handler.send_response(fault.status, fault.reason or None)
    for key, value in fault.headers:
        handler.send_header(key, value)
    handler.send_header("Content-Type", "text/plain; charset=utf-8")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def _methods(methods: Collection[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.upper() for m in methods)


def _corrupt_match(match: re.Match[bytes]) -> bytes:
    return match.group(1) + corrupt_sha256(match.group(2).decode()).encode()
