"""Trusted publishing against a fake OIDC provider and mint-token endpoint on 127.0.0.1.

The fake answers like GitHub's ID-token endpoint and PyPI's ``/_/oidc/audience`` and
``/_/oidc/mint-token`` (warehouse's answers and error codes); each test switches it into
one of the failures users meet and asserts the message, the exit code and that no token
is ever shown.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from index_servers import NewIndex, StartProxy, sha256_of
from release_project import NAME, SDIST, WHEEL, built_template
from releasekit.config import Repository
from releasekit.credentials import resolve_credentials
from releasekit.errors import CredentialsError, ExitCode
from releasekit.trust.mint import TrustedPublishingToken
from releasekit.upload import DistFile, UploadSettings, upload_files

REQUEST_TOKEN = "gh-request-token-7f1e"
CLAIMS = {
    "repository": "acme/demo",
    "job_workflow_ref": "acme/demo/.github/workflows/release.yml@refs/heads/main",
    "environment": "pypi",
}


def jwt(claims: dict[str, str]) -> str:
    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


IDENTITY = jwt(CLAIMS)


@dataclass
class FakePyPI:
    """What the fake answers; ``minted`` counts the tokens it gave out."""

    url: str = ""
    audience_status: int = 200
    id_token_status: int = 200
    mint_status: int = 200
    mint_errors: list[dict[str, str]] = field(default_factory=list)
    lifetime: float = 900.0
    now: float = 1_000_000.0
    minted: int = 0
    seen_identity: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self.url}/github-token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
        }


@pytest.fixture
def fake_pypi() -> Iterator[FakePyPI]:
    fake = FakePyPI()

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status: int, document: object) -> None:
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            if self.path == "/_/oidc/audience":
                self.answer(fake.audience_status, {"audience": "pypi"})
            elif self.path.startswith("/github-token?") and "audience=pypi" in self.path:
                if self.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}":
                    self.answer(401, {"message": "bad request token"})
                else:
                    self.answer(fake.id_token_status, {"value": IDENTITY})
            else:
                self.answer(404, {})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.seen_identity.append(body["token"])
            if fake.mint_status != 200:
                self.answer(
                    fake.mint_status,
                    {"message": "Token request failed", "errors": fake.mint_errors},
                )
                return
            fake.minted += 1
            self.answer(
                200,
                {
                    "success": True,
                    "token": f"pypi-minted-{fake.minted}",
                    "expires": fake.now + fake.lifetime,
                },
            )

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


def minter(
    fake: FakePyPI, logs: list[str], env: dict[str, str] | None = None
) -> TrustedPublishingToken:
    return TrustedPublishingToken(
        "https://upload.pypi.org/legacy/",
        fake.env() if env is None else env,
        base_url=fake.url,
        log=logs.append,
        clock=lambda: fake.now,
    )


def shown(error: CredentialsError) -> str:
    return " ".join([str(error), repr(error), error.message, error.hint])


def test_the_token_is_minted_once_and_again_before_it_would_expire(fake_pypi: FakePyPI) -> None:
    logs: list[str] = []
    tokens = minter(fake_pypi, logs)

    first = tokens.current()
    fake_pypi.now += 600  # 300 s left: more than the 180 s margin
    same = tokens.current()
    fake_pypi.now += 150  # 150 s left: a long upload would outlive it
    renewed = tokens.current()

    assert (first.reveal(), same.reveal(), renewed.reveal()) == (
        "pypi-minted-1",
        "pypi-minted-1",
        "pypi-minted-2",
    )
    assert fake_pypi.seen_identity == [IDENTITY, IDENTITY]
    assert logs == [
        "trusted publishing: upload token minted, valid 900 s",
        "trusted publishing: upload token minted again (the last one was about to expire), "
        "valid 900 s",
    ]
    assert "pypi-minted" not in str(first) + repr(first)


def test_invalid_publisher_shows_pypis_reason_and_the_claims_it_matched_on(
    fake_pypi: FakePyPI,
) -> None:
    fake_pypi.mint_status = 422
    fake_pypi.mint_errors = [
        {
            "code": "invalid-publisher",
            "description": "valid token, but no corresponding publisher (Publisher with "
            "matching claims was not found)",
        }
    ]

    with pytest.raises(CredentialsError) as raised:
        minter(fake_pypi, []).current()

    error = raised.value
    assert error.exit_code == ExitCode.CREDENTIALS
    assert error.message == (
        f"Trusted publishing failed: {fake_pypi.url}/_/oidc/mint-token answered HTTP 422: "
        "invalid-publisher: valid token, but no corresponding publisher (Publisher with "
        "matching claims was not found)."
    )
    assert "repository 'acme/demo'" in error.hint
    assert f"workflow '{CLAIMS['job_workflow_ref']}'" in error.hint
    assert "environment 'pypi'" in error.hint
    assert "Publishing settings page" in error.hint
    assert IDENTITY not in shown(error)
    assert REQUEST_TOKEN not in shown(error)


def test_a_failing_audience_request_is_named(fake_pypi: FakePyPI) -> None:
    fake_pypi.audience_status = 503

    with pytest.raises(CredentialsError) as raised:
        minter(fake_pypi, []).current()

    assert raised.value.message == (
        f"Trusted publishing failed: {fake_pypi.url}/_/oidc/audience answered HTTP 503 "
        "instead of the OIDC audience."
    )


def test_a_refused_id_token_request_names_the_missing_permission(fake_pypi: FakePyPI) -> None:
    fake_pypi.id_token_status = 403

    with pytest.raises(CredentialsError) as raised:
        minter(fake_pypi, []).current()

    assert "GitHub Actions refused the OIDC token request (HTTP 403)" in raised.value.message
    assert "permissions: id-token: write" in raised.value.hint
    assert REQUEST_TOKEN not in shown(raised.value)


def test_half_of_the_github_variables_is_the_missing_permission(fake_pypi: FakePyPI) -> None:
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": fake_pypi.env()["ACTIONS_ID_TOKEN_REQUEST_URL"]}

    with pytest.raises(CredentialsError) as raised:
        minter(fake_pypi, [], env).current()

    assert raised.value.message == (
        "Trusted publishing failed: ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set in this job."
    )
    assert "id-token: write" in raised.value.hint
    assert fake_pypi.minted == 0


def test_a_github_job_without_id_token_permission_is_told_so() -> None:
    repository = Repository(
        name="prod",
        upload_url="https://upload.pypi.org/legacy/",
        index_url="https://pypi.org/simple/",
        token_env="PYPI_TOKEN",
    )

    with pytest.raises(CredentialsError) as raised:
        resolve_credentials(
            repository,
            env={"GITHUB_ACTIONS": "true", "HOME": "/nonexistent"},
            keyring_lookup=lambda *_: None,
        )

    assert "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set" in (
        raised.value.message
    )
    assert "permissions: id-token: write" in raised.value.hint


def test_gitlabs_id_token_variable_is_exchanged_directly(fake_pypi: FakePyPI) -> None:
    token = minter(fake_pypi, [], {"PYPI_ID_TOKEN": IDENTITY}).current()

    assert token.reveal() == "pypi-minted-1"
    assert fake_pypi.seen_identity == [IDENTITY]


def test_a_long_upload_sends_a_freshly_minted_token_once_the_first_would_expire(
    fake_pypi: FakePyPI,
    new_index: NewIndex,
    fault_proxy: StartProxy,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The token is asked for before every request: the files sent after the clock passed
    the first token's margin carry the second one."""
    test = new_index("pypiserver", "test")
    proxy = fault_proxy(test.url)
    dist = built_template(tmp_path_factory) / "dist"
    files = [DistFile(dist / name, sha256_of(dist / name)) for name in (WHEEL, SDIST)]
    tokens = minter(fake_pypi, [])

    def auth() -> tuple[str, str]:
        pair = ("__token__", tokens.current().reveal())
        fake_pypi.now += 800  # each file takes 800 s of the token's 900
        return pair

    outcomes = upload_files(
        files,
        UploadSettings(url=proxy.proxied(test.upload_url), repository="test", auth=auth),
        lookup=dict,
        log=lambda _: None,
    )

    assert [o.state for o in outcomes] == ["uploaded", "uploaded"]
    sent = [
        base64.b64decode(r.headers["Authorization"].split()[1]).decode()
        for r in proxy.requests
        if r.method == "POST"
    ]
    assert sent == ["__token__:pypi-minted-1", "__token__:pypi-minted-2"]
    assert test.files(NAME) == {f.filename: f.sha256 for f in files}
