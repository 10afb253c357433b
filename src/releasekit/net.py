"""Every HTTP exchange of releasekit: index reads, uploads, OIDC minting, integrity reads.

Built on urllib3 (connection handling, TLS with a CA bundle or client certificate, proxies
with credentials, bounded decompression), it adds what urllib3 has no setting for:
- a deadline for the whole exchange, connect, send, headers and body together: a watchdog
  thread shuts the socket of a request whose time is up, so a server trickling one byte
  at a time is cut off (urllib3's timeouts bound each read, not their sum);
- a size limit on every body read, counted after decompression;
- one redirect policy: uploads follow none, reads follow only those to the same origin
  (so credentials never travel to another host) and are told of any other;
- one trust setting (CA bundle, client certificate, system trust store) and one proxy
  setting, taken from the environment in one documented order;
- text an index sends, cleaned before anyone prints it (secrets redacted after every
  decoding, control characters and terminal escapes removed);
- interrupts: ``abort_all`` ends every exchange in flight at once (Ctrl-C, SIGTERM);
- kept-alive connections, watched per exchange: a connection is armed (its socket handed
  to the watchdog) when an exchange takes it and disarmed when it goes back to the pool,
  and one whose exchange was cut, aborted or left unread is closed, never reused.
"""

from __future__ import annotations

import base64
import contextlib
import heapq
import html
import itertools
import json
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, unquote, urljoin, urlsplit

import urllib3
import urllib3.exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import make_headers

from releasekit.errors import ConfigError
from releasekit.repositories import redact_url

if TYPE_CHECKING:  # a Protocol urllib3 defines for type checkers only
    from urllib3._base_connection import BaseHTTPConnection

USER_AGENT = "releasekit"
READ_BLOCK = 1 << 16
# Connections kept alive per host: as many as uploads in flight, with room to spare.
POOL_SIZE = 16
FailureKind = Literal[
    "refused", "dns", "tls", "proxy", "connect-timeout", "timeout", "reset", "deadline",
    "too-large", "interrupted",
]  # fmt: skip
# Failures before a byte reached the server: the index is not reachable (no retry helps).
UNREACHABLE: frozenset[str] = frozenset({"refused", "dns", "tls", "proxy", "connect-timeout"})


class NetworkFailure(Exception):
    """No (whole) answer: ``kind`` says why, ``text`` says it in words (no secrets)."""

    def __init__(self, kind: FailureKind, text: str, *, stale: bool = False) -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text
        # Failed before any answer on a connection kept alive from an earlier exchange
        # (the server may have closed it while idle): a new connection may well succeed.
        self.stale = stale

    @property
    def unreachable(self) -> bool:
        return self.kind in UNREACHABLE


class Deadline:
    """One bound for a whole step: every wait is cut to what is left of it."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())


@dataclass(frozen=True)
class Response:
    """An answer: status, reason, headers and the body (read up to the request's limit)."""

    url: str  # where it came from, after same-origin redirects, without credentials
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    truncated: bool = False

    @property
    def content_type(self) -> str:
        """The media type alone, lower case; "" when the answer named none."""
        value = self.headers.get("content-type", "")
        return value.partition(";")[0].strip().lower()

    @property
    def location(self) -> str:
        """Where a redirect points, absolute, without credentials; "" when it points
        nowhere a URL can name (an index may send any bytes there)."""
        found = self.headers.get("location", "")
        try:
            return redact_url(urljoin(self.url, found)) if found else ""
        except ValueError:  # "http://[::1/": urlsplit refuses it
            return ""

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self, what: str) -> object:
        """The body as JSON; :class:`ValueError` naming ``what`` when it is not JSON at all
        or nested past any sensible depth."""
        try:
            return json.loads(self.body)
        except RecursionError:
            raise ValueError(f"{what} nested too deeply to be read") from None
        except ValueError:
            raise ValueError(f"{what} is not JSON") from None


# --- trust and proxies -------------------------------------------------------------------


@dataclass(frozen=True)
class Trust:
    """Which certificates a TLS exchange trusts and presents.

    ``source`` names the setting the CA bundle came from, for messages and ``config --show``.
    """

    ca_bundle: str | None = None
    client_cert: str | None = None
    truststore: bool = False
    source: str = "the system's default CA certificates"

    # The order, first found wins: a repository's own key, then the variables twine,
    # requests and OpenSSL users already set.
    CA_VARIABLES = ("TWINE_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")

    @classmethod
    def resolve(
        cls,
        *,
        cert: str = "",
        client_cert: str = "",
        truststore: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> Trust:
        env = os.environ if env is None else env
        if cert:
            return cls(cert, client_cert or None, truststore, "the repository's cert key")
        for variable in cls.CA_VARIABLES:
            if env.get(variable):
                return cls(env[variable], client_cert or None, truststore, variable)
        source = "the system trust store (truststore)" if truststore else cls.source
        return cls(None, client_cert or None, truststore, source)

    def context(self) -> ssl.SSLContext:
        """An SSL context that verifies servers with this trust and presents the client
        certificate; a :class:`ConfigError` naming the file when one cannot be used."""
        if self.truststore:
            try:
                import truststore  # type: ignore[import-not-found,unused-ignore]  # optional, as in pip: only when asked for
            except ImportError:
                raise ConfigError(
                    "truststore = true asks for the system trust store, but the truststore "
                    "package is not installed.",
                    "pip install truststore (Python 3.10+), or remove the setting.",
                ) from None
            context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        else:
            context = ssl.create_default_context()
        if self.ca_bundle:
            _load(
                lambda: context.load_verify_locations(cafile=self.ca_bundle),
                f"The CA bundle {self.ca_bundle} (from {self.source})",
                "Point it at a PEM file of your index's CA certificates, or unset it.",
            )
        if self.client_cert:
            client_cert = self.client_cert
            _load(
                lambda: context.load_cert_chain(client_cert),
                f"The client certificate {client_cert} (client-cert)",
                "Give a PEM file holding the certificate and its unencrypted key.",
            )
        return context


def _load(load: Callable[[], object], what: str, hint: str) -> None:
    try:
        load()
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ConfigError(f"{what} cannot be used: {reason}.", hint) from None


def proxy_for(url: str, env: Mapping[str, str] | None = None) -> str | None:
    """The proxy the ``*_proxy`` variables name for ``url``; None when ``no_proxy`` covers
    its host or none is set."""
    environment = os.environ if env is None else env
    proxies = {
        key.lower()[: -len("_proxy")]: value
        for key, value in environment.items()
        if key.lower().endswith("_proxy") and value
    }
    parts = urlsplit(url)
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    no_proxy = proxies.get("no", "")
    if no_proxy and _bypassed(parts.hostname or "", origin(url)[2], no_proxy):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    if no_proxy.strip() == "*":
        return True
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry.startswith("["):  # [::1] or [::1]:8443
            name, _, entry_port = entry[1:].partition("]")
            entry_port = entry_port.removeprefix(":")
        elif entry.count(":") > 1:  # a bare IPv6 address: ::1
            name, entry_port = entry, ""
        else:
            name, _, entry_port = entry.partition(":")
        if not name or (entry_port and port is not None and entry_port != str(port)):
            continue
        name = name.lstrip(".")
        if host.lower() == name or host.lower().endswith("." + name):
            return True
    return False


# --- the watchdog ----------------------------------------------------------------------


@dataclass
class _Watch:
    """One exchange: its deadline and the sockets of the connections it holds. ``lock``
    makes cutting and disarming exclusive: a socket disarmed (back in the pool, maybe
    taken by another exchange) is never shut for this one."""

    ends: float
    seconds: float
    sockets: list[socket.socket] = field(default_factory=list)
    fired: bool = False
    reused: bool = False  # the connection of the current hop was kept alive from before
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Watchdog:
    """Shuts the sockets of every exchange whose deadline passed (or all, on abort)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._live: set[int] = set()
        self._watches: dict[int, _Watch] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self.aborted = False

    def watch(self, seconds: float) -> tuple[int, _Watch]:
        watch = _Watch(time.monotonic() + seconds, seconds)
        with self._lock:
            key = next(self._ids)
            heapq.heappush(self._heap, (watch.ends, key, watch))
            self._live.add(key)
            self._watches[key] = watch
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="releasekit-net", daemon=True
                )
                self._thread.start()
            self._lock.notify()
        return key, watch

    def unwatch(self, key: int) -> None:
        with self._lock:
            self._live.discard(key)
            self._watches.pop(key, None)

    def abort_all(self) -> None:
        with self._lock:
            self.aborted = True
            watches = list(self._watches.values())
        for watch in watches:
            _shut(watch)

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._lock.wait()
                    continue
                ends, key, watch = self._heap[0]
                left = ends - time.monotonic()
                if left > 0:
                    self._lock.wait(left)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(key)
            _shut(watch)


def _shut(watch: _Watch) -> None:
    with watch.lock:
        watch.fired = True
        for sock in watch.sockets:
            with contextlib.suppress(OSError):  # already closed: nothing left to cut
                # socket.socket's own shutdown, for a TLS socket too: the file
                # descriptor is cut, the TLS object left to the thread reading it.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()
_current = threading.local()


def abort_all() -> None:
    """End every exchange in flight now, and refuse new ones (Ctrl-C, SIGTERM)."""
    _WATCHDOG.abort_all()


def resume() -> None:
    """Let exchanges go out again once everything ``abort_all`` ended has stopped: the
    process may go on (nox and invoke run releasekit in theirs, an interrupted upload is
    one failed session), and its next request must not be refused as "interrupted"."""
    _WATCHDOG.aborted = False


def _arm(sock: socket.socket | None) -> None:
    """Hand ``sock`` to the watch of this thread's exchange, if it has one."""
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is None or sock is None:
        return
    with watch.lock:
        watch.sockets.append(sock)
        fired = watch.fired
    # The deadline may have passed before the socket was armed (a slow TLS context, a
    # loaded machine): the watchdog found nothing to shut, so shut it here.
    if fired:
        _shut(watch)


def _disarm(conn: BaseHTTPConnection) -> None:
    """The exchange holding ``conn`` ended: the watchdog forgets its sockets, and a
    connection that was cut (deadline, abort) is closed, so the pool never hands it out."""
    watch: _Watch | None = getattr(conn, "_releasekit_watch", None)
    if watch is None:
        return
    conn._releasekit_watch = None  # type: ignore[attr-defined]
    with watch.lock:
        watch.sockets.clear()
        fired = watch.fired
    if fired:
        conn.close()


class _WatchedConnection:
    """Connection classes' hooks: every socket they open is armed for the exchange that
    opened it (after the TLS handshake too, as the TLS socket replaces the TCP one)."""

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _arm(sock)
        return sock

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        sock = getattr(self, "sock", None)
        watch: _Watch | None = getattr(_current, "watch", None)
        if watch is not None and sock is not None and all(s is not sock for s in watch.sockets):
            _arm(sock)


class _WatchedHTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _WatchedPool:
    """Pool hooks: a connection is armed when an exchange takes it (a kept-alive one with
    its open socket; ``fresh`` closes that first) and disarmed when it comes back."""

    def _get_conn(self, timeout: float | None = None) -> BaseHTTPConnection:
        conn: BaseHTTPConnection = super()._get_conn(timeout)  # type: ignore[misc]
        watch: _Watch | None = getattr(_current, "watch", None)
        if watch is None:
            return conn
        sock: socket.socket | None = getattr(conn, "sock", None)
        if sock is not None and getattr(_current, "fresh", False):
            conn.close()
            sock = None
        conn._releasekit_watch = watch  # type: ignore[attr-defined]
        watch.reused = sock is not None
        _arm(sock)
        return conn

    def _put_conn(self, conn: BaseHTTPConnection | None) -> None:
        if conn is not None:
            _disarm(conn)
        super()._put_conn(conn)  # type: ignore[misc]


class _HTTPPool(_WatchedPool, HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(_WatchedPool, HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


# --- the exchange --------------------------------------------------------------------

RedirectPolicy = Literal["never", "same-origin"]


class Network:
    """Sends requests under one trust setting; one instance per target, shared by its
    reads and uploads (the managers it makes are thread-safe and kept per proxy)."""

    def __init__(self, trust: Trust | None = None, *, env: Mapping[str, str] | None = None) -> None:
        self.trust = trust or Trust.resolve(env=env)
        self._env = dict(os.environ if env is None else env)
        self._managers: dict[tuple[str | None, bool], urllib3.PoolManager] = {}
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None

    def _manager(self, url: str) -> urllib3.PoolManager:
        proxy = proxy_for(url, self._env)
        # The SSL context (a tenth of a second or more: the CA certificates are read)
        # only for an exchange that speaks TLS: to the index or to the proxy.
        tls = urlsplit(url).scheme == "https" or urlsplit(proxy or "").scheme == "https"
        with self._lock:
            if (proxy, tls) not in self._managers:
                if tls and self._context is None:
                    self._context = self.trust.context()
                context = self._context if tls else None
                self._managers[proxy, tls] = _make_manager(proxy, context)
            return self._managers[proxy, tls]

    def request(
        self,
        method: str,
        url: str,
        *,
        deadline: float,
        limit: int,
        headers: Mapping[str, str] | None = None,
        body: bytes | Iterable[bytes] | None = None,
        redirects: RedirectPolicy = "same-origin",
        connect_timeout: float = 10.0,
        read_timeout: float | None = None,
        truncate: bool = False,
        fresh: bool = False,
    ) -> Response:
        """Send one request and read its answer, all within ``deadline`` seconds.

        The body is read up to ``limit`` bytes (after decompression): past it the answer
        is cut there when ``truncate`` is set, else :class:`NetworkFailure` "too-large".
        Redirects to the same origin are followed for a read; any other is returned as
        the 3xx answer it is. ``read_timeout`` bounds a silence (default: the deadline).
        Raises :class:`NetworkFailure` when there is no whole answer.

        Connections are kept alive between exchanges. ``fresh`` asks for a new one. A read
        that fails on a kept-alive connection before any answer (the server closed it
        while it was idle) is sent once more on a new one; a request with a streamed
        ``body`` cannot be sent again here: its failure says ``stale`` and the caller
        decides (an upload first asks the index whether the file landed).
        """
        key, watch = _WATCHDOG.watch(deadline)
        if _WATCHDOG.aborted:
            # Asked once watched: an abort_all that came as this exchange started found
            # no socket of it to cut, and must not let it go out.
            _WATCHDOG.unwatch(key)
            raise NetworkFailure("interrupted", "interrupted")
        _current.watch = watch
        _current.fresh = fresh
        replayable = body is None or isinstance(body, bytes)
        try:
            for _hop in range(6):
                for attempt in (1, 2):
                    try:
                        response = self._exchange(
                            method,
                            url,
                            watch,
                            headers,
                            body,
                            (connect_timeout, read_timeout),
                            limit,
                            truncate,
                        )
                        break
                    except NetworkFailure as failure:
                        if attempt == 2 or not (failure.stale and replayable):
                            raise
                        _current.fresh = True
                follow = (
                    redirects == "same-origin"
                    and response.status in (301, 302, 303, 307, 308)
                    and body is None
                    and response.headers.get("location")
                )
                if not follow:
                    return response
                target = response.location
                if not target or origin(target) != origin(url):
                    return response
                url = target
            return response
        finally:
            _current.watch = None
            _current.fresh = False
            _WATCHDOG.unwatch(key)

    def _exchange(
        self,
        method: str,
        url: str,
        watch: _Watch,
        headers: Mapping[str, str] | None,
        body: bytes | Iterable[bytes] | None,
        timeouts: tuple[float, float | None],
        limit: int,
        truncate: bool,
    ) -> Response:
        connect_timeout, read_timeout = timeouts
        left = max(0.05, watch.ends - time.monotonic())
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate", **(headers or {})}
        parts = urlsplit(url)
        if parts.username is not None:  # never a credential in a request line
            url = redact_url(url)
        manager = self._manager(url)  # a bad CA bundle is a ConfigError, not a failure
        try:
            response = manager.urlopen(
                method,
                url,
                body=body,
                headers=sent,
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=True,
                timeout=urllib3.Timeout(
                    connect=min(connect_timeout, left), read=min(read_timeout or left, left)
                ),
            )
        except Exception as exc:
            failure = _failure(exc, watch, url, connect_timeout)
            failure.stale = failure.kind == "reset" and watch.reused
            raise failure from None
        complete = False
        try:
            chunks: list[bytes] = []
            size = 0
            truncated = False
            while True:
                chunk = response.read(READ_BLOCK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    if not truncate:
                        raise NetworkFailure(
                            "too-large",
                            f"the answer from {redact_url(url)} is larger than "
                            f"{_size(limit)}, the most releasekit reads for it",
                        )
                    chunks.append(chunk[: len(chunk) - (size - limit)])
                    truncated = True
                    break
                chunks.append(chunk)
            complete = not truncated
        except NetworkFailure:
            raise
        except Exception as exc:
            raise _failure(exc, watch, url, connect_timeout, answered=True) from None
        finally:
            # Read to its end, the connection goes back to the pool (urllib3 puts it back
            # as the last byte is read); else it is closed: what is left of the answer
            # would be read as the next one's start.
            if not complete:
                response.close()
            response.release_conn()
        if watch.fired:
            # Cut at the deadline: what arrived may parse as a short answer; it is not one.
            raise _failure(TimeoutError(), watch, url, connect_timeout, answered=True)
        return Response(
            redact_url(url),
            response.status,
            response.reason or "",
            {k.lower(): v for k, v in response.headers.items()},
            b"".join(chunks),
            truncated,
        )


def _make_manager(proxy: str | None, context: ssl.SSLContext | None) -> urllib3.PoolManager:
    """A manager whose pools hand their connections to the watchdog; without ``context``,
    one for plain HTTP only (it has no pool for https: urllib3's default trust is never
    used)."""
    manager: urllib3.PoolManager
    if proxy:
        try:
            parts = urlsplit(proxy)
            proxy_headers = {}
            if parts.username is not None:
                credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
                proxy_headers = make_headers(proxy_basic_auth=credentials)
            manager = urllib3.ProxyManager(
                redact_url(proxy),
                proxy_headers=proxy_headers,
                ssl_context=context,
                num_pools=4,
                maxsize=POOL_SIZE,
            )
        except (ValueError, urllib3.exceptions.HTTPError):
            # socks5://, a bad host or port: urllib3 cannot use it (ProxySchemeUnknown,
            # LocationParseError), and no request can go out until it is changed.
            raise ConfigError(
                f"The proxy {_shown_proxy(proxy)} "
                "(from the https_proxy, http_proxy or all_proxy variable) cannot be used: "
                "releasekit speaks to HTTP(S) proxies only, at http://host:port.",
                "Set the variable to an http:// proxy, or unset it (or list the index's "
                "host in no_proxy).",
            ) from None
    else:
        manager = urllib3.PoolManager(ssl_context=context, num_pools=4, maxsize=POOL_SIZE)
    # urllib3's own extension point (contrib.socks does the same): pools whose connections
    # hand their sockets to the watchdog.
    manager.pool_classes_by_scheme = {"http": _HTTPPool}
    if context is not None:
        manager.pool_classes_by_scheme["https"] = _HTTPSPool
    return manager


def _shown_proxy(proxy: str) -> str:
    try:
        return printable(redact_url(proxy))
    except ValueError:  # not even a URL: nothing of it is shown (it may hold a password)
        return "URL"


def _failure(
    exc: BaseException, watch: _Watch, url: str, connect_timeout: float, *, answered: bool = False
) -> NetworkFailure:
    """What went wrong, as a kind and words; the deadline first, since cutting the socket
    makes every other error."""
    if _WATCHDOG.aborted:
        return NetworkFailure("interrupted", "interrupted")
    if watch.fired:
        what = "no complete answer" if answered else "no answer"
        return NetworkFailure("deadline", f"{what} within {watch.seconds:g} s")
    errors = urllib3.exceptions
    reason: BaseException = exc
    while isinstance(reason, errors.MaxRetryError) and reason.reason is not None:
        reason = reason.reason
    host = urlsplit(url).hostname
    if isinstance(reason, errors.NameResolutionError):
        return NetworkFailure("dns", f"the host name {host!r} could not be resolved")
    if isinstance(reason, errors.ProxyError):
        # urllib3 quotes the proxy's own reason phrase: cleaned here, as the failure's
        # text is printed by callers that read no index text (OIDC, the pre-flight).
        return NetworkFailure("proxy", f"the proxy failed ({printable(_cause(reason))})")
    if isinstance(reason, errors.SSLError):
        cause = _root(reason)
        if isinstance(cause, ssl.SSLCertVerificationError):
            text = f"the TLS certificate was not accepted ({cause.verify_message})"
        else:
            text = f"the TLS handshake failed ({getattr(cause, 'reason', None) or cause})"
        return NetworkFailure("tls", text)
    if isinstance(reason, errors.NewConnectionError):
        if isinstance(_root(reason), ConnectionRefusedError) or "refused" in str(reason).lower():
            return NetworkFailure(
                "refused", "the connection was refused (nothing listens at that host and port)"
            )
        if not isinstance(_root(reason), TimeoutError | socket.timeout):
            return NetworkFailure("refused", f"the connection failed ({_cause(reason)})")
    if isinstance(reason, errors.ConnectTimeoutError):  # NewConnectionError is one too
        return NetworkFailure("connect-timeout", f"no connection within {connect_timeout:g} s")
    if isinstance(reason, errors.ReadTimeoutError | TimeoutError | socket.timeout):
        return NetworkFailure("timeout", "the server went silent")
    what = "in the middle of its answer" if answered else "without answering"
    return NetworkFailure("reset", f"the server closed the connection {what}")


def _root(exc: BaseException) -> BaseException:
    seen = exc
    while seen.__cause__ is not None or seen.__context__ is not None:
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    return seen


def _cause(exc: BaseException) -> str:
    root = _root(exc)
    return getattr(root, "strerror", None) or str(root) or root.__class__.__name__


def _size(limit: int) -> str:
    return f"{limit / (1 << 20):g} MiB" if limit >= 1 << 20 else f"{limit // 1024} KiB"


# --- URLs, origins and secrets -------------------------------------------------------


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: where credentials for ``url`` may go."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # an unbalanced "[": an origin of nowhere, equal to no other
        return "", "", None
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (hostname or "").lower(), port or default


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def secret_forms(secret_values: Sequence[str], username: str = "") -> list[str]:
    """Every shape a secret can take in text echoed back by an index: itself, URL-quoted,
    base64 of itself and of ``user:secret`` (a Basic Authorization header)."""
    forms: set[str] = set()
    for value in secret_values:
        if len(value) < 4:
            continue
        forms.update({value, quote(value, safe=""), quote(value)})
        for raw in (value, f"{username}:{value}"):
            encoded = base64.b64encode(raw.encode()).decode()
            forms.update({encoded, encoded.rstrip("="), quote(encoded, safe="")})
    return sorted(forms, key=len, reverse=True)


def scrub(text: str, forms: Sequence[str]) -> str:
    for form in forms:
        text = text.replace(form, "********")
    return text


# ESC sequences (CSI, OSC and two-byte ones), then any other control character but \n \t.
_TERMINAL_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([\"\\/bfnrt])")
_JSON_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def printable(text: str, forms: Sequence[str] = ()) -> str:
    """Text an index (or any server) sent, fit to print: decoded from HTML entities,
    %-escapes and JSON escapes (so a secret it echoes in any of them is seen), the secrets'
    ``forms`` redacted, terminal escape sequences and control characters removed."""
    # Stripped before redacting and redacted at every round: a secret cut by an escape
    # sequence (or NUL) must not come out whole once the cut is removed, nor one whose
    # own characters look like an escape come out decoded and unmatched.
    decoded = _stripped(text, forms)
    for _ in range(16):  # nested encodings (&amp;#37; ...) unfold in a few rounds
        step = html.unescape(decoded)
        step = _JSON_ESCAPE.sub(_json_unescape, step)
        if "%" in step:
            step = unquote(step)
        step = _stripped(step, forms)
        if step == decoded:
            break
        decoded = step
    return decoded


def _stripped(text: str, forms: Sequence[str]) -> str:
    return scrub(_CONTROLS.sub("", _TERMINAL_ESCAPES.sub("", text)), forms)


def _json_unescape(match: re.Match[str]) -> str:
    if match.group(1):
        return chr(int(match.group(1), 16))
    char = match.group(2)
    return _JSON_SIMPLE.get(char, char)
