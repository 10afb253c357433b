"""Trusted publishing's HTTP against hostile servers on 127.0.0.1: a token service that
redirects the CI's bearer to another origin, an audience that would break the query, and
answers too large, too deep or too slow to be OIDC answers. Each is a clear
CredentialsError (exit 12), never a traceback, a hang or a credential sent astray.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from git_projects import make_project
from release_project import Releasekit
from releasekit.errors import CredentialsError, ExitCode
from releasekit.trust.mint import TrustedPublishingToken

BEARER = "gh-request-token-hostile"


def jwt(claims: dict[str, str]) -> str:
    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


IDENTITY = jwt({"repository": "acme/demo"})


@dataclass
class Seen:
    path: str
    authorization: str


Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Server:
    """Answers each path with its route; records every request it gets."""

    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)


def answer(status: int, body: bytes, **headers: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(body)

    return route


def json_answer(document: object, status: int = 200) -> Route:
    return answer(status, json.dumps(document).encode(), Content_Type="application/json")


@pytest.fixture
def start_server() -> Iterator[Callable[[], Server]]:
    started: list[ThreadingHTTPServer] = []

    def start() -> Server:
        state = Server()

        class Handler(BaseHTTPRequestHandler):
            def handle_request(self) -> None:
                state.seen.append(Seen(self.path, self.headers.get("Authorization", "")))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                route = state.routes.get(urlsplit(self.path).path)
                if route is None:
                    json_answer({}, 404)(self)
                else:
                    route(self)

            do_GET = do_POST = handle_request

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        state.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        started.append(server)
        return state

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def pypi_and_github(start_server: Callable[[], Server]) -> tuple[Server, dict[str, str]]:
    """A PyPI that mints for anyone and a GitHub token service that hands out IDENTITY."""
    server = start_server()
    server.routes = {
        "/_/oidc/audience": json_answer({"audience": "pypi"}),
        "/_/oidc/mint-token": json_answer({"token": "pypi-minted", "expires": 2e9}),
        "/github-token": json_answer({"value": IDENTITY}),
    }
    env = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{server.url}/github-token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": BEARER,
    }
    return server, env


def mint(server: Server, env: dict[str, str], timeout: float = 10.0) -> str:
    tokens = TrustedPublishingToken(
        "https://upload.pypi.org/legacy/", env, base_url=server.url, timeout=timeout
    )
    return tokens.current().reveal()


def test_the_ci_bearer_never_follows_a_redirect_to_another_origin(
    start_server: Callable[[], Server],
) -> None:
    server, env = pypi_and_github(start_server)
    elsewhere = start_server()
    elsewhere.routes = {"/steal": json_answer({"value": IDENTITY})}
    server.routes["/github-token"] = answer(302, b"", Location=f"{elsewhere.url}/steal")

    with pytest.raises(CredentialsError) as raised:
        mint(server, env)

    assert elsewhere.seen == []
    assert raised.value.exit_code == ExitCode.CREDENTIALS
    assert raised.value.message == (
        f"Trusted publishing failed: {server.url}/github-token answered HTTP 302, a redirect "
        f"to {elsewhere.url}, which releasekit does not follow with the job's credentials."
    )
    assert BEARER not in raised.value.describe()


def test_an_audience_with_query_characters_reaches_the_token_service_whole(
    start_server: Callable[[], Server],
) -> None:
    server, env = pypi_and_github(start_server)
    server.routes["/_/oidc/audience"] = json_answer({"audience": "pypi&audience=evil#x y"})

    assert mint(server, env) == "pypi-minted"

    [request] = [s for s in server.seen if s.path.startswith("/github-token")]
    query = parse_qs(urlsplit(request.path).query)
    assert query == {"api-version": ["2.0"], "audience": ["pypi&audience=evil#x y"]}


def test_a_huge_answer_is_refused_after_one_mebibyte(start_server: Callable[[], Server]) -> None:
    server, env = pypi_and_github(start_server)
    huge = json.dumps({"token": "pypi-minted", "padding": "x" * (2 << 20)}).encode()
    server.routes["/_/oidc/mint-token"] = answer(200, huge, Content_Type="application/json")

    with pytest.raises(CredentialsError) as raised:
        mint(server, env)

    assert raised.value.message == (
        f"Trusted publishing failed: {server.url}/_/oidc/mint-token answered more than "
        "1024 KiB, which is no OIDC answer."
    )


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"[" * 200_000, "no token"),  # deeper than Python's JSON reader can go
        (b"<html>captive portal</html>", "no token"),
        (b'["token", "pypi-minted"]', "no token"),
        (b'{"token": 42, "message": "not a string"}', "no token (not a string)"),
    ],
    ids=["deep", "html", "list", "wrong-type"],
)
def test_a_malformed_mint_answer_is_a_clear_error(
    start_server: Callable[[], Server], body: bytes, said: str
) -> None:
    server, env = pypi_and_github(start_server)
    server.routes["/_/oidc/mint-token"] = answer(200, body, Content_Type="application/json")

    with pytest.raises(CredentialsError) as raised:
        mint(server, env)

    assert raised.value.message == (
        f"Trusted publishing failed: {server.url}/_/oidc/mint-token answered HTTP 200: {said}."
    )


def test_a_trickled_answer_is_cut_off_at_the_timeout(start_server: Callable[[], Server]) -> None:
    server, env = pypi_and_github(start_server)

    def trickle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass  # releasekit hung up: what this test wants

    server.routes["/_/oidc/audience"] = trickle
    started = time.monotonic()

    with pytest.raises(CredentialsError) as raised:
        mint(server, env, timeout=0.5)

    assert time.monotonic() - started < 2.5, raised.value.message  # the bound, plus 2 s
    # "no answer" when even the headers were late (a loaded machine), else "no complete".
    assert re.fullmatch(
        rf"Trusted publishing failed: {re.escape(server.url)}/_/oidc/audience gave no "
        r"(complete )?answer within 0\.5 s\.",
        raised.value.message,
    )


def test_a_deadline_that_passed_before_the_connection_was_made_still_cuts_the_answer(
    start_server: Callable[[], Server],
) -> None:
    """On a loaded machine the deadline can pass while the connection is being set up; the
    socket made after it must be cut too, not read to the end of a trickle."""
    server, env = pypi_and_github(start_server)

    def trickle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.02)
        except OSError:
            pass

    server.routes["/_/oidc/audience"] = trickle
    started = time.monotonic()

    with pytest.raises(CredentialsError) as raised:
        mint(server, env, timeout=0.001)

    assert time.monotonic() - started < 2, raised.value.message  # the bound, plus 2 s
    assert raised.value.message.startswith(
        f"Trusted publishing failed: {server.url}/_/oidc/audience gave no"
    )


def test_the_doctor_does_not_follow_a_redirect_with_the_bearer_either(
    start_server: Callable[[], Server],
    releasekit: Releasekit,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """``trusted-publisher --check`` asks for the token through the same exchange."""
    server, env = pypi_and_github(start_server)
    elsewhere = start_server()
    elsewhere.routes = {"/steal": json_answer({"value": IDENTITY})}
    server.routes["/github-token"] = answer(302, b"", Location=f"{elsewhere.url}/steal")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    project = make_project(tmp_path / "p")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as pyproject:
        pyproject.write('\n[tool.releasekit.provenance]\nrepository = "acme/widgets"\n')

    code, out, err = releasekit("trusted-publisher", "--check", "--project", project)

    assert code == ExitCode.CREDENTIALS
    assert elsewhere.seen == []
    assert "answered HTTP 302, a redirect to " + elsewhere.url in err
    assert BEARER not in out + err
