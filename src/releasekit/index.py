"""Package-index client: which files does a release have, and with which sha256?

One client for every kind of index: PyPI's JSON API (on pypi.org and test.pypi.org),
PEP 691 JSON and PEP 503 HTML simple pages (chosen by content negotiation), all read
through :mod:`releasekit.net` (deadline, size limit, same-origin redirects). An answer is
taken for a listing only when it looks like one: a captive portal's login page is an
error, never an empty index.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from releasekit.errors import IndexUnreachableError, PackageIndexError, VersionError
from releasekit.net import (
    Network,
    NetworkFailure,
    Response,
    basic_auth,
    origin,
    printable,
    secret_forms,
)
from releasekit.repositories import PYPI_HOSTS, redact_url

SIMPLE_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
_PEP691_JSON = "application/vnd.pypi.simple.v1+json"
_HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "text/html")
# 429 is "slow down", not "you are wrong": worth another try after a pause.
_RETRYABLE_4XX = frozenset({408, 429})
# The most read of one listing or JSON document (PyPI's largest simple pages are a few
# MiB): past it the answer is refused, whatever the index sends.
LISTING_LIMIT = 64 << 20
PROVENANCE_LIMIT = 4 << 20


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
class ReleaseViews:
    """A release as the simple API lists it (what installers read) and, where the index
    has one, as its JSON API does."""

    simple: list[IndexFile]
    json_api: list[IndexFile] | None


class IndexClient:
    """Reads one package index. ``index_url`` is its simple API (``.../simple/``).

    Credentials come from ``auth`` or, failing that, from ``user:password@`` in
    ``index_url``; either way they travel only in an Authorization header, and only to the
    index's own origin. Each read is bounded by ``timeout`` seconds in all; reads are
    retried ``retries`` times on 5xx answers, dropped connections and timeouts, waiting
    ``backoff``, then twice as long, and so on. ``pypi_json_api`` forces the PyPI JSON API
    on (or off); by default it is used on pypi.org and test.pypi.org only. ``label`` names
    the index in messages (the repository's name).
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
        network: Network | None = None,
        label: str = "",
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
        self.label = label or self.index_url
        self._auth = auth
        self._sleep = sleep
        # Told before each retry, so a slow index is not a silent wait.
        self._log = log
        self._network = network or Network()
        self._prefetch_lock = threading.Lock()
        self._prefetched: dict[tuple[str, str], tuple[threading.Thread, dict[str, Any]]] = {}
        # Every shape an index may echo it in: itself, URL-quoted, base64 (Basic auth).
        self._secrets = secret_forms([auth[1]], auth[0]) if auth else []

    def prefetch_release_files(self, name: str, version: str) -> None:
        """Start reading :meth:`release_files` in the background: the next call with the
        same arguments takes that answer (or raises that error) instead of asking again.
        check starts it before hashing the artifacts, so the index's round trips overlap
        that work."""
        answer: dict[str, Any] = {}

        def read() -> None:
            try:
                answer["files"] = self._release_files(name, version)
            except BaseException as exc:  # handed to the caller of release_files
                answer["error"] = exc

        thread = threading.Thread(target=read, name="releasekit-index-read", daemon=True)
        with self._prefetch_lock:
            self._prefetched[name, version] = (thread, answer)
        thread.start()

    def release_files(self, name: str, version: str) -> list[IndexFile]:
        """Files of release ``version`` of project ``name``; ``[]`` if either is missing.

        Versions compare as PEP 440 versions, so ``1.0`` finds ``pkg-1.0.0.tar.gz``.
        """
        with self._prefetch_lock:
            prefetched = self._prefetched.pop((name, version), None)
        if prefetched is None:
            return self._release_files(name, version)
        thread, answer = prefetched
        thread.join()  # bounded: the read has the client's timeout and retries
        if "error" in answer:
            raise answer["error"]
        files: list[IndexFile] = answer["files"]
        return files

    def _release_files(self, name: str, version: str) -> list[IndexFile]:
        if self.pypi_json_api:
            found = self._json_api_release(name, version)
            # A miss may be a non-normalised version or the JSON API's cache lagging
            # behind: the simple API decides.
            if found is not None:
                return found
        return self._simple_release(name, version)

    def release_views(self, name: str, version: str) -> ReleaseViews:
        """The release on the simple API and (where the index has one) the JSON API, each
        read: verify wants a file in both before it calls it published."""
        json_api = self._json_api_release(name, version) if self.pypi_json_api else None
        return ReleaseViews(self._simple_release(name, version), json_api)

    def _json_api_release(self, name: str, version: str) -> list[IndexFile] | None:
        _parse_version(version)
        parts = urlsplit(self.index_url)
        url = (
            f"{parts.scheme}://{parts.netloc}/pypi/{canonicalize_name(name)}/{quote(version)}/json"
        )
        page = self._get(url, "application/json")
        return None if page is None else _parse_pypi_json(page)

    def _simple_release(self, name: str, version: str) -> list[IndexFile]:
        wanted = _parse_version(version)
        project = canonicalize_name(name)
        return [f for f in self.project_files(name) if _file_version(f, project) == wanted]

    def provenance(self, name: str, version: str, file: IndexFile) -> Any:
        """The PEP 740 provenance object of ``file`` (parsed JSON), ``None`` if it has none.

        From the ``provenance`` URL of the PEP 691 page when the index gave one, otherwise
        from the Integrity API at the index's origin
        (``/integrity/<project>/<version>/<filename>/provenance``, PyPI's layout).
        """
        url = file.provenance_url
        # The index's credentials go only to the index's own origin.
        if not url or origin(url) != origin(self.index_url):
            parts = urlsplit(self.index_url)
            url = (
                f"{parts.scheme}://{parts.netloc}/integrity/{canonicalize_name(name)}/"
                f"{quote(version)}/{quote(file.filename)}/provenance"
            )
        page = self._get(
            url, "application/vnd.pypi.integrity.v1+json, application/json", PROVENANCE_LIMIT
        )
        return None if page is None else _load_json(page)

    def download(self, file: IndexFile, limit: int) -> bytes:
        """The bytes of ``file`` as the index serves them, at most ``limit`` (verify
        --reproduce)."""
        page = self._get(file.url, "application/octet-stream", limit=limit)
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
        project = canonicalize_name(name)
        page = self._get(f"{self.index_url}{quote(project)}/", SIMPLE_ACCEPT)
        if page is None:
            return None
        if page.content_type == _PEP691_JSON:
            return _parse_pep691(page)
        if page.content_type in _HTML_TYPES or not page.content_type:
            files = _parse_pep503(page, project, self._not_an_index)
            return ProjectPage(files, None, "")
        raise self._not_an_index(page, "")

    # --- HTTP ----------------------------------------------------------------------

    def _get(self, url: str, accept: str, limit: int = LISTING_LIMIT) -> Response | None:
        """GET ``url``, retrying what may pass; ``None`` on 404."""
        # Like pip: a cache (PyPI's CDN, a proxy) must ask the index again.
        headers = {"Accept": accept, "Cache-Control": "max-age=0"}
        if self._auth is not None:
            headers.update(basic_auth(*self._auth))
        attempts = max(self.retries, 0) + 1
        failure = ""
        for attempt in range(attempts):
            if attempt:
                wait = self.backoff * 2 ** (attempt - 1)
                if self._log is not None:
                    self._log(
                        f"{redact_url(url)}: {failure}; trying again in {wait:g} s "
                        f"(attempt {attempt + 1} of {attempts})"
                    )
                self._sleep(wait)
            try:
                answer = self._network.request(
                    "GET", url, headers=headers, deadline=self.timeout, limit=limit
                )
            except NetworkFailure as exc:
                if exc.kind == "too-large":
                    raise PackageIndexError(
                        f"{self.label} did not answer with a listing releasekit can read: "
                        f"{exc.text}.",
                        "Check that the repository's index-url points at the index's simple "
                        "API; if it does, the index is misbehaving.",
                    ) from None
                failure = exc.text
                if exc.unreachable or exc.kind == "interrupted":
                    raise self._unreachable(url, failure, attempt + 1, retryable=False) from None
                continue
            if 300 <= answer.status < 400:
                raise self._redirected(url, answer)
            if answer.status == 404:
                return None
            if answer.status >= 400:
                if answer.status < 500 and answer.status not in _RETRYABLE_4XX:
                    raise self._refused(url, answer.status, answer.reason)
                failure = f"the index answered HTTP {answer.status} {self._clean(answer.reason)}"
                continue
            return answer
        raise self._unreachable(url, failure, attempts)

    def _clean(self, text: str) -> str:
        """Index-supplied text, fit to print: no secret in any encoding, no escapes."""
        return printable(text, self._secrets)

    def _redirected(self, url: str, answer: Response) -> PackageIndexError:
        where = urlsplit(answer.location).hostname or answer.location or "nowhere"
        if answer.location and origin(answer.location) != origin(url):
            return PackageIndexError(
                f"{self.label} sent the request for {redact_url(url)} to {self._clean(where)} "
                f"({answer.status} {self._clean(answer.reason)}): that index is not "
                f"{self.label}, so its answer cannot say what {self.label} has.",
                "Point the repository's index-url at the index that stores the uploads (for "
                "pypiserver, run it with --disable-fallback, or the name it does not know is "
                "sent to PyPI).",
            )
        return PackageIndexError(
            f"{self.label} answered {answer.status} {self._clean(answer.reason)} for "
            f"{redact_url(url)} without a usable Location.",
            "Check that the repository's index-url is right.",
        )

    def _not_an_index(self, page: Response, why: str) -> IndexUnreachableError:
        shown = page.content_type or "no Content-Type"
        return IndexUnreachableError(
            f"This is not a package index: {page.url} answered {page.status} {shown}"
            f"{why} (a login or captive-portal page, or a URL that is not the simple API).",
            "Check the network (a hotel or company portal may want a login first) and that "
            "the repository's index-url points at the index's simple API (it usually ends "
            "in /simple/).",
        )

    def _unreachable(
        self, url: str, failure: str, attempts: int, *, retryable: bool = True
    ) -> PackageIndexError:
        tries = "" if attempts == 1 else f" (tried {attempts} times)"
        message = self._clean(f"Could not read {redact_url(url)}: {failure}{tries}.")
        if retryable:
            return PackageIndexError(
                message,
                "Check that the index URL is right and the index is up, then run the same "
                "command again; an index may be down or overloaded for a while.",
            )
        return IndexUnreachableError(
            message,
            "Trust the index's CA certificate (the repository's cert key, or TWINE_CERT, "
            "REQUESTS_CA_BUNDLE or SSL_CERT_FILE), or check the URL."
            if "TLS" in failure
            else "Check the URL's host and port and that the index is running.",
        )

    def _refused(self, url: str, code: int, reason: str) -> PackageIndexError:
        message = f"{redact_url(url)} answered HTTP {code} {self._clean(reason)}"
        if code in (401, 403):
            problem = (
                "it rejected the credentials, or they may not read this index"
                if self._auth
                else "it needs credentials to be read"
            )
            return PackageIndexError(
                f"{message}: {problem}.",
                "Set the repository's username and token (or password) in the environment, "
                "keyring or .pypirc, and check that they may read this index.",
            )
        return PackageIndexError(
            f"{message}.",
            "Check that the repository's index-url points at the index's simple API "
            "(for example https://pypi.org/simple/).",
        )


def _valid_port(url: str) -> bool:
    try:
        urlsplit(url).port  # noqa: B018 - parsing it is the check
    except ValueError:
        return False
    return True


# --- parsing the answers -------------------------------------------------------------


def _parse_version(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        raise VersionError(
            f"{version!r} is not a valid version (PEP 440).", "Give a version like 1.2.3."
        ) from None


def _file_name_parts(filename: str) -> tuple[str, Version] | None:
    """The project and version in a wheel or sdist filename; None for anything else."""
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return canonicalize_name(name), version


def _file_version(file: IndexFile, project: str) -> Version | None:
    """The version in a wheel or sdist filename of ``project``; None for anything else."""
    parts = _file_name_parts(file.filename)
    return parts[1] if parts is not None and parts[0] == project else None


def _load_json(page: Response) -> Any:
    try:
        return page.json(f"the answer of {page.url}")
    except ValueError as exc:
        raise PackageIndexError(
            f"{page.url} answered with something that is not usable JSON ({exc}).",
            "The index is misbehaving, or this is not the index's address; try again later "
            "or report it to its operators.",
        ) from None


def _file(
    page: Response, filename: object, sha256: object, url: object, provenance_url: object = None
) -> IndexFile:
    if not isinstance(filename, str) or not isinstance(url, str) or not filename:
        raise _bad_shape(page, "a listing of files (each with a filename and a url)")
    digest = sha256.lower() if isinstance(sha256, str) and sha256 else None
    try:
        provenance = (
            redact_url(urljoin(page.url, provenance_url))
            if isinstance(provenance_url, str)
            else None
        )
        joined = redact_url(urljoin(page.url, url))
    except ValueError:  # "http://[::1/": urlsplit refuses it
        raise _bad_shape(page, "a listing of files (each with a filename and a url)") from None
    return IndexFile(filename=filename, sha256=digest, url=joined, provenance_url=provenance)


def _bad_shape(page: Response, what: str) -> PackageIndexError:
    return PackageIndexError(
        f"{page.url} answered with JSON that is not {what}.",
        "Check that the repository's index-url is right; if it is, the index is misbehaving.",
    )


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _parse_pypi_json(page: Response) -> list[IndexFile]:
    """Files of one release from PyPI's JSON API (``/pypi/NAME/VERSION/json``)."""
    document = _load_json(page)
    entries = document.get("urls") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _bad_shape(page, "a PyPI JSON API release")
    return [
        _file(page, e.get("filename"), _mapping(e.get("digests")).get("sha256"), e.get("url"))
        for e in entries
    ]


def _parse_pep691(page: Response) -> ProjectPage:
    """Files (with PEP 700 size and upload time) and PEP 792 status of a PEP 691 page."""
    document = _load_json(page)
    if not isinstance(document, dict) or not isinstance(document.get("files"), list):
        raise _bad_shape(page, "a PEP 691 project page")
    api_version = str(_mapping(document.get("meta")).get("api-version", "1.0"))
    if api_version.partition(".")[0] != "1":
        # PEP 629: a client must not guess its way through a new major version.
        raise PackageIndexError(
            f"{page.url} speaks version {printable(api_version)[:20]} of the simple API; "
            "releasekit understands version 1.",
            "Upgrade releasekit.",
        )
    files = []
    for entry in document["files"]:
        if not isinstance(entry, dict):
            raise _bad_shape(page, "a PEP 691 project page (a file that is not an object)")
        size, uploaded, yanked = entry.get("size"), entry.get("upload-time"), entry.get("yanked")
        files.append(
            dataclasses.replace(
                _file(
                    page,
                    entry.get("filename"),
                    _mapping(entry.get("hashes")).get("sha256"),
                    entry.get("url"),
                    entry.get("provenance"),
                ),
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                upload_time=uploaded if isinstance(uploaded, str) else None,
                yanked=yanked if isinstance(yanked, bool | str) else False,
            )
        )
    found = _mapping(document.get("project-status")).get("status")
    return ProjectPage(files, found if isinstance(found, str) else None, api_version)


class _AnchorParser(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.base = url
        self.hrefs: list[str] = []
        self.repository_version = False
        self.forms = 0
        self.heading = ""  # the text of <title> and <h1>: "Links for NAME" on an index
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        href = found.get("href")
        if tag == "base" and href:
            self.base = urljoin(self.base, href)  # ValueError: see _parse_pep503
        elif tag == "a" and href:
            self.hrefs.append(href)
        elif tag == "meta" and found.get("name") == "pypi:repository-version":
            self.repository_version = True
        elif tag in ("form", "input"):
            self.forms += 1
        self._in_heading = tag in ("title", "h1")

    def handle_endtag(self, tag: str) -> None:
        self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.heading += " " + data


def _parse_pep503(
    page: Response, project: str, not_an_index: Callable[[Response, str], PackageIndexError]
) -> list[IndexFile]:
    """Files from a PEP 503 HTML project page: anchors with ``#sha256=`` fragments.

    A page is taken for a listing when it says it is one (PEP 629's repository-version),
    links to at least one file of ``project``, or is an empty listing headed with the
    project's name and no form; any other page (a portal's login form, a web UI) is
    ``not_an_index``.
    """
    parser = _AnchorParser(page.url)
    try:
        parser.feed(page.text())
        parser.close()
        joined = [urljoin(parser.base, href) for href in parser.hrefs]
    except ValueError:  # "http://[::1/": urlsplit refuses it
        raise PackageIndexError(
            f"{page.url} answered with a page linking to what is not a URL.",
            "Check that the repository's index-url is right; if it is, the index is misbehaving.",
        ) from None
    files = []
    for link in joined:
        url, _, fragment = link.partition("#")
        algorithm, _, digest = fragment.partition("=")
        filename = unquote(urlsplit(url).path.rpartition("/")[2])
        parts = _file_name_parts(filename) if filename else None
        if parts is not None and parts[0] == project:
            files.append(_file(page, filename, digest if algorithm == "sha256" else None, url))
    named = project in {canonicalize_name(word) for word in parser.heading.split()}
    if not files and not parser.repository_version and (parser.forms or not named):
        why = (
            f", a page with a form and no links to {project}'s files"
            if parser.forms
            else f", a page with no links to {project}'s files"
        )
        raise not_an_index(page, why)
    return files
