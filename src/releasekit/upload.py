"""The write side: files sent with the legacy upload API, each outcome read from the exchange.

releasekit speaks the upload protocol itself (a multipart POST with ``:action=file_upload``,
``protocol_version=1``, the core metadata, the sha256 digest and the file) instead of running
``twine upload`` and reading its console. The status line, reason phrase, body and
``Location`` of each answer decide what happens next, so a 400 for a bad classifier is
never mistaken for "file exists", and a refused connection never for a redirect. Owning
the exchange also gives what twine cannot: connect and read timeouts on the upload itself,
one deadline for the whole step, several files in flight at once, and a body the kernel
sends from disk (sendfile; 1 MiB blocks through TLS: a 200 MB file is never in memory).
Only the standard library is used, imported when a request is made.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import json
import os
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit

from releasekit import refusals
from releasekit.artifacts import ATTESTATION_SUFFIX, license_files_dropped
from releasekit.credentials import scrub, secret_forms
from releasekit.errors import (
    ConfigError,
    CredentialsError,
    IndexUnreachableError,
    ReleaseError,
    UploadError,
)
from releasekit.repositories import redact_url

if TYPE_CHECKING:
    import http.client

BLOCK = 1 << 20
# How much of an answer's body is kept: PyPI's reasons are one line, HTML error pages long.
BODY_LIMIT = 4000
OutcomeState = Literal["uploaded", "already there", "failed", "not attempted"]


@dataclass(frozen=True)
class Answer:
    """What the index said to one POST."""

    status: int
    reason: str
    body: str
    location: str = ""
    retry_after: float | None = None

    @property
    def said(self) -> str:
        """The index's own words: a reason phrase of its own (PyPI puts its message there),
        else the body's text, else the standard phrase."""
        from http import HTTPStatus

        try:
            standard = HTTPStatus(self.status).phrase
        except ValueError:
            standard = ""
        if self.reason and self.reason.lower() != standard.lower():
            return self.reason
        text = _plain_text(self.body, standard)
        return text or self.reason


@dataclass(frozen=True)
class Dropped:
    """No HTTP answer: ``kind`` is refused, dns, tls, connect-timeout, timeout or reset."""

    kind: str
    text: str

    @property
    def unreachable(self) -> bool:
        return self.kind in ("refused", "dns", "tls", "connect-timeout")


@dataclass(frozen=True)
class DistFile:
    """One file to upload, with what the index will be told about it."""

    path: Path
    sha256: str
    attestations: tuple[Mapping[str, object], ...] = ()

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class FileOutcome:
    """How one file's upload ended."""

    filename: str
    state: OutcomeState
    detail: str = ""
    status: int = 0
    attempts: int = 0
    seconds: float = 0.0
    error: ReleaseError | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "state": self.state,
            "status": self.status,
            "attempts": self.attempts,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class UploadSettings:
    """Where and how to upload; ``auth`` is asked before every request (a trusted
    publishing token is re-minted there when it would expire)."""

    url: str
    repository: str
    auth: Callable[[], tuple[str, str] | None] = lambda: None
    jobs: int = 4
    deadline: float = 900.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    retries: int = 3
    backoff: float = 2.0
    secrets: tuple[str, ...] = ()
    credentials_source: str = ""
    # What to do when an index wants credentials and none were sent.
    missing_credentials_hint: str = (
        "Set the repository's token-env variable (or TWINE_PASSWORD), keyring or .pypirc."
    )

    @property
    def where(self) -> str:
        return f"{self.repository} ({redact_url(self.url)})"


class Deadline:
    """One bound for a whole step: every wait is cut to what is left of it."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())


# --- the request ---------------------------------------------------------------------


def read_metadata(path: Path) -> bytes:
    """The core metadata file inside a wheel (``METADATA``) or an sdist (``PKG-INFO``)."""
    import tarfile
    import zipfile

    try:
        if path.name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(path) as archive:
                wanted = "METADATA" if path.name.endswith(".whl") else "PKG-INFO"
                names = [
                    n
                    for n in archive.namelist()
                    if n.count("/") == 1
                    and n.endswith("/" + wanted)
                    and (wanted == "PKG-INFO" or n.split("/")[0].endswith(".dist-info"))
                ]
                if names:
                    return archive.read(names[0])
        else:
            with tarfile.open(path, "r:*") as archive:
                for member in archive:
                    top_level = member.isfile() and member.name.count("/") == 1
                    if top_level and member.name.endswith("/PKG-INFO"):
                        extracted = archive.extractfile(member)
                        if extracted is not None:
                            return extracted.read()
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise UploadError(
            f"{path.name} cannot be read as a distribution ({exc}).",
            "Build it again (releasekit build).",
        ) from None
    raise UploadError(
        f"{path.name} has no core metadata file (METADATA or PKG-INFO).",
        "Build it again with a standard build backend (releasekit build).",
    )


# Core metadata fields (packaging's raw names) -> the upload form's field names.
_FORM_NAMES = {
    "platforms": "platform",
    "supported_platforms": "supported_platform",
    "license_files": "license_file",
}


def form_fields(dist: DistFile) -> list[tuple[str, str]]:
    """The upload form without the file: metadata, digests, attestations, protocol."""
    from packaging.metadata import parse_email

    raw, _unparsed = parse_email(read_metadata(dist.path))
    if license_files_dropped(str(raw.get("metadata_version", ""))):
        # setuptools wrote License-File under Metadata-Version 2.1 with another meaning:
        # left out of the upload, as twine does (PyPI would refuse it there).
        raw.pop("license_files", None)
    name = str(raw.get("name", ""))
    fields: list[tuple[str, str]] = [(":action", "file_upload"), ("protocol_version", "1")]
    for key, value in raw.items():
        form_name = _FORM_NAMES.get(key, key)
        if key == "name":
            continue
        if isinstance(value, dict):
            fields.extend((form_name, f"{label}, {url}") for label, url in value.items())
        elif isinstance(value, list) and key == "keywords":
            fields.append((form_name, ", ".join(value)))
        elif isinstance(value, list):
            fields.extend((form_name, str(item)) for item in value)
        else:
            fields.append((form_name, str(value)))
    import re

    fields.append(("name", re.sub("[^A-Za-z0-9.]+", "-", name)))
    if dist.filename.endswith(".whl"):
        fields += [("filetype", "bdist_wheel"), ("pyversion", dist.filename.split("-")[-3])]
    else:
        fields += [("filetype", "sdist"), ("pyversion", "source")]
    # sha256 only, as uv publish sends: warehouse wants at least one digest and checks the
    # ones it is given; this is the one compared with the index. (twine adds md5 and
    # blake2-256: two more passes over every file, a fifth of a second per 80 MB.)
    fields.append(("sha256_digest", dist.sha256))
    if dist.attestations:
        fields.append(("attestations", json.dumps(list(dist.attestations))))
    return fields


@dataclass(frozen=True)
class MultipartBody:
    """A multipart/form-data body whose file part is read from disk while it is sent."""

    head: bytes
    path: Path
    tail: bytes
    boundary: str

    @classmethod
    def build(cls, fields: Sequence[tuple[str, str]], path: Path) -> MultipartBody:
        boundary = secrets.token_hex(16)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
            for name, value in fields
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        return cls(b"".join(parts), path, f"\r\n--{boundary}--\r\n".encode(), boundary)

    @property
    def length(self) -> int:
        return len(self.head) + self.path.stat().st_size + len(self.tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as f:
            yield from iter(lambda: f.read(BLOCK), b"")
        yield self.tail

    def send(self, connection: http.client.HTTPConnection) -> None:
        """Write the body to ``connection``: the file by sendfile(2) on a plain socket (the
        kernel copies it; no block passes through Python), block by block through TLS."""
        import ssl

        sock = connection.sock
        if sock is None or isinstance(sock, ssl.SSLSocket):
            for chunk in self.chunks():
                connection.send(chunk)
            return
        sock.sendall(self.head)
        with self.path.open("rb") as f:
            sock.sendfile(f)
        sock.sendall(self.tail)


# --- one exchange --------------------------------------------------------------------


def post(
    url: str,
    body: MultipartBody,
    *,
    auth: tuple[str, str] | None,
    connect_timeout: float,
    read_timeout: float,
) -> Answer | Dropped:
    """POST ``body`` to ``url``: the answer, or why there was none. Never raises OSError."""
    import http.client
    import socket
    import ssl

    parts = urlsplit(url)
    connection = _connection(url, connect_timeout)
    stage = "connect"
    try:
        connection.connect()
        stage = "send"
        if connection.sock is not None:
            connection.sock.settimeout(read_timeout)
            # The small last part after the large ones must not wait for a delayed ACK
            # (Nagle): that costs 40 ms a file.
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        target = url if _via_plain_proxy(connection, parts.hostname) else _path(url)
        connection.putrequest("POST", target, skip_accept_encoding=True)
        headers = {
            "Content-Type": body.content_type,
            "Content-Length": str(body.length),
            "User-Agent": "releasekit",
            "Accept": "*/*",
        }
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        for key, value in headers.items():
            connection.putheader(key, value)
        connection.endheaders()
        # An index may answer (413, 403) before it read the body: read that answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            body.send(connection)
        stage = "answer"
        response = connection.getresponse()
        text = response.read(BODY_LIMIT).decode("utf-8", errors="replace")
        return Answer(
            response.status,
            response.reason or "",
            text,
            redact_url(response.getheader("Location", "") or ""),
            _retry_after(response.getheader("Retry-After")),
        )
    except socket.gaierror:
        return Dropped("dns", f"the host name {parts.hostname!r} could not be resolved")
    except ConnectionRefusedError:
        return Dropped("refused", "the connection was refused (nothing listens at that port)")
    except ssl.SSLCertVerificationError as exc:
        return Dropped("tls", f"the TLS certificate was not accepted ({exc.verify_message})")
    except ssl.SSLError as exc:
        return Dropped("tls", f"the TLS handshake failed ({exc.reason})")
    except TimeoutError:
        if stage == "connect":
            return Dropped("connect-timeout", f"no connection within {connect_timeout:.1f} s")
        return Dropped("timeout", f"no answer within {read_timeout:.1f} s")
    except (ConnectionError, http.client.HTTPException) as exc:
        return Dropped("reset", f"the index closed the connection without answering ({exc!r})")
    except OSError as exc:
        kind = "refused" if stage == "connect" else "reset"
        return Dropped(kind, f"the connection failed ({exc.strerror or exc})")
    finally:
        connection.close()


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    """A connection to ``url``'s host, or through the proxy ``*_proxy`` names for it."""
    import http.client
    import ssl
    import urllib.request

    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and urllib.request.proxy_bypass(host):
        proxy = None
    if parts.scheme == "https":
        # The CA bundles twine and requests users already point at their index's CA.
        cafile = os.environ.get("TWINE_CERT") or os.environ.get("REQUESTS_CA_BUNDLE") or None
        try:
            context = ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError):
            raise ConfigError(
                f"The CA bundle {cafile} (TWINE_CERT or REQUESTS_CA_BUNDLE) cannot be read.",
                "Point the variable at a PEM file of your index's CA certificates, or unset it.",
            ) from None
        if proxy:
            proxied = urlsplit(proxy)
            connection = http.client.HTTPSConnection(
                proxied.hostname or "", proxied.port, timeout=timeout, context=context
            )
            connection.set_tunnel(host, port)
            return connection
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    if proxy:
        proxied = urlsplit(proxy)
        return http.client.HTTPConnection(proxied.hostname or "", proxied.port, timeout=timeout)
    return http.client.HTTPConnection(host, port, timeout=timeout)


def _via_plain_proxy(connection: http.client.HTTPConnection, hostname: str | None) -> bool:
    import http.client

    return not isinstance(connection, http.client.HTTPSConnection) and connection.host != hostname


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _plain_text(body: str, standard: str = "") -> str:
    """The meaningful text of an answer's body: HTML tags, headings and the standard
    phrase dropped, at most 500 characters."""
    import html
    import re

    if "<" in body:
        body = re.sub(r"<(title|h1|style|script)\b.*?</\1>", "\n", body, flags=re.S | re.I)
        body = html.unescape(re.sub(r"<[^>]+>", "\n", body))
    boring = {"", standard.lower(), f"{standard.lower()}."}
    lines = [line.strip() for line in body.splitlines()]
    lines = [line for line in lines if line.lower() not in boring and not line.isdigit()]
    return " ".join(lines)[:500]


# --- secrets -------------------------------------------------------------------------


def split_url_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without ``user:password@``, and that pair (``None`` when it has none)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    return redact_url(url), (unquote(parts.username), unquote(parts.password or ""))


# --- deciding from the answer --------------------------------------------------------

Lookup = Callable[[], Mapping[str, str | None]]


def upload_files(
    files: Sequence[DistFile],
    settings: UploadSettings,
    *,
    lookup: Lookup,
    log: Callable[[str], object],
    sleep: Callable[[float], object] = time.sleep,
    jitter: Callable[[], float] = random.random,
    listing_bound: float = 30.0,
) -> list[FileOutcome]:
    """Upload ``files``: the first wheel alone (PyPI takes a release's metadata from its
    first file), then the rest ``settings.jobs`` at a time, in the order given. A failure
    that no retry can mend stops files that have not started. ``lookup`` reads the release's
    files from the index, uncached (filename -> sha256), when an answer says "exists".
    """
    deadline = Deadline(settings.deadline)
    stop = threading.Event()
    forms = secret_forms(settings.secrets)
    uploader = _FileUploader(
        settings, deadline, stop, forms, lookup, log, sleep, jitter, listing_bound
    )
    first = next((f for f in files if f.filename.endswith(".whl")), None)
    ordered = [f for f in files if f is not first]
    outcomes: dict[str, FileOutcome] = {}
    if first is not None:
        outcomes[first.filename] = uploader.upload(first)
    if ordered:
        pool = ThreadPoolExecutor(max_workers=max(1, settings.jobs))
        try:
            for outcome in pool.map(uploader.upload, ordered):
                outcomes[outcome.filename] = outcome
        except BaseException:
            # Ctrl-C: no file starts (or retries) any more; those in flight end with
            # their request, which their timeouts bound.
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    return [outcomes[f.filename] for f in files]


class _FileUploader:
    def __init__(
        self,
        settings: UploadSettings,
        deadline: Deadline,
        stop: threading.Event,
        forms: Sequence[str],
        lookup: Lookup,
        log: Callable[[str], object],
        sleep: Callable[[float], object],
        jitter: Callable[[], float],
        listing_bound: float,
    ) -> None:
        self.settings = settings
        self.deadline = deadline
        self.stop = stop
        self.forms = forms
        self.lookup = lookup
        self.log = log
        self.sleep = sleep
        self.jitter = jitter
        self.listing_bound = listing_bound
        # filename -> (last status, attempts so far), for the outcome of a failure
        self._last: dict[str, tuple[int, int]] = {}

    def upload(self, dist: DistFile) -> FileOutcome:
        started = time.monotonic()
        if self.stop.is_set():
            return FileOutcome(dist.filename, "not attempted", "stopped by an earlier failure")
        try:
            outcome = self._upload(dist)
        except ReleaseError as exc:
            self.stop.set()
            status, attempts = self._last.get(dist.filename, (0, 0))
            outcome = FileOutcome(dist.filename, "failed", exc.message, status, attempts, error=exc)
        return replace(outcome, seconds=time.monotonic() - started)

    def _upload(self, dist: DistFile) -> FileOutcome:
        settings = self.settings
        body = MultipartBody.build(form_fields(dist), dist.path)
        retried = attempts = 0
        while True:
            if self.deadline.remaining() <= 0:
                raise self._deadline_error(dist)
            if attempts and self.stop.is_set():
                # Not an error of its own: the failure (or Ctrl-C) that stopped it is reported.
                return FileOutcome(
                    dist.filename,
                    "failed",
                    "not retried: stopped by an earlier failure",
                    self._last[dist.filename][0],
                    attempts,
                )
            attempts += 1
            auth = settings.auth()
            forms = secret_forms([*settings.secrets, auth[1]], auth[0]) if auth else self.forms
            result = post(
                settings.url,
                body,
                auth=auth,
                connect_timeout=max(0.1, min(settings.connect_timeout, self.deadline.remaining())),
                read_timeout=max(0.1, min(settings.read_timeout, self.deadline.remaining())),
            )
            if isinstance(result, Answer):
                result = replace(
                    result,
                    reason=scrub(result.reason, forms),
                    body=scrub(result.body, forms),
                )
            status = result.status if isinstance(result, Answer) else 0
            self._last[dist.filename] = (status, attempts)
            decision = self._decide(dist, result)
            if isinstance(decision, FileOutcome):
                return replace(decision, attempts=attempts)
            if decision == "wait":
                assert isinstance(result, Answer)
                wait = result.retry_after if result.retry_after is not None else settings.backoff
            else:
                retried += 1
                if retried > settings.retries:
                    raise self._gave_up(dist, result, attempts)
                base = settings.backoff * 2 ** (retried - 1)
                wait = base * (0.5 + self.jitter() / 2)
            if wait >= self.deadline.remaining():
                raise self._deadline_error(dist, f"; the next try would be in {wait:.1f} s")
            self.log(
                f"{dist.filename}: {self._describe(result)}; trying again in {wait:.1f} s "
                f"(attempt {attempts + 1}, {self.deadline.remaining():.0f} s left of the "
                f"{self.deadline.seconds:g} s upload timeout)"
            )
            self.sleep(wait)
            if decision == "retry" and self._listed(dist) == dist.sha256:
                # The index stored it before failing (a 500 after the store, an answer lost
                # on the way): do not send it again.
                return FileOutcome(
                    dist.filename,
                    "already there",
                    f"after {self._describe(result)}: the index has this very file",
                    attempts=attempts,
                )

    def _listed(self, dist: DistFile) -> str | None:
        try:
            return self.lookup().get(dist.filename)
        except ReleaseError:
            return None

    def _describe(self, result: Answer | Dropped) -> str:
        if isinstance(result, Dropped):
            return result.text
        return f"{self.settings.repository} answered {result.status} {result.said}"

    def _decide(self, dist: DistFile, result: Answer | Dropped) -> FileOutcome | str:
        """An outcome, or "retry" / "wait" (429); raises the error no retry mends."""
        settings = self.settings
        where = settings.where
        if isinstance(result, Dropped):
            if result.unreachable:
                raise IndexUnreachableError(
                    f"Could not reach {where} to upload {dist.filename}: {result.text}.",
                    "Check the repository's upload-url, your network and the index's "
                    "certificate; then retry the upload (files already there are "
                    "skipped).",
                )
            if result.kind == "timeout":
                raise UploadError(
                    f"{where} gave no answer to the upload of {dist.filename}: {result.text}.",
                    "The file may or may not have landed: retry the upload; files "
                    "already there are skipped. Raise upload.timeout for a slow index.",
                )
            return "retry"
        status = result.status
        said = result.said
        if 200 <= status < 300:
            return FileOutcome(dist.filename, "uploaded", f"{status} {result.reason}", status)
        if 300 <= status < 400:
            to = f" to {result.location}" if result.location else ""
            raise UploadError(
                f"{where} answered {status} {result.reason}: it redirected the upload of "
                f"{dist.filename}{to}; releasekit does not follow upload redirects.",
                "If that is where the index takes uploads, set the repository's upload-url "
                "to it; otherwise check the upload-url (a missing trailing slash, http "
                "instead of https).",
            )
        if status == 429:
            return "wait"
        if status >= 500:
            return "retry"
        if status == 400 and "already been used" in said.lower():
            # PyPI's words for the name of a deleted file: never listed, never reusable.
            raise UploadError(
                f"{where} refused {dist.filename}: {status} {said}",
                "A file of that name was uploaded and deleted before; its name can never be "
                "used again: bump the version (releasekit bump-version patch), build and "
                "upload again.",
            )
        if status in (400, 409) and _says_exists(status, said):
            return self._settle_existing(dist, status, said)
        if status in (401, 403):
            raise refusals.credentials_refused(settings, status, said, settings.auth())
        if status == 413:
            raise UploadError(
                f"{where} answered 413 {said}: {dist.filename} "
                f"({dist.path.stat().st_size / 1e6:.1f} MB) is larger than the index's "
                "file-size limit.",
                "PyPI takes 100 MiB per file unless a project's limit was raised: ask for "
                "more with a 'File size limit request' issue at github.com/pypi/support. "
                "On your own index, raise its limit (for example nginx's client_max_body_size).",
            )
        raise UploadError(
            f"{where} refused {dist.filename}: {status} {said}",
            refusal_hint(said),
        )

    def _settle_existing(self, dist: DistFile, status: int, said: str) -> FileOutcome:
        """The index says the name is taken: whose file is it? Poll the listing (it may lag
        behind the store, as PyPI's CDN does) within a bound, then compare sha256."""
        bound = min(self.listing_bound, self.deadline.remaining())
        ends = time.monotonic() + bound
        wait = 0.5
        while True:
            found = dict(self.lookup())
            if dist.filename in found:
                digest = found[dist.filename]
                if digest == dist.sha256:
                    return FileOutcome(
                        dist.filename,
                        "already there",
                        f"{status} {said}; the index has this very file (same sha256)",
                        status,
                    )
                raise UploadError(
                    f"{self.settings.where} already has a different {dist.filename}: "
                    f"sha256 there {digest}, here {dist.sha256} (it answered {status} {said}).",
                    "A filename can never be reused: bump the version (releasekit "
                    "bump-version patch), build and upload again.",
                )
            if time.monotonic() + wait > ends:
                raise UploadError(
                    f"{self.settings.where} answered {status} {said} for {dist.filename}, "
                    f"but its listing did not show that file within {bound:.0f} s.",
                    "PyPI refuses names of deleted files too: if it was deleted, bump the "
                    "version. Otherwise retry the upload in a few minutes.",
                )
            self.log(
                f"{dist.filename}: {self.settings.repository} says it exists; waiting "
                f"{wait:g} s for its listing to show it (up to {bound:.0f} s)"
            )
            self.sleep(wait)
            wait = min(wait * 2, 5.0)

    def _gave_up(self, dist: DistFile, result: Answer | Dropped, attempts: int) -> UploadError:
        return UploadError(
            f"Uploading {dist.filename} to {self.settings.where} kept failing: "
            f"{self._describe(result)} ({attempts} attempts).",
            "Retry the upload when the index is healthy: files already there are skipped, "
            "so it resumes where it stopped.",
        )

    def _deadline_error(self, dist: DistFile, why: str = "") -> UploadError:
        return UploadError(
            f"The upload timeout ({self.deadline.seconds:g} s, upload.timeout) ran out "
            f"before {dist.filename} was on {self.settings.where}{why}.",
            "Retry the upload (files already there are skipped), or raise upload.timeout "
            "for a slow index.",
        )


def _says_exists(status: int, said: str) -> bool:
    lowered = said.lower()
    return status == 409 or "exist" in lowered or "previously used" in lowered


# The index's reason -> what to do about it (PyPI's forklift wording).
_HINTS = (
    (
        "classifier",
        "Fix [project].classifiers: use only classifiers from "
        "https://pypi.org/classifiers/ (check with `python -m trove_classifiers`).",
    ),
    (
        "render",
        "The long description does not render: run `releasekit check` (twine check "
        "--strict) and fix the README's markup or its content type.",
    ),
    ("description", "Fix the long description (readme) or its content type."),
    (
        "filename",
        "The filename does not match the project's name and version: build again "
        "with a current build backend (PEP 625/427 names).",
    ),
    ("metadata", "Fix the project's metadata in pyproject.toml and build again."),
    ("version", "Fix the version (PEP 440) and build again."),
    (
        "license",
        "Fix the license fields: License-Expression and License may not both be set; "
        "every License-File must be in the archive.",
    ),
)


def refusal_hint(said: str) -> str:
    lowered = said.lower()
    for word, hint in _HINTS:
        if word in lowered:
            return hint
    return "Fix what the index names above and build again; nothing else was changed."


def credentials_refused(
    settings: UploadSettings, status: int, said: str, sent: bool
) -> CredentialsError:
    """A 401/403, told apart by PyPI's reason."""
    lowered = said.lower()
    said_part = f"{settings.where} answered {status} {said}"
    if not sent:
        return CredentialsError(
            f"{said_part}: it needs credentials to upload, and none were found for the "
            f"repository {settings.repository!r}.",
            settings.missing_credentials_hint,
        )
    if "expired" in lowered:
        problem, hint = (
            "the token has expired",
            "Create a new API token (or, with trusted publishing, run the job again).",
        )
    elif "not valid for project" in lowered or "not valid for this project" in lowered:
        problem, hint = (
            "the token is scoped to another project",
            "Create a token scoped to this project, or an account-wide one for a first upload.",
        )
    elif "isn't allowed to upload" in lowered or "not allowed to upload" in lowered:
        problem, hint = (
            "the token's owner is not an owner or maintainer of this project (or the name "
            "belongs to someone else)",
            "Ask an owner to add you, or choose another project name.",
        )
    elif "two factor" in lowered or "2fa" in lowered or "trusted publish" in lowered:
        problem, hint = (
            "this project takes uploads only with an API token or trusted publishing "
            "(two-factor authentication is on, passwords are refused)",
            "Upload with an API token (username __token__) or from CI with trusted publishing.",
        )
    elif "invalid" in lowered or "non-existent" in lowered or status == 401:
        problem, hint = (
            "the token is invalid (mistyped, revoked, or made for another index)",
            "Check the token: PyPI and TestPyPI tokens differ, and the username must be __token__.",
        )
    else:
        problem, hint = (
            "the credentials may not upload this project",
            "Check the token's scope and which index it was created on.",
        )
    source = f" (credentials from {settings.credentials_source})"
    return CredentialsError(
        f"{said_part}: {problem}{source if settings.credentials_source else ''}.", hint
    )


# --- attestations (PEP 740) ------------------------------------------------------------


def attestation_path(path: Path) -> Path:
    return path.with_name(path.name + ATTESTATION_SUFFIX)


def load_attestation(path: Path, filename: str, sha256: str) -> Mapping[str, object]:
    """The attestation ``path`` for ``filename``, checked: JSON, and its statement's
    subject names this very file (name and sha256)."""
    try:
        document = json.loads(path.read_bytes())
        statement = json.loads(base64.b64decode(document["envelope"]["statement"]))
        subjects = [
            (s.get("name"), (s.get("digest") or {}).get("sha256")) for s in statement["subject"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UploadError(
            f"{path.name} is not a PEP 740 attestation (JSON with an envelope whose statement "
            f"names a subject): {exc.__class__.__name__}.",
            "Delete it and create the attestation again, or build again (which removes it).",
        ) from None
    if (filename, sha256) not in subjects:
        there = ", ".join(f"{n} sha256:{d}" for n, d in subjects) or "no subject"
        raise UploadError(
            f"{path.name} attests {there}, not {filename} sha256:{sha256}.",
            "It belongs to another build: delete it and attest the current files again.",
        )
    if not isinstance(document, dict):
        raise UploadError(f"{path.name} is not a JSON object.", "Create it again.")
    return document
