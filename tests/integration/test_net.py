"""The one way to the network, against a hostile server on 127.0.0.1: trickled answers,
portals, malformed and huge JSON, echoed secrets, terminal escapes, TLS with a CA made for
the test, a proxy that wants credentials."""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import resource
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from index_servers import NewIndex
from release_project import NAME, SDIST, WHEEL, new_release, write_config
from releasekit.credentials import Credentials
from releasekit.errors import ConfigError, ExitCode, IndexUnreachableError, PackageIndexError
from releasekit.index import IndexClient
from releasekit.net import Network, NetworkFailure, Trust, printable, proxy_for, secret_forms
from releasekit.probe import prove_credentials
from releasekit.repositories import Repository
from releasekit.secret import Secret
from releasekit.trust.identity import OidcError
from releasekit.trust.oidc import pypi_audience

Handler = Callable[[BaseHTTPRequestHandler], None]
SECRET = "s3cr&t<pass>word"


class Hostile:
    """A server whose every answer is a function of the test's."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Handler] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        hostile = self

        class Serve(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle(self) -> None:
                # A kept-alive connection the client closed with an answer unread (too
                # large, cut) ends with a reset while this waits for its next request.
                with contextlib.suppress(ConnectionResetError):
                    super().handle()

            def do_GET(self) -> None:
                hostile.seen.append((self.path, dict(self.headers.items())))
                route = hostile.routes.get(self.path.partition("?")[0])
                if route is None:
                    self.send_error(404)
                    return
                route(self)

            do_POST = do_CONNECT = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
        self.server.daemon_threads = True
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    server = Hostile()
    yield server
    server.close()


def answer(status: int, content_type: str, body: bytes) -> Handler:
    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return send


def trickle(head: bytes, every: float) -> Handler:
    """The status line and headers, then a body one byte every ``every`` seconds."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        try:
            handler.wfile.write(head)
            handler.wfile.flush()
            for _ in range(1000):
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(every)
        except OSError:
            pass

    return send


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Slow: ",  # headers that never end
    ],
    ids=["body", "headers"],
)
def test_a_trickling_server_is_cut_off_at_the_deadline(hostile: Hostile, head: bytes) -> None:
    hostile.routes["/simple/demo-pkg/"] = trickle(head, 0.5)
    started = time.monotonic()

    with pytest.raises(PackageIndexError) as raised:
        IndexClient(f"{hostile.url}/simple/", timeout=2, retries=0).project_files("demo-pkg")

    assert time.monotonic() - started < 4  # not 1000 x 0.5 s: the whole read is bounded
    assert "answer within 2 s" in raised.value.message


def test_a_captive_portal_page_is_not_an_empty_index(hostile: Hostile) -> None:
    portal = b"<html><title>Welcome to Hotel WiFi</title><form><input name=room></form></html>"
    hostile.routes["/simple/demo-pkg/"] = answer(200, "text/html", portal)

    with pytest.raises(IndexUnreachableError) as raised:
        IndexClient(f"{hostile.url}/simple/").project_files("demo-pkg")

    assert raised.value.message.startswith(f"This is not a package index: {hostile.url}")
    assert "answered 200 text/html" in raised.value.message


@pytest.mark.parametrize(
    "document",
    [
        b'{"files": "none"}',
        b'{"files": [1, 2]}',
        b'{"files": [{"filename": 7, "url": []}]}',
        b'{"meta": [], "files": [{"filename": "demo_pkg-1.0.tar.gz", "url": {"x": 1}}]}',
        b"[" * 100_000 + b"]" * 100_000,
        b"{not json",
    ],
    ids=["files-a-string", "files-numbers", "wrong-types", "url-an-object", "deep", "broken"],
)
def test_malformed_pep_691_json_of_any_shape_is_a_clear_error(
    hostile: Hostile, document: bytes
) -> None:
    hostile.routes["/simple/demo-pkg/"] = answer(
        200, "application/vnd.pypi.simple.v1+json", document
    )

    with pytest.raises(PackageIndexError) as raised:
        IndexClient(f"{hostile.url}/simple/").project_files("demo-pkg")

    assert f"{hostile.url}/simple/demo-pkg/ answered with" in raised.value.message


@pytest.mark.parametrize(
    ("content_type", "document"),
    [
        ("text/html", b'<a href="http://[::1/demo_pkg-1.0.tar.gz">demo_pkg-1.0.tar.gz</a>'),
        ("text/html", b'<base href="//[bad/"><a href="demo_pkg-1.0.tar.gz">x</a>'),
        (
            "application/vnd.pypi.simple.v1+json",
            b'{"files": [{"filename": "demo_pkg-1.0.tar.gz", "url": "http://[x]:1/f"}]}',
        ),
        (
            "application/vnd.pypi.simple.v1+json",
            b'{"files": [{"filename": "demo_pkg-1.0.tar.gz", "url": "demo_pkg-1.0.tar.gz",'
            b' "provenance": "//[bad/"}]}',
        ),
    ],
    ids=["html-link", "html-base", "json-url", "json-provenance"],
)
def test_a_listing_with_an_unparsable_url_is_an_error_not_a_traceback(
    hostile: Hostile, content_type: str, document: bytes
) -> None:
    # Read in check's background thread too: what it raises is what the caller gets.
    hostile.routes["/simple/demo-pkg/"] = answer(200, content_type, document)
    index = IndexClient(f"{hostile.url}/simple/", retries=0)
    index.prefetch_release_files("demo-pkg", "1.0")

    with pytest.raises(PackageIndexError) as raised:
        index.release_files("demo-pkg", "1.0")

    assert f"{hostile.url}/simple/demo-pkg/ answered with" in raised.value.message


def test_a_huge_answer_is_refused_without_being_read_whole(hostile: Hostile) -> None:
    block = b"x" * (1 << 20)

    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        handler.send_header("Content-Length", str(2 << 30))  # 2 GiB
        handler.end_headers()
        try:
            for _ in range(2048):
                handler.wfile.write(block)
        except OSError:
            pass

    hostile.routes["/simple/demo-pkg/"] = huge
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    with pytest.raises(PackageIndexError) as raised:
        IndexClient(f"{hostile.url}/simple/", timeout=60).project_files("demo-pkg")

    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert "is larger than 64 MiB" in raised.value.message
    assert grown_kib < 512 * 1024


def test_a_gzip_bomb_is_counted_after_decompression(hostile: Hostile) -> None:
    import gzip

    bomb = gzip.compress(b" " * (200 << 20))  # 200 MiB of spaces in about 200 KiB

    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    hostile.routes["/simple/demo-pkg/"] = send

    with pytest.raises(PackageIndexError, match="larger than 64 MiB"):
        IndexClient(f"{hostile.url}/simple/").project_files("demo-pkg")


def test_a_password_echoed_html_escaped_is_never_printed(hostile: Hostile) -> None:
    escaped = SECRET.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    hostile.routes["/simple/demo-pkg/"] = answer(
        403, "text/html", f"<p>bad password {escaped}</p>".encode()
    )

    def reason(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(403, f"Forbidden for user {escaped} \x1b]0;pwned\x07\x1b[2J")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    hostile.routes["/simple/demo-pkg/"] = reason

    with pytest.raises(PackageIndexError) as raised:
        IndexClient(f"{hostile.url}/simple/", auth=("ci", SECRET)).project_files("demo-pkg")

    text = str(raised.value)
    assert SECRET not in text
    assert "&lt;pass&gt;" not in text
    assert "\x1b" not in text
    assert "Forbidden for user ********" in text


@pytest.mark.parametrize(
    "encoded",
    [
        SECRET.replace("&", "&amp;").replace("<", "&#60;"),
        SECRET.replace("&", "%26").replace("<", "%3C").replace(">", "%3E"),
        SECRET.replace("&", "\\u0026").replace("<", "\\u003c"),
        base64.b64encode(f"ci:{SECRET}".encode()).decode(),
        # Cut by what printing strips: redacting first would leave the secret whole.
        SECRET.replace("&", "\x1b[0m&"),
        SECRET.replace("<", "\x00<"),
        SECRET.replace("<", "\\u0085<"),
        # Nested deeper than a few rounds of unescaping.
        SECRET.replace("&", "&amp;amp;amp;amp;amp;"),
    ],
    ids=["html", "percent", "json", "basic", "escape", "nul", "c1", "nested"],
)
def test_printable_redacts_a_secret_after_every_decoding(encoded: str) -> None:
    said = printable(f"echo: {encoded} \x1b[31mred\x1b[0m\x07", secret_forms([SECRET], "ci"))

    assert SECRET not in said
    assert "\x1b" not in said
    assert "\x07" not in said
    assert "********" in said


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize(
    ("status", "reason", "location"),
    [
        (403, f"Forbidden for user ci: {_escaped(SECRET)}", ""),
        (302, "Found", f"/login?next=%2F&token={_escaped(SECRET)}&\x1b]0;pwned\x07\x1b[2J"),
    ],
    ids=["reason", "location"],
)
def test_the_pre_flight_probe_prints_no_secret_and_no_escape_an_index_sent(
    hostile: Hostile, status: int, reason: str, location: str
) -> None:
    def refuse(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status, reason)
        if location:
            handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    hostile.routes["/upload/"] = refuse
    repository = Repository(
        name="test", upload_url=f"{hostile.url}/upload/", index_url=f"{hostile.url}/simple/"
    )
    credentials = Credentials("ci", Secret(SECRET), "RK_TEST_TOKEN")

    proof = prove_credentials(repository, credentials, Network(env={}), timeout=5)

    shown = f"{proof.note} {proof.problem}"
    assert proof.problem
    assert SECRET not in shown
    assert _escaped(SECRET) not in shown
    assert "\x1b" not in shown
    assert "\x07" not in shown


@pytest.mark.parametrize("location", ["http://[::1/simple/", "//[bad/", "http://[x]:1/"])
def test_a_redirect_to_an_unparsable_location_is_an_error_not_a_traceback(
    hostile: Hostile, location: str
) -> None:
    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    hostile.routes["/simple/demo-pkg/"] = redirect
    hostile.routes["/upload/"] = redirect
    repository = Repository(
        name="test", upload_url=f"{hostile.url}/upload/", index_url=f"{hostile.url}/simple/"
    )

    with pytest.raises(PackageIndexError) as raised:
        IndexClient(f"{hostile.url}/simple/", retries=0).project_files("demo-pkg")
    proof = prove_credentials(repository, Credentials("ci", None, ""), Network(env={}))

    assert "302" in raised.value.message
    assert "redirects uploads" in proof.problem


def test_a_proxy_s_refusal_is_printed_without_its_escape_sequences(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(407, "Proxy Authentication Required \x1b]0;pwned\x07\x1b[2J\x9b31m")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    hostile.routes["127.0.0.1:9"] = refuse
    monkeypatch.setenv("https_proxy", hostile.url)
    for variable in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(variable)

    with pytest.raises(OidcError) as raised:
        pypi_audience("https://127.0.0.1:9", failed="Trusted publishing failed", timeout=5)

    text = str(raised.value)
    assert "407 Proxy Authentication Required" in text
    assert not any(c in text for c in "\x1b\x07\x9b"), text


def test_an_oidc_redirect_is_named_without_escape_sequences(hostile: Hostile) -> None:
    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "http://ev\x1bc\x07il.example:1/")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    hostile.routes["/_/oidc/audience"] = redirect

    with pytest.raises(OidcError) as raised:
        pypi_audience(hostile.url, failed="Trusted publishing failed", timeout=5)

    text = str(raised.value)
    assert "a redirect to http://ev" in text
    assert not any(c in text for c in "\x1b\x07"), text


# --- TLS with a CA of the test's own ---------------------------------------------------


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, a server certificate for 127.0.0.1 signed by it, and the server's key."""
    import ipaddress

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "releasekit test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "server.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


@pytest.fixture
def tls_index(tmp_path: Path) -> Iterator[tuple[Hostile, Path]]:
    ca_file, cert_file, key_file = _certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = Hostile(context)
    page = b'<a href="demo_pkg-1.0.tar.gz#sha256=' + b"ab" * 32 + b'">x</a>'
    server.routes["/simple/demo-pkg/"] = answer(200, "text/html", page)
    yield server, ca_file
    server.close()


@pytest.mark.parametrize("setting", ["cert", "TWINE_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_each_ca_setting_alone_lets_reads_trust_a_private_index(
    tls_index: tuple[Hostile, Path], setting: str
) -> None:
    server, ca_file = tls_index
    env = {} if setting == "cert" else {setting: str(ca_file)}
    trust = Trust.resolve(cert=str(ca_file) if setting == "cert" else "", env=env)

    client = IndexClient(f"{server.url}/simple/", network=Network(trust, env=env))

    assert [f.filename for f in client.project_files("demo-pkg")] == ["demo_pkg-1.0.tar.gz"]
    assert trust.source == ("the repository's cert key" if setting == "cert" else setting)


def test_without_the_ca_a_private_index_is_refused_as_untrusted(
    tls_index: tuple[Hostile, Path],
) -> None:
    server, _ = tls_index

    with pytest.raises(IndexUnreachableError) as raised:
        IndexClient(f"{server.url}/simple/", network=Network(env={})).project_files("demo-pkg")

    assert "the TLS certificate was not accepted" in raised.value.message
    assert "TWINE_CERT" in raised.value.hint


def test_the_repository_cert_key_wins_over_the_variables(tmp_path: Path) -> None:
    env = {"TWINE_CERT": "/twine.pem", "SSL_CERT_FILE": "/ssl.pem"}

    assert Trust.resolve(cert="/mine.pem", env=env).ca_bundle == "/mine.pem"
    assert Trust.resolve(env=env).ca_bundle == "/twine.pem"
    assert Trust.resolve(env={"SSL_CERT_FILE": "/ssl.pem"}).source == "SSL_CERT_FILE"


# --- proxies -----------------------------------------------------------------------------


def test_a_proxy_that_wants_credentials_gets_them_from_the_proxy_url(hostile: Hostile) -> None:
    page = b'<a href="demo_pkg-1.0.tar.gz#sha256=' + b"ab" * 32 + b'">x</a>'
    seen: list[str | None] = []
    upstream = "http://index.invalid/simple/demo-pkg/"

    def as_proxy(handler: BaseHTTPRequestHandler) -> None:
        seen.append(handler.headers.get("Proxy-Authorization"))
        answer(200, "text/html", page)(handler)

    # A plain-HTTP proxy gets the absolute URL in the request line.
    hostile.routes[upstream] = as_proxy
    proxy = hostile.url.replace("http://", "http://user:p%40ss@")
    env = {"http_proxy": proxy}
    client = IndexClient("http://index.invalid/simple/", network=Network(env=env))

    files = client.project_files("demo-pkg")

    assert [f.filename for f in files] == ["demo_pkg-1.0.tar.gz"]
    assert seen == ["Basic " + base64.b64encode(b"user:p@ss").decode()]


def test_no_proxy_is_honoured() -> None:
    env = {"https_proxy": "http://proxy:3128", "no_proxy": "internal.example,.corp:8443"}

    assert proxy_for("https://pypi.org/simple/", env) == "http://proxy:3128"
    assert proxy_for("https://internal.example/simple/", env) is None
    assert proxy_for("https://index.corp:8443/simple/", env) is None
    assert proxy_for("https://index.corp/simple/", env) == "http://proxy:3128"


@pytest.mark.parametrize("entry", ["::1", "[::1]", "[::1]:8443"])
def test_no_proxy_names_an_ipv6_host(entry: str) -> None:
    # NO_PROXY=localhost,127.0.0.1,::1 is the usual way to keep loopback off a proxy.
    env = {"https_proxy": "http://proxy:3128", "no_proxy": f"localhost,{entry}"}

    assert proxy_for("https://[::1]:8443/simple/", env) is None
    assert proxy_for("https://[::2]:8443/simple/", env) == "http://proxy:3128"


@pytest.mark.parametrize(
    "proxy", ["socks5h://127.0.0.1:1080", "http://[bad:3128", "http://127.0.0.1:port"]
)
def test_a_proxy_setting_releasekit_cannot_use_is_a_configuration_error(proxy: str) -> None:
    network = Network(env={"all_proxy": proxy})

    with pytest.raises(ConfigError) as raised:
        IndexClient("https://127.0.0.1:9/simple/", retries=0, network=network).project_files("x")

    assert "proxy" in raised.value.message
    assert raised.value.exit_code == ExitCode.CONFIG


def test_a_request_in_flight_ends_at_once_on_abort(hostile: Hostile) -> None:
    from releasekit import net

    hostile.routes["/slow"] = trickle(b"HTTP/1.1 200 OK\r\nX-Slow: ", 0.5)
    network = Network(env={})
    failure: list[NetworkFailure] = []

    def read() -> None:
        try:
            network.request("GET", f"{hostile.url}/slow", deadline=60, limit=100)
        except NetworkFailure as exc:
            failure.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    net._WATCHDOG.abort_all()
    thread.join(5)
    net._WATCHDOG.aborted = False  # the process goes on: other tests send requests

    assert time.monotonic() - started < 2
    assert [f.kind for f in failure] == ["interrupted"]


def test_a_response_names_its_origin_without_credentials() -> None:
    from releasekit.net import origin
    from releasekit.repositories import redact_url

    assert redact_url("https://u:p@h:1/x") == "https://h:1/x"
    assert origin("https://H/x") == origin("https://h:443/y")
    assert origin("http://h/x") != origin("https://h/x")


def test_json_of_any_depth_is_a_value_error_not_a_recursion_error() -> None:
    from releasekit.net import Response

    deep = Response("u", 200, "OK", {}, b"[" * 200_000 + b"]" * 200_000)

    with pytest.raises(ValueError, match=r"nested too deeply|not JSON"):
        deep.json("the page")


def test_check_json_against_a_portal_prints_a_json_error(
    hostile: Hostile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from releasekit.cli import main

    portal = b"<html><title>Sign in</title><form><input type=password></form></html>"
    hostile.routes["/simple/portal-demo/"] = answer(200, "text/html", portal)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "portal-demo"\nversion = "1.0"\n'
        f'[tool.releasekit.repositories.test]\nupload-url = "{hostile.url}/"\n'
        f'index-url = "{hostile.url}/simple/"\n',
        encoding="utf-8",
    )

    code = main(["plan", "--project", str(tmp_path), "--json"])

    out = capsys.readouterr().out
    assert code == 13
    document = json.loads(out)
    assert document["exit_code"] == 13
    assert "This is not a package index" in document["error"]


def test_verify_against_a_trickling_index_ends_at_its_timeout(
    hostile: Hostile,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Each read is cut at its own deadline (10 s); the polls together must still end
    # within verify's --timeout, give or take 2 s.
    hostile.routes[f"/simple/{NAME}/"] = trickle(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n", 0.5
    )
    table = {"upload-url": f"{hostile.url}/", "index-url": f"{hostile.url}/simple/"}
    release = new_release(tmp_path_factory, tmp_path, {"test": table})
    started = time.monotonic()

    verified = release.run(capsys, "verify", "--repository", "test", "--timeout", "12")

    elapsed = time.monotonic() - started
    assert verified.code != 0, verified.text
    assert "Traceback" not in verified.err
    assert elapsed < 12 + 2, verified.err


class TlsRelay:
    """TLS on 127.0.0.1 in front of a plain-HTTP index, with a certificate of the test's
    own CA: ``proxied`` maps the index's URLs to the relay's."""

    def __init__(self, upstream_url: str, context: ssl.SSLContext) -> None:
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.upstream_url = f"http://{parts.netloc}"
        self.listener = context.wrap_socket(
            socket.create_server(("127.0.0.1", 0)), server_side=True
        )
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def proxied(self, url: str) -> str:
        return url.replace(self.upstream_url, self.url)

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection(self.upstream) as server:
            pipes = [
                threading.Thread(target=_pipe, args=(a, b), daemon=True)
                for a, b in ((client, server), (server, client))
            ]
            for pipe in pipes:
                pipe.start()
            for pipe in pipes:
                pipe.join(60)

    def close(self) -> None:
        self.listener.close()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(1 << 16):
            target.sendall(chunk)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def test_uploads_trust_the_same_ca_setting_as_reads(
    new_index: NewIndex,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    index = new_index("pypiserver", "test")
    ca_file, cert_file, key_file = _certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    relay = TlsRelay(index.url, context)
    request.addfinalizer(relay.close)
    table = {**index.repository(through=relay), "cert": str(ca_file)}  # type: ignore[arg-type]
    release = new_release(tmp_path_factory, tmp_path, {"test": table})

    uploaded = release.run(capsys, "upload-test")

    assert uploaded.code == 0, uploaded.text
    assert set(index.files(NAME)) == {WHEEL, SDIST}

    untrusted = {**table, "cert": ""}
    write_config(release.config_file, {"test": untrusted})
    refused = release.run(capsys, "check")

    assert refused.code != 0
    assert "the TLS certificate was not accepted" in refused.err
