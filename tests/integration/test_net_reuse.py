"""Kept-alive connections: reads and uploads share few connections, a connection cut at
the deadline or by an abort is never reused, and an upload whose kept-alive connection
the server had closed goes up once, on a new one. Servers on 127.0.0.1 that count the
connections they are sent requests on (a keep-alive proxy in front of a real pypiserver
for uploads). And the release listing check reads in the background while it hashes."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from index_servers import PypiServer, make_sdist, make_wheel, sha256_of
from releasekit import net
from releasekit.index import IndexClient
from releasekit.net import Network, NetworkFailure
from releasekit.upload.client import UploadSettings, upload_files
from releasekit.upload.form import DistFile

NAME = "reuse-demo"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass(frozen=True)
class Seen:
    """One request: the connection it came on (numbered from 1), what it asked for, and
    whether it was passed on."""

    connection: int
    method: str
    path: str
    forwarded: bool


class CountingServer:
    """An HTTP/1.1 server that keeps connections alive and numbers them. With
    ``upstream`` it forwards every request there; else it answers ``/ok`` at once,
    ``/slow`` one byte every 0.2 s, ``/hang`` never (until the test ends), ``/big`` 1 MiB.

    ``close_after_answer`` closes each connection after its answer without saying so (a
    server's idle timeout); ``drop_reused`` requests arriving on a connection that
    already served one are dropped unanswered (a server that closed it idle as the
    request went out); ``lose_reused`` such requests are passed on, and the connection
    dropped before the answer (it was lost on the way back)."""

    def __init__(self, upstream: str = "") -> None:
        self.upstream = urlsplit(upstream) if upstream else None
        self.seen: list[Seen] = []
        self.connections = 0
        self.close_after_answer = False
        self.drop_reused = 0
        self.lose_reused = 0
        self.released = threading.Event()
        self._lock = threading.Lock()
        counting = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with counting._lock:
                    counting.connections += 1
                    self.number = counting.connections
                self.served = 0

            def do_GET(self) -> None:
                counting._handle(self)

            do_POST = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def proxied(self, url: str) -> str:
        assert self.upstream is not None
        return url.replace(f"http://{self.upstream.netloc}", self.url, 1)

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def connection_of(self, path: str) -> list[int]:
        return [s.connection for s in self.seen if s.path == path]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        number: int = handler.number  # type: ignore[attr-defined]
        with self._lock:
            reused = handler.served > 0  # type: ignore[attr-defined]
            drop = self.drop_reused > 0 and reused
            self.drop_reused -= drop
            lose = self.lose_reused > 0 and reused and handler.command == "POST"
            self.lose_reused -= lose
            self.seen.append(Seen(number, handler.command, handler.path, not drop))
        handler.served += 1  # type: ignore[attr-defined]
        if lose:
            assert self.upstream is not None
            self._forward(handler, answer=False)
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if drop:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.upstream is not None:
            self._forward(handler)
        elif handler.path == "/ok":
            _answer(handler, 200, b"fine")
        elif handler.path == "/slow":
            handler.send_response(200)
            handler.send_header("Content-Length", "100")
            handler.end_headers()
            for _ in range(100):
                if self.released.wait(0.2):
                    break
                handler.wfile.write(b"x")
                handler.wfile.flush()
        elif handler.path == "/big":
            handler.send_response(200)
            handler.send_header("Content-Length", str(1 << 20))
            handler.end_headers()
            with contextlib.suppress(OSError):  # the client stopped reading
                handler.wfile.write(b"x" * (1 << 20))
        elif handler.path == "/hang":
            self.released.wait(30)
            handler.close_connection = True
        else:
            _answer(handler, 404, b"no")
        if self.close_after_answer:
            handler.close_connection = True

    def _forward(self, handler: BaseHTTPRequestHandler, *, answer: bool = True) -> None:
        assert self.upstream is not None
        assert self.upstream.port is not None
        body = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream.port, timeout=30)
        try:
            upstream.request(handler.command, handler.path, body, headers)
            got = upstream.getresponse()
            data = got.read()
        finally:
            upstream.close()
        if not answer:
            return
        handler.send_response(got.status, got.reason)
        for key, value in got.getheaders():
            if key.lower() not in _HOP_BY_HOP:
                handler.send_header(key, value.replace(self.upstream.netloc, self.url[7:]))
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data.replace(self.upstream.netloc.encode(), self.url[7:].encode()))


def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def server() -> Iterator[CountingServer]:
    counting = CountingServer()
    yield counting
    counting.close()


@pytest.fixture
def proxy(pypiserver: PypiServer) -> Iterator[CountingServer]:
    counting = CountingServer(pypiserver.url)
    yield counting
    counting.close()


def _release(directory: Path) -> list[DistFile]:
    directory.mkdir()
    paths = [
        make_wheel(directory, NAME, "1.0"),
        make_sdist(directory, NAME, "1.0"),
        make_wheel(directory, NAME, "1.0", filename="reuse_demo-1.0-1-py3-none-any.whl"),
        make_wheel(directory, NAME, "1.0", filename="reuse_demo-1.0-2-py3-none-any.whl"),
    ]
    return [DistFile(p, sha256_of(p)) for p in paths]


def _upload(
    files: list[DistFile],
    url: str,
    network: Network,
    index: IndexClient,
    said: list[str] | None = None,
) -> list[tuple[str, str, int]]:
    outcomes = upload_files(
        files,
        UploadSettings(url=url, repository="test", jobs=1, network=network, backoff=0.1),
        lookup=lambda: {f.filename: f.sha256 for f in index.release_files(NAME, "1.0")},
        log=(said if said is not None else []).append,
    )
    return [(o.filename, o.state, o.attempts) for o in outcomes]


def _stored(server: PypiServer) -> dict[str, str]:
    assert server.packages_dir is not None
    return {p.name: sha256_of(p) for p in server.packages_dir.iterdir()}


def test_uploads_and_reads_share_one_kept_alive_connection(
    pypiserver: PypiServer, proxy: CountingServer, tmp_path: Path
) -> None:
    files = _release(tmp_path / "dist")
    network = Network(env={})
    index = IndexClient(proxy.proxied(pypiserver.simple_url), network=network)

    assert index.release_files(NAME, "1.0") == []
    outcomes = _upload(files, proxy.proxied(pypiserver.upload_url), network, index)
    listed = {f.filename for f in index.release_files(NAME, "1.0")}

    assert outcomes == [(f.filename, "uploaded", 1) for f in files]
    assert listed == {f.filename for f in files}
    assert [s.path for s in proxy.seen if s.method == "POST"] == ["/"] * 4
    assert proxy.connections == 1
    assert _stored(pypiserver) == {f.filename: f.sha256 for f in files}


@pytest.mark.parametrize("how", ["closed while idle", "closed as the request went out"])
def test_an_upload_on_a_connection_the_server_closed_goes_up_once(
    pypiserver: PypiServer, proxy: CountingServer, tmp_path: Path, how: str
) -> None:
    files = _release(tmp_path / "dist")[:2]
    network = Network(env={})
    index = IndexClient(proxy.proxied(pypiserver.simple_url), network=network)
    if how == "closed while idle":
        proxy.close_after_answer = True
    else:
        proxy.drop_reused = 1  # the second file's request, on the first file's connection

    said: list[str] = []
    outcomes = _upload(files, proxy.proxied(pypiserver.upload_url), network, index, said)

    sdist = files[1].filename
    assert [state for _, state, _ in outcomes] == ["uploaded", "uploaded"]
    posts = [s for s in proxy.seen if s.method == "POST"]
    assert [p.forwarded for p in posts] == (
        [True, True] if how == "closed while idle" else [True, False, True]
    )
    if how == "closed as the request went out":
        # Sent again on a new connection (after the index was asked whether it had the
        # file), not counted as a retry: no back-off.
        assert posts[1].connection == posts[0].connection != posts[2].connection
        between = proxy.seen[2:-1]
        assert between
        assert {s.method for s in between} == {"GET"}
        assert outcomes[1] == (sdist, "uploaded", 2)
        assert said == [
            f"{sdist}: the server closed the connection without answering on a connection "
            "kept from an earlier exchange; sending it again on a new connection"
        ]
    assert _stored(pypiserver) == {f.filename: f.sha256 for f in files}


def test_an_upload_whose_answer_was_lost_on_a_kept_alive_connection_is_not_sent_twice(
    pypiserver: PypiServer, proxy: CountingServer, tmp_path: Path
) -> None:
    # The second file reaches the index on the first file's connection, which is then
    # dropped before the answer: the index is asked, has it, and it is not sent again.
    files = _release(tmp_path / "dist")[:2]
    network = Network(env={})
    index = IndexClient(proxy.proxied(pypiserver.simple_url), network=network)
    proxy.lose_reused = 1

    said: list[str] = []
    outcomes = _upload(files, proxy.proxied(pypiserver.upload_url), network, index, said)

    assert [state for _, state, _ in outcomes] == ["uploaded", "already there"]
    assert [s.forwarded for s in proxy.seen if s.method == "POST"] == [True, True]
    assert said == []
    assert _stored(pypiserver) == {f.filename: f.sha256 for f in files}


def test_a_read_on_a_connection_the_server_closed_is_sent_again_on_a_new_one(
    server: CountingServer,
) -> None:
    network = Network(env={})
    assert network.request("GET", f"{server.url}/ok", deadline=5, limit=100).body == b"fine"
    server.drop_reused = 1

    again = network.request("GET", f"{server.url}/ok", deadline=5, limit=100)

    assert again.body == b"fine"
    assert [(s.connection, s.forwarded) for s in server.seen] == [(1, True), (1, False), (2, True)]


def test_a_connection_cut_at_the_deadline_is_not_reused(server: CountingServer) -> None:
    network = Network(env={})
    network.request("GET", f"{server.url}/ok", deadline=5, limit=100)

    started = time.monotonic()
    with pytest.raises(NetworkFailure) as cut:
        network.request("GET", f"{server.url}/slow", deadline=0.6, limit=1000)
    assert cut.value.kind == "deadline"
    assert time.monotonic() - started < 3
    network.request("GET", f"{server.url}/ok", deadline=5, limit=100)

    # The slow answer came on the kept-alive connection, and the watchdog cut it there;
    # the next request needed a new one.
    assert server.connection_of("/slow") == [1]
    assert server.connection_of("/ok") == [1, 2]


def test_a_connection_whose_answer_was_cut_short_by_the_limit_is_not_reused(
    server: CountingServer,
) -> None:
    network = Network(env={})
    network.request("GET", f"{server.url}/ok", deadline=5, limit=100)

    short = network.request("GET", f"{server.url}/big", deadline=5, limit=10, truncate=True)
    network.request("GET", f"{server.url}/ok", deadline=5, limit=100)

    # The rest of the answer was left unread: it would have been read as the next answer.
    assert short.truncated
    assert short.body == b"x" * 10
    assert server.connection_of("/ok") == [1, 2]


def test_a_connection_ended_by_abort_is_not_reused(server: CountingServer) -> None:
    network = Network(env={})
    network.request("GET", f"{server.url}/ok", deadline=5, limit=100)
    failures: list[str] = []

    def hang() -> None:
        try:
            network.request("GET", f"{server.url}/hang", deadline=60, limit=100)
        except NetworkFailure as exc:
            failures.append(exc.kind)

    thread = threading.Thread(target=hang)
    thread.start()
    for _ in range(200):
        if server.connection_of("/hang"):
            break
        time.sleep(0.02)
    started = time.monotonic()
    net.abort_all()
    thread.join(10)
    net.resume()
    ended = time.monotonic() - started
    network.request("GET", f"{server.url}/ok", deadline=5, limit=100)

    assert failures == ["interrupted"]
    assert ended < 2
    assert server.connection_of("/hang") == [1]
    assert server.connection_of("/ok") == [1, 2]


def test_an_exchange_starting_as_abort_all_comes_is_not_sent(
    server: CountingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C lands after request() found no abort but before its watch was registered:
    # abort_all had no socket of it to cut, so the exchange must refuse itself.
    watch = net._WATCHDOG.watch

    def abort_first(seconds: float) -> tuple[int, net._Watch]:
        net.abort_all()
        return watch(seconds)

    monkeypatch.setattr(net._WATCHDOG, "watch", abort_first)
    network = Network(env={})
    try:
        with pytest.raises(NetworkFailure) as failure:
            network.request("GET", f"{server.url}/ok", deadline=5, limit=100)
    finally:
        net.resume()

    assert failure.value.kind == "interrupted"
    assert server.seen == []


def test_a_prefetched_release_listing_is_read_once_and_only_once(
    server: CountingServer,
) -> None:
    index = IndexClient(f"{server.url}/simple/", network=Network(env={}))

    index.prefetch_release_files(NAME, "1.0")
    for _ in range(200):  # check hashes its files meanwhile
        if server.seen:
            break
        time.sleep(0.02)
    first = index.release_files(NAME, "1.0")
    asked = len(server.seen)
    second = index.release_files(NAME, "1.0")  # never cached: upload's lookup asks anew

    assert first == second == []  # 404: no such project yet
    assert asked == 1
    assert len(server.seen) == 2
