"""Package-index client: which files does a release have, and with which sha256?

One client for every kind of index: PyPI's JSON API (on pypi.org and test.pypi.org),
PEP 691 JSON and PEP 503 HTML simple pages (chosen by content negotiation). Only the
standard library is used, imported when a request is made, so importing this module is
cheap. Credentials never appear in a URL that is requested, returned or reported.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

from packaging.utils import canonicalize_name

from releasekit.credentials import secret_forms
from releasekit.errors import IndexUnreachableError, PackageIndexError, VersionError
from releasekit.repositories import PYPI_HOSTS, redact_url

if TYPE_CHECKING:
    import urllib.request
    from http.client import HTTPMessage

    from packaging.version import Version

SIMPLE_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
_PEP691_JSON = "application/vnd.pypi.simple.v1+json"
_HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "text/html")
# 429 is "slow down", not "you are wrong": worth another try after a pause.
_RETRYABLE_4XX = frozenset({408, 429})


@dataclass(frozen=True)
class IndexFile:
    """One file of a project on an index, as the index describes it."""

    filename: str
    sha256: str | None
    url: str
    # What PEP 691 (PEP 700) adds; None where the index does not say.
    size: int | None = None
    upload_time: str | None = None
    yanked: bool | str = False
    # PEP 740: where the index serves the file's provenance (PEP 691 ``provenance`` key).
    provenance_url: str | None = None


@dataclass(frozen=True)
class ProjectPage:
    """A project's simple page: its files and, from PEP 691 JSON, its PEP 792 status."""

    files: list[IndexFile]
    status: str | None  # "active", "archived", "quarantined", "deprecated"; None if unsaid
    api_version: str  # "" for an HTML page


@dataclass(frozen=True)
class _Page:
    url: str  # after redirects, without credentials
    content_type: str
    body: bytes


class IndexClient:
    """Reads one package index. ``index_url`` is its simple API (``.../simple/``).

    Credentials come from ``auth`` or, failing that, from ``user:password@`` in
    ``index_url``; either way they travel only in an Authorization header. Reads are
    retried ``retries`` times on 5xx answers, dropped connections and timeouts, waiting
    ``backoff``, then twice as long, and so on. ``pypi_json_api`` forces the PyPI JSON
    API on (or off); by default it is used on pypi.org and test.pypi.org only.
    """

    def __init__(
        self,
        index_url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        auth: tuple[str, str] | None = None,
        sleep: Callable[[float], object] = time.sleep,
        pypi_json_api: bool | None = None,
        log: Callable[[str], object] | None = None,
    ) -> None:
        parts = urlsplit(index_url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or not _valid_port(index_url)
        ):
            raise PackageIndexError(
                f"The index URL {redact_url(index_url)!r} is not an http(s):// URL.",
                "Set the repository's index-url to its simple API, "
                "for example https://pypi.org/simple/.",
            )
        if auth is None and parts.username is not None:
            auth = (unquote(parts.username), unquote(parts.password or ""))
        self.index_url = redact_url(index_url).rstrip("/") + "/"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.pypi_json_api = (
            parts.hostname in PYPI_HOSTS if pypi_json_api is None else pypi_json_api
        )
        self._auth = auth
        self._sleep = sleep
        # Told before each retry, so a slow index is not a silent wait.
        self._log = log
        # Every shape an index may echo it in: itself, URL-quoted, base64 (Basic auth).
        self._secrets = secret_forms([auth[1]], auth[0]) if auth else []

    def release_files(self, name: str, version: str) -> list[IndexFile]:
        """Files of release ``version`` of project ``name``; ``[]`` if either is missing.

        Versions compare as PEP 440 versions, so ``1.0`` finds ``pkg-1.0.0.tar.gz``.
        """
        wanted = _parse_version(version)
        project = canonicalize_name(name)
        if self.pypi_json_api:
            parts = urlsplit(self.index_url)
            origin = f"{parts.scheme}://{parts.netloc}"
            page = self._get(f"{origin}/pypi/{project}/{version}/json", "application/json")
            # A miss may be a non-normalised version or the JSON API's cache lagging
            # behind: the simple API decides.
            if page is not None:
                return _parse_pypi_json(page)
        return [f for f in self.project_files(name) if _file_version(f, project) == wanted]

    def provenance(self, name: str, version: str, file: IndexFile) -> Any:
        """The PEP 740 provenance object of ``file`` (parsed JSON), ``None`` if it has none.

        From the ``provenance`` URL of the PEP 691 page when the index gave one, otherwise
        from the Integrity API at the index's origin
        (``/integrity/<project>/<version>/<filename>/provenance``, PyPI's layout).
        """
        from urllib.parse import quote

        url = file.provenance_url
        # The index's credentials go only to the index's own origin.
        if not url or _origin(url) != _origin(self.index_url):
            parts = urlsplit(self.index_url)
            url = (
                f"{parts.scheme}://{parts.netloc}/integrity/{canonicalize_name(name)}/"
                f"{quote(version)}/{quote(file.filename)}/provenance"
            )
        page = self._get(url, "application/vnd.pypi.integrity.v1+json, application/json")
        return None if page is None else _load_json(page)

    def download(self, file: IndexFile) -> bytes:
        """The bytes of ``file`` as the index serves them (verify --reproduce)."""
        page = self._get(file.url, "application/octet-stream")
        if page is None:
            raise PackageIndexError(
                f"The index lists {file.filename} but answers 404 for it.",
                "Try again later; if it persists, the index's listing is stale.",
            )
        return page.body

    def project_files(self, name: str) -> list[IndexFile]:
        """Every file of project ``name`` the index lists; ``[]`` if it has none."""
        found = self.project_page(name)
        return found.files if found is not None else []

    def project_page(self, name: str) -> ProjectPage | None:
        """Project ``name``'s simple page; ``None`` if the index does not know it."""
        page = self._get(f"{self.index_url}{canonicalize_name(name)}/", SIMPLE_ACCEPT)
        if page is None:
            return None
        if page.content_type == _PEP691_JSON:
            return _parse_pep691(page)
        if page.content_type in _HTML_TYPES or not page.content_type:
            return ProjectPage(_parse_pep503(page), None, "")
        raise PackageIndexError(
            f"{page.url} answered with Content-Type {page.content_type!r}, which is neither "
            "a PEP 691 JSON nor a PEP 503 HTML simple page.",
            "Check that the repository's index-url points at the index's simple API "
            "(it usually ends in /simple/).",
        )

    # --- HTTP ----------------------------------------------------------------------

    def _get(self, url: str, accept: str) -> _Page | None:
        """GET ``url``, retrying what may pass; ``None`` on 404."""
        import http.client
        import urllib.error
        import urllib.request

        # Like pip: a cache (PyPI's CDN, a proxy) must ask the index again.
        request = urllib.request.Request(
            url, headers={"Accept": accept, "Cache-Control": "max-age=0"}
        )
        request.add_header("User-Agent", "releasekit (urllib)")
        if self._auth is not None:
            token = base64.b64encode(":".join(self._auth).encode()).decode("ascii")
            request.add_header("Authorization", f"Basic {token}")
        attempts = max(self.retries, 0) + 1
        failure = ""
        for attempt in range(attempts):
            if attempt:
                wait = self.backoff * 2 ** (attempt - 1)
                if self._log is not None:
                    self._log(
                        f"{redact_url(url)}: {self._scrub(failure)}; trying again in {wait:g} s "
                        f"(attempt {attempt + 1} of {attempts})"
                    )
                self._sleep(wait)
            try:
                # A new opener each time: it reads the *_proxy variables when built.
                opener = urllib.request.build_opener(_same_origin_auth_redirects())
                with opener.open(request, timeout=self.timeout) as response:
                    # A missing Content-Type means "guess": HTML is the old default.
                    has_type = bool(response.headers.get("Content-Type"))
                    content_type = response.headers.get_content_type() if has_type else ""
                    return _Page(redact_url(response.geturl()), content_type, response.read())
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code == 404:
                    return None
                if exc.code < 500 and exc.code not in _RETRYABLE_4XX:
                    raise self._refused(url, exc.code, exc.reason) from None
                failure = f"the index answered HTTP {exc.code} {exc.reason}"
            except (OSError, http.client.HTTPException) as exc:
                failure, retryable = self._describe(exc)
                if not retryable:
                    raise self._unreachable(url, failure, attempt + 1, retryable=False) from None
        raise self._unreachable(url, failure, attempts)

    def _describe(self, exc: BaseException) -> tuple[str, bool]:
        """What went wrong with a connection, in words, and whether trying again may help."""
        import http.client
        import socket
        import ssl
        import urllib.error

        reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError):
            return f"no answer within {self.timeout:g} s", True
        if isinstance(reason, ssl.SSLCertVerificationError):
            return f"the TLS certificate was not accepted ({reason.verify_message})", False
        if isinstance(reason, ConnectionResetError):  # includes RemoteDisconnected
            return "the index closed the connection without answering", True
        if isinstance(reason, http.client.IncompleteRead):
            return "the index closed the connection in the middle of its answer", True
        if isinstance(reason, ConnectionRefusedError):
            return "the connection was refused (nothing listens at that host and port)", False
        if isinstance(reason, socket.gaierror):
            return "the host name could not be resolved", False
        if isinstance(reason, ssl.SSLError):
            return f"the TLS handshake failed ({reason.reason})", False
        return f"the connection failed ({reason})", True

    def _scrub(self, text: str) -> str:
        # Belt and braces: no message may carry a secret, whatever a library put in it.
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _unreachable(
        self, url: str, failure: str, attempts: int, *, retryable: bool = True
    ) -> PackageIndexError:
        tries = "" if attempts == 1 else f" (tried {attempts} times)"
        if retryable:
            return PackageIndexError(
                self._scrub(f"Could not read {url}: {failure}{tries}."),
                "Check that the index URL is right and the index is up, then run the same "
                "command again; an index may be down or overloaded for a while.",
            )
        tls = "TLS" in failure
        return IndexUnreachableError(
            self._scrub(f"Could not read {url}: {failure}{tries}."),
            "Trust the index's CA certificate (set SSL_CERT_FILE to a bundle that contains "
            "it), or check the URL."
            if tls
            else "Check the URL's host and port and that the index is running.",
        )

    def _refused(self, url: str, code: int, reason: str) -> PackageIndexError:
        message = f"{url} answered HTTP {code} {reason}"
        if code in (401, 403):
            problem = (
                "it rejected the credentials, or they may not read this index"
                if self._auth
                else "it needs credentials to be read"
            )
            return PackageIndexError(
                self._scrub(f"{message}: {problem}."),
                "Set the repository's username and token (or password) in the environment, "
                "keyring or .pypirc, and check that they may read this index.",
            )
        return PackageIndexError(
            self._scrub(f"{message}."),
            "Check that the repository's index-url points at the index's simple API "
            "(for example https://pypi.org/simple/).",
        )


def _valid_port(url: str) -> bool:
    try:
        urlsplit(url).port  # noqa: B018 - parsing it is the check
    except ValueError:
        return False
    return True


@functools.cache
def _same_origin_auth_redirects() -> type[urllib.request.HTTPRedirectHandler]:
    """A redirect handler that never carries the Authorization header to another host."""
    import urllib.request

    class SameOriginAuthRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(
            self,
            req: urllib.request.Request,
            fp: IO[bytes],
            code: int,
            msg: str,
            headers: HTTPMessage,
            newurl: str,
        ) -> urllib.request.Request | None:
            new = super().redirect_request(req, fp, code, msg, headers, newurl)
            if new is not None and _origin(new.full_url) != _origin(req.full_url):
                new.remove_header("Authorization")
            return new

    return SameOriginAuthRedirects


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


# --- parsing the answers -------------------------------------------------------------


def _parse_version(version: str) -> Version:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        raise VersionError(
            f"{version!r} is not a valid version (PEP 440).", "Give a version like 1.2.3."
        ) from None


def _file_version(file: IndexFile, project: str) -> Version | None:
    """The version in a wheel or sdist filename of ``project``; None for anything else."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion

    try:
        if file.filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(file.filename)
        else:
            name, version = parse_sdist_filename(file.filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return version if canonicalize_name(name) == project else None


def _load_json(page: _Page) -> Any:
    import json

    try:
        return json.loads(page.body)
    except ValueError:
        raise PackageIndexError(
            f"{page.url} answered with JSON that cannot be parsed.",
            "The index is misbehaving; try again later or report it to its operators.",
        ) from None


def _file(filename: str, sha256: object, url: str, provenance_url: object = None) -> IndexFile:
    digest = sha256.lower() if isinstance(sha256, str) and sha256 else None
    provenance = redact_url(provenance_url) if isinstance(provenance_url, str) else None
    return IndexFile(
        filename=filename, sha256=digest, url=redact_url(url), provenance_url=provenance
    )


def _bad_shape(page: _Page, what: str) -> PackageIndexError:
    return PackageIndexError(
        f"{page.url} answered with JSON that is not {what}.",
        "Check that the repository's index-url is right; if it is, the index is misbehaving.",
    )


def _parse_pypi_json(page: _Page) -> list[IndexFile]:
    """Files of one release from PyPI's JSON API (``/pypi/NAME/VERSION/json``)."""
    document = _load_json(page)
    entries = document.get("urls") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise _bad_shape(page, "a PyPI JSON API release")
    return [
        _file(entry["filename"], (entry.get("digests") or {}).get("sha256"), entry["url"])
        for entry in entries
        if isinstance(entry, dict) and "filename" in entry and "url" in entry
    ]


def _parse_pep691(page: _Page) -> ProjectPage:
    """Files (with PEP 700 size and upload time) and PEP 792 status of a PEP 691 page."""
    document = _load_json(page)
    if not isinstance(document, dict) or not isinstance(document.get("files"), list):
        raise _bad_shape(page, "a PEP 691 project page")
    api_version = str((document.get("meta") or {}).get("api-version", "1.0"))
    if api_version.partition(".")[0] != "1":
        # PEP 629: a client must not guess its way through a new major version.
        raise PackageIndexError(
            f"{page.url} speaks version {api_version} of the simple API; releasekit "
            "understands version 1.",
            "Upgrade releasekit.",
        )
    files = [
        dataclasses.replace(
            _file(
                entry["filename"],
                (entry.get("hashes") or {}).get("sha256"),
                urljoin(page.url, entry["url"]),
                urljoin(page.url, entry["provenance"])
                if isinstance(entry.get("provenance"), str)
                else None,
            ),
            size=entry["size"] if isinstance(entry.get("size"), int) else None,
            upload_time=entry["upload-time"] if isinstance(entry.get("upload-time"), str) else None,
            yanked=entry["yanked"] if isinstance(entry.get("yanked"), bool | str) else False,
        )
        for entry in document["files"]
        if isinstance(entry, dict) and "filename" in entry and "url" in entry
    ]
    status = document.get("project-status")
    found = status.get("status") if isinstance(status, dict) else None
    return ProjectPage(files, found if isinstance(found, str) else None, api_version)


def _parse_pep503(page: _Page) -> list[IndexFile]:
    """Files from a PEP 503 HTML project page: anchors with ``#sha256=`` fragments."""
    from html.parser import HTMLParser

    class AnchorParser(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.base = page.url
            self.hrefs: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            href = dict(attrs).get("href")
            if tag == "base" and href:
                self.base = urljoin(page.url, href)
            elif tag == "a" and href:
                self.hrefs.append(href)

    parser = AnchorParser()
    parser.feed(page.body.decode("utf-8", errors="replace"))
    parser.close()
    files = []
    for href in parser.hrefs:
        url, _, fragment = urljoin(parser.base, href).partition("#")
        algorithm, _, digest = fragment.partition("=")
        filename = unquote(urlsplit(url).path.rpartition("/")[2])
        if filename:
            files.append(_file(filename, digest if algorithm == "sha256" else None, url))
    return files
