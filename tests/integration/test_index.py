"""IndexClient against real indexes: pypiserver (PEP 503 HTML), devpi (PEP 691 JSON).

Faults come from a proxy in front of the real index, not from patching the client.
The PyPI JSON API is exercised against a local server with a canned answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import threading
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fault_proxy import corrupt_sha256
from index_servers import (
    DevpiIndex,
    PypiServer,
    StartProxy,
    free_port,
    make_sdist,
    make_wheel,
    sha256_of,
    upload,
)
from releasekit.errors import ExitCode, PackageIndexError, VersionError
from releasekit.index import IndexClient, IndexFile
from releasekit.repositories import redact_url
from static_index import StaticIndex

SECRET = "s3cret-Token-value"


def listed(files: list[IndexFile]) -> set[tuple[str, str | None]]:
    return {(f.filename, f.sha256) for f in files}


def on_disk(*paths: Path) -> set[tuple[str, str | None]]:
    return {(p.name, sha256_of(p)) for p in paths}


def downloaded_sha256(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return hashlib.sha256(response.read()).hexdigest()


@pytest.fixture
def demo_files(tmp_path: Path) -> list[Path]:
    """A wheel and an sdist of demo-pkg 1.0."""
    return [make_wheel(tmp_path, "demo-pkg", "1.0"), make_sdist(tmp_path, "demo-pkg", "1.0")]


@pytest.fixture
def seeded_pypiserver(pypiserver: PypiServer, demo_files: list[Path]) -> PypiServer:
    """pypiserver serving demo-pkg 1.0. It serves its directory, so the files are copied
    there: the fault tests need an index with files, not another twine run."""
    for path in demo_files:
        shutil.copy(path, pypiserver.packages_dir)
    return pypiserver


# --- the protocols, on real indexes --------------------------------------------------


def test_release_files_lists_every_file_with_its_sha256_from_pep503_html(
    pypiserver: PypiServer, demo_files: list[Path], fault_proxy: StartProxy
) -> None:
    upload(pypiserver, *demo_files)
    proxy = fault_proxy(pypiserver.url)  # only to see what the index answered

    found = IndexClient(proxy.proxied(pypiserver.simple_url)).release_files("demo-pkg", "1.0")

    assert listed(found) == on_disk(*demo_files)
    assert [r.content_type.split(";")[0] for r in proxy.requests] == ["text/html"]
    assert all(downloaded_sha256(f.url) == f.sha256 for f in found)


def test_release_files_lists_every_file_with_its_sha256_from_pep691_json(
    devpi: DevpiIndex, demo_files: list[Path], fault_proxy: StartProxy
) -> None:
    upload(devpi, *demo_files)
    proxy = fault_proxy(devpi.url)

    found = IndexClient(proxy.proxied(devpi.simple_url)).release_files("Demo_Pkg", "1.0.0")

    assert listed(found) == on_disk(*demo_files)
    assert [r.content_type for r in proxy.requests] == ["application/vnd.pypi.simple.v1+json"]
    assert all(downloaded_sha256(f.url) == f.sha256 for f in found)


def test_release_files_matches_versions_by_value_not_by_spelling(
    pypiserver: PypiServer, tmp_path: Path
) -> None:
    one = make_wheel(tmp_path, "demo-pkg", "1.0")
    one_sdist = make_sdist(tmp_path, "demo-pkg", "1.0", filename="demo_pkg-1.0.0.tar.gz")
    later = make_wheel(tmp_path, "demo-pkg", "1.0.post1")
    upload(pypiserver, one, one_sdist, later)
    client = IndexClient(pypiserver.simple_url)

    assert listed(client.release_files("demo-pkg", "1.0.0")) == on_disk(one, one_sdist)
    assert listed(client.release_files("demo-pkg", "1.0")) == on_disk(one, one_sdist)
    assert listed(client.release_files("demo-pkg", "1.0-post1")) == on_disk(later)
    assert listed(client.project_files("demo-pkg")) == on_disk(one, one_sdist, later)


def test_release_files_normalises_project_names(pypiserver: PypiServer, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "My_Pkg", "2.0", filename="My_Pkg-2.0-py3-none-any.whl")
    upload(pypiserver, wheel)
    client = IndexClient(pypiserver.simple_url)

    for spelling in ("My_Pkg", "my-pkg", "MY.PKG", "my__pkg"):
        assert listed(client.release_files(spelling, "2.0")) == on_disk(wheel), spelling


def test_missing_project_or_version_gives_no_files(seeded_pypiserver: PypiServer) -> None:
    client = IndexClient(seeded_pypiserver.simple_url)

    assert client.release_files("no-such-project", "1.0") == []
    assert client.project_files("no-such-project") == []
    assert client.release_files("demo-pkg", "9.9") == []


def test_invalid_version_is_a_version_error(seeded_pypiserver: PypiServer) -> None:
    with pytest.raises(VersionError, match="not a valid version"):
        IndexClient(seeded_pypiserver.simple_url).release_files("demo-pkg", "one.two")


# --- faults, through the proxy -------------------------------------------------------


def test_5xx_answers_are_retried_with_exponential_backoff(
    seeded_pypiserver: PypiServer, demo_files: list[Path], fault_proxy: StartProxy
) -> None:
    proxy = fault_proxy(seeded_pypiserver.url)
    proxy.fail_next(2, status=503)
    sleeps: list[float] = []
    said: list[str] = []
    url = proxy.proxied(seeded_pypiserver.simple_url).replace("://", "://alice:s3cr3t-pw@")
    client = IndexClient(url, sleep=sleeps.append, log=said.append)

    assert listed(client.release_files("demo-pkg", "1.0")) == on_disk(*demo_files)
    assert [r.status for r in proxy.requests] == [503, 503, 200]
    assert sleeps == [0.5, 1.0]
    # Each wait is announced (a slow index is no silent pause), without the credentials.
    page = f"{proxy.url}/simple/demo-pkg/"
    assert said == [
        f"{page}: the index answered HTTP 503 Service Unavailable; trying again in 0.5 s "
        "(attempt 2 of 4)",
        f"{page}: the index answered HTTP 503 Service Unavailable; trying again in 1 s "
        "(attempt 3 of 4)",
    ]


def test_persistent_5xx_raises_an_error_naming_the_url(
    seeded_pypiserver: PypiServer, fault_proxy: StartProxy
) -> None:
    proxy = fault_proxy(seeded_pypiserver.url)
    proxy.fail_next(10, status=502)
    client = IndexClient(proxy.proxied(seeded_pypiserver.simple_url), sleep=lambda _: None)

    with pytest.raises(PackageIndexError) as raised:
        client.release_files("demo-pkg", "1.0")

    error = raised.value
    assert error.exit_code == ExitCode.INDEX
    assert f"{proxy.url}/simple/demo-pkg/" in error.message
    assert "HTTP 502" in error.message
    assert "tried 4 times" in error.message
    assert "run the same command again" in error.hint
    assert len(proxy.requests) == 4


def test_dropped_connection_is_retried(
    seeded_pypiserver: PypiServer, demo_files: list[Path], fault_proxy: StartProxy
) -> None:
    proxy = fault_proxy(seeded_pypiserver.url)
    proxy.drop_next(2)
    client = IndexClient(proxy.proxied(seeded_pypiserver.simple_url), sleep=lambda _: None)

    assert listed(client.release_files("demo-pkg", "1.0")) == on_disk(*demo_files)
    assert [r.status for r in proxy.requests] == [0, 0, 200]


def test_slow_index_times_out_then_says_so(
    seeded_pypiserver: PypiServer, demo_files: list[Path], fault_proxy: StartProxy
) -> None:
    proxy = fault_proxy(seeded_pypiserver.url)
    url = proxy.proxied(seeded_pypiserver.simple_url)
    proxy.delay(2.0)

    with pytest.raises(PackageIndexError, match=r"no answer within 0\.2 s \(tried 2 times\)"):
        IndexClient(url, timeout=0.2, retries=1, sleep=lambda _: None).project_files("demo-pkg")

    proxy.delay(0.1)  # slow, but within the timeout
    assert listed(IndexClient(url, timeout=5).project_files("demo-pkg")) == on_disk(*demo_files)


def test_403_is_not_retried_and_asks_for_credentials(
    seeded_pypiserver: PypiServer, fault_proxy: StartProxy
) -> None:
    proxy = fault_proxy(seeded_pypiserver.url)
    proxy.fail_next(5, status=403)

    with pytest.raises(PackageIndexError, match="it needs credentials to be read") as raised:
        IndexClient(proxy.proxied(seeded_pypiserver.simple_url)).project_files("demo-pkg")

    assert "token" in raised.value.hint
    assert len(proxy.requests) == 1


def test_corrupt_hashes_are_returned_as_the_index_says(
    seeded_pypiserver: PypiServer, demo_files: list[Path], fault_proxy: StartProxy
) -> None:
    proxy = fault_proxy(seeded_pypiserver.url)
    proxy.corrupt_hashes(True)

    found = IndexClient(proxy.proxied(seeded_pypiserver.simple_url)).release_files("demo-pkg", "1")

    assert listed(found) == {(p.name, corrupt_sha256(sha256_of(p))) for p in demo_files}


def test_credentials_in_the_index_url_are_sent_as_basic_auth_only(
    seeded_pypiserver: PypiServer, demo_files: list[Path], fault_proxy: StartProxy
) -> None:
    proxy = fault_proxy(seeded_pypiserver.url)
    url = proxy.proxied(seeded_pypiserver.simple_url).replace("://", f"://ci:{SECRET}@")

    found = IndexClient(url).release_files("demo-pkg", "1.0")

    assert listed(found) == on_disk(*demo_files)
    assert all(SECRET not in f.url for f in found)
    expected = "Basic " + base64.b64encode(f"ci:{SECRET}".encode()).decode()
    assert [r.headers.get("Authorization") for r in proxy.requests] == [expected]


@pytest.mark.parametrize("fault", ["503", "401", "dropped", "refused"])
def test_credentials_never_appear_in_error_messages(
    seeded_pypiserver: PypiServer, fault_proxy: StartProxy, fault: str
) -> None:
    proxy = fault_proxy(seeded_pypiserver.url)
    if fault == "refused":
        base = f"http://127.0.0.1:{free_port()}/simple/"
    else:
        base = proxy.proxied(seeded_pypiserver.simple_url)
        if fault == "dropped":
            proxy.drop_next(10)
        else:
            proxy.fail_next(10, status=int(fault))
    url = base.replace("://", f"://ci:{SECRET}@")

    with pytest.raises(PackageIndexError) as raised:
        IndexClient(url, retries=1, sleep=lambda _: None).release_files("demo-pkg", "1.0")

    error = raised.value
    shown = " ".join([str(error), repr(error), error.message, error.hint, *map(str, error.args)])
    assert SECRET not in shown
    assert "ci:" not in shown
    assert redact_url(url) + "demo-pkg/" in error.message


# --- the PyPI JSON API and odd answers, against a canned local server -----------------

Routes = dict[str, tuple[int, str, bytes]]  # path -> (status, content type, body)


class CannedIndex:
    """A local HTTP server answering fixed routes; 404 for anything else."""

    def __init__(self, routes: Routes) -> None:
        self.routes = routes
        self.redirects: dict[str, str] = {}  # path -> Location
        self.paths: list[str] = []
        self.authorizations: list[str | None] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canned.paths.append(self.path)
                canned.authorizations.append(self.headers.get("Authorization"))
                if self.path in canned.redirects:
                    self.send_response(302)
                    self.send_header("Location", canned.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, content_type, body = canned.routes.get(self.path, (404, "text/html", b""))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def canned_servers() -> Iterator[Callable[[], CannedIndex]]:
    """A factory of canned servers, each on its own port (so: its own origin)."""
    started: list[tuple[CannedIndex, threading.Thread]] = []

    def start() -> CannedIndex:
        canned = CannedIndex({})
        thread = threading.Thread(
            target=canned.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        started.append((canned, thread))
        return canned

    try:
        yield start
    finally:
        for canned, thread in started:
            canned.server.shutdown()
            canned.server.server_close()
            thread.join()


@pytest.fixture
def canned_index(canned_servers: Callable[[], CannedIndex]) -> CannedIndex:
    return canned_servers()


WHEEL_SHA = "a" * 64
SDIST_SHA = "b" * 64
PYPI_RELEASE = {
    "info": {"name": "Demo-Pkg", "version": "1.0"},
    "urls": [
        {
            "filename": "demo_pkg-1.0-py3-none-any.whl",
            "url": "https://files.example.org/packages/ab/demo_pkg-1.0-py3-none-any.whl",
            "digests": {"md5": "0" * 32, "sha256": WHEEL_SHA},
        },
        {
            "filename": "demo_pkg-1.0.tar.gz",
            "url": "https://files.example.org/packages/cd/demo_pkg-1.0.tar.gz",
            "digests": {"sha256": SDIST_SHA.upper()},
        },
    ],
}


def test_pypi_json_api_lists_the_release_files_with_their_digests(
    canned_index: CannedIndex,
) -> None:
    body = json.dumps(PYPI_RELEASE).encode()
    canned_index.routes["/pypi/demo-pkg/1.0/json"] = (200, "application/json", body)
    client = IndexClient(f"{canned_index.url}/simple/", pypi_json_api=True)

    found = client.release_files("Demo.Pkg", "1.0")

    assert found == [
        IndexFile(
            "demo_pkg-1.0-py3-none-any.whl",
            WHEEL_SHA,
            "https://files.example.org/packages/ab/demo_pkg-1.0-py3-none-any.whl",
        ),
        IndexFile(
            "demo_pkg-1.0.tar.gz",
            SDIST_SHA,
            "https://files.example.org/packages/cd/demo_pkg-1.0.tar.gz",
        ),
    ]
    assert canned_index.paths == ["/pypi/demo-pkg/1.0/json"]


def test_pypi_json_api_miss_falls_back_to_the_simple_page(canned_index: CannedIndex) -> None:
    page = (
        b'<html><body><a href="../../files/demo_pkg-1.0.tar.gz#sha256=' + SDIST_SHA.encode()
        + b'">demo_pkg-1.0.tar.gz</a><a href="/files/demo_pkg-1.0-py3-none-any.whl">'
        b"demo_pkg-1.0-py3-none-any.whl</a><a href='/files/demo_pkg-2.0.tar.gz'>x</a>"
        b"</body></html>"
    )  # fmt: skip
    canned_index.routes["/simple/demo-pkg/"] = (200, "text/html; charset=utf-8", page)
    client = IndexClient(f"{canned_index.url}/simple/", pypi_json_api=True)

    found = client.release_files("demo-pkg", "1.0")

    assert found == [
        IndexFile(
            "demo_pkg-1.0.tar.gz", SDIST_SHA, f"{canned_index.url}/files/demo_pkg-1.0.tar.gz"
        ),
        IndexFile(
            "demo_pkg-1.0-py3-none-any.whl",
            None,
            f"{canned_index.url}/files/demo_pkg-1.0-py3-none-any.whl",
        ),
    ]
    assert canned_index.paths == ["/pypi/demo-pkg/1.0/json", "/simple/demo-pkg/"]


def test_pypi_json_api_is_used_by_default_on_pypi_and_testpypi_only() -> None:
    assert IndexClient("https://pypi.org/simple/").pypi_json_api
    assert IndexClient("https://test.pypi.org/simple/").pypi_json_api
    assert not IndexClient("https://example.org/pypi/simple/").pypi_json_api
    assert not IndexClient("https://pypi.org/simple/", pypi_json_api=False).pypi_json_api


def test_an_answer_that_is_no_simple_page_is_an_error(canned_index: CannedIndex) -> None:
    canned_index.routes["/simple/demo-pkg/"] = (200, "text/plain", b"hello")

    with pytest.raises(PackageIndexError, match=r"not a package index: .* answered 200 text/plain"):
        IndexClient(f"{canned_index.url}/simple/").project_files("demo-pkg")


def test_redirects_on_the_same_origin_are_followed_with_credentials(
    canned_index: CannedIndex,
) -> None:
    page = b'<a href="demo_pkg-1.0.tar.gz#sha256=' + SDIST_SHA.encode() + b'">x</a>'
    canned_index.redirects["/simple/demo-pkg/"] = "/moved/demo-pkg/"
    canned_index.routes["/moved/demo-pkg/"] = (200, "text/html", page)
    client = IndexClient(f"{canned_index.url}/simple/", auth=("ci", SECRET))

    found = client.project_files("demo-pkg")

    # Relative links resolve against the page where the redirects ended.
    assert [f.url for f in found] == [f"{canned_index.url}/moved/demo-pkg/demo_pkg-1.0.tar.gz"]
    expected = "Basic " + base64.b64encode(f"ci:{SECRET}".encode()).decode()
    assert canned_index.authorizations == [expected, expected]


def test_a_read_redirected_to_another_host_is_reported_and_never_taken_as_this_index(
    canned_servers: Callable[[], CannedIndex],
) -> None:
    # pypiserver's default fallback sends names it does not know to PyPI: what PyPI has
    # must not decide what this index has.
    index, elsewhere = canned_servers(), canned_servers()
    page = b'<a href="demo_pkg-1.0.tar.gz#sha256=' + SDIST_SHA.encode() + b'">x</a>'
    index.redirects["/simple/demo-pkg/"] = f"{elsewhere.url}/simple/demo-pkg/"
    elsewhere.routes["/simple/demo-pkg/"] = (200, "text/html", page)
    client = IndexClient(f"{index.url}/simple/", auth=("ci", SECRET), label="test")

    with pytest.raises(PackageIndexError) as raised:
        client.project_files("demo-pkg")

    assert "test sent the request for" in raised.value.message
    assert "that index is not test" in raised.value.message
    assert elsewhere.authorizations == []  # nothing was asked of the other host


def test_redact_url_removes_user_and_password() -> None:
    assert redact_url("https://u:p%40ss@host:8080/simple/?x=1") == "https://host:8080/simple/?x=1"
    assert redact_url("https://__token__@host/simple/") == "https://host/simple/"
    assert redact_url("https://host/simple/") == "https://host/simple/"


def test_project_page_of_a_pep_691_index_has_sizes_upload_times_and_status(
    static_index: StaticIndex,
) -> None:
    static_index.pages["demo-pkg"] = {
        "meta": {"api-version": "1.4"},
        "name": "demo-pkg",
        "project-status": {"status": "archived"},
        "files": [
            {
                "filename": "demo_pkg-1.0.tar.gz",
                "url": "../../files/demo_pkg-1.0.tar.gz",
                "hashes": {"sha256": "AB" * 32},
                "size": 1234,
                "upload-time": "2026-08-01T10:00:00.000000Z",
                "yanked": "broken",
            }
        ],
    }
    page = IndexClient(static_index.simple_url).project_page("Demo_Pkg")

    assert page is not None
    assert (page.status, page.api_version) == ("archived", "1.4")
    [found] = page.files
    assert (found.sha256, found.size) == ("ab" * 32, 1234)
    assert (found.upload_time, found.yanked) == ("2026-08-01T10:00:00.000000Z", "broken")
    assert found.url.endswith("/files/demo_pkg-1.0.tar.gz")


def test_project_page_of_an_html_index_says_no_status(seeded_pypiserver: PypiServer) -> None:
    client = IndexClient(seeded_pypiserver.simple_url)
    page = client.project_page("demo-pkg")

    assert page is not None
    assert (page.status, page.api_version) == (None, "")
    assert page.files == client.project_files("demo-pkg")
    assert all(f.size is None and f.upload_time is None for f in page.files)
    assert client.project_page("no-such-project") is None
