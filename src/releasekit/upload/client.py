"""Uploads: files sent with the legacy upload API, each outcome decided from the exchange.

releasekit speaks the upload protocol itself (through :mod:`releasekit.net`) instead of
running ``twine upload`` and reading its console. The status line, reason phrase, body and
``Location`` of each answer decide what happens next, so a 400 for a bad classifier is
never mistaken for "file exists", and a refused connection never for a redirect. Owning the
exchange also gives what twine cannot: one deadline for the whole step, a retry of an
exchange cut off or silent while that deadline allows, several files in flight at once,
progress as the bytes go, and an interrupt that ends every exchange at once.
"""

from __future__ import annotations

import email.utils
import html
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Literal
from urllib.parse import unquote, urlsplit

from releasekit import net
from releasekit.errors import (
    IndexUnreachableError,
    Interrupted,
    ReleaseError,
    UploadError,
)
from releasekit.net import Deadline, NetworkFailure, printable, secret_forms
from releasekit.repositories import redact_url
from releasekit.upload.form import DistFile, MultipartBody, form_fields
from releasekit.upload.hints import credentials_refused, refusal_hint, says_exists
from releasekit.upload.progress import Progress

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
    """No (whole) HTTP answer: ``kind`` is one of :data:`releasekit.net.FailureKind`."""

    kind: str
    text: str
    # On a kept-alive connection, before any answer: the server may have closed it idle.
    stale: bool = False

    @property
    def unreachable(self) -> bool:
        return self.kind in net.UNREACHABLE


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
    network: net.Network = field(default_factory=net.Network, compare=False)

    @property
    def where(self) -> str:
        return f"{self.repository} ({redact_url(self.url)})"


# --- one exchange --------------------------------------------------------------------


def post(
    network: net.Network,
    url: str,
    body: MultipartBody,
    *,
    auth: tuple[str, str] | None,
    connect_timeout: float,
    read_timeout: float,
    deadline: float,
    sent: Callable[[int], object] = lambda _: None,
    fresh: bool = False,
) -> Answer | Dropped:
    """POST ``body`` to ``url`` within ``deadline`` seconds (no read silent longer than
    ``read_timeout``), on a new connection if ``fresh``: the answer, or why there was
    none. Never follows a redirect."""
    headers = {
        "Content-Type": body.content_type,
        "Content-Length": str(body.length),
        "Accept": "*/*",
    }
    if auth is not None:
        headers.update(net.basic_auth(*auth))
    try:
        response = network.request(
            "POST",
            url,
            headers=headers,
            body=body.chunks(sent),
            redirects="never",
            deadline=deadline,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            limit=BODY_LIMIT,
            truncate=True,
            fresh=fresh,
        )
    except NetworkFailure as exc:
        return Dropped(exc.kind, exc.text, exc.stale)
    return Answer(
        response.status,
        response.reason,
        response.text(),
        response.location,
        _retry_after(response.headers.get("retry-after")),
    )


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
    sleep: Callable[[float], object] | None = None,
    jitter: Callable[[], float] = random.random,
    listing_bound: float = 30.0,
    progress: Progress | None = None,
) -> list[FileOutcome]:
    """Upload ``files``: the first wheel alone (PyPI takes a release's metadata from its
    first file), then the rest ``settings.jobs`` at a time, in the order given. A failure
    that no retry can mend stops files that have not started. ``lookup`` reads the release's
    files from the index, uncached (filename -> sha256), when an answer says "exists".

    Ctrl-C or SIGTERM ends every exchange in flight at once and raises
    :class:`~releasekit.errors.Interrupted`, naming the files that are up and those that
    are not.
    """
    deadline = Deadline(settings.deadline)
    stop = threading.Event()
    # Waits between tries end when the upload stops (Ctrl-C, SIGTERM, a failure elsewhere):
    # abort_all cuts exchanges, not a worker's sleep, and the interrupt waits for workers.
    sleep = sleep if sleep is not None else stop.wait
    progress = progress or Progress.quiet()
    uploader = _FileUploader(
        settings, deadline, stop, lookup, log, sleep, jitter, listing_bound, progress
    )
    first = next((f for f in files if f.filename.endswith(".whl")), None)
    ordered = [f for f in files if f is not first]
    outcomes: dict[str, FileOutcome] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, settings.jobs))
    try:
        if first is not None:
            # In a worker too: the main thread stays free to take Ctrl-C at once.
            outcomes[first.filename] = pool.submit(uploader.upload, first).result()
        for outcome in pool.map(uploader.upload, ordered):
            outcomes[outcome.filename] = outcome
    except KeyboardInterrupt as exc:
        # No file starts (or retries) any more, and those in flight end now.
        stop.set()
        net.abort_all()
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            net.resume()
        progress.close()
        raise Interrupted.during_upload(exc, settings.where, files, uploader.finished) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    progress.close()
    return [outcomes[f.filename] for f in files]


class _FileUploader:
    def __init__(
        self,
        settings: UploadSettings,
        deadline: Deadline,
        stop: threading.Event,
        lookup: Lookup,
        log: Callable[[str], object],
        sleep: Callable[[float], object],
        jitter: Callable[[], float],
        listing_bound: float,
        progress: Progress,
    ) -> None:
        self.settings = settings
        self.deadline = deadline
        self.stop = stop
        self.forms = secret_forms(settings.secrets)
        self.lookup = lookup
        self.log = log
        self.sleep = sleep
        self.jitter = jitter
        self.listing_bound = listing_bound
        self.progress = progress
        # filename -> (last status, attempts so far), for the outcome of a failure
        self._last: dict[str, tuple[int, int]] = {}
        # Outcomes as files end (the interrupt's report reads them from another thread).
        self.finished: dict[str, FileOutcome] = {}

    def upload(self, dist: DistFile) -> FileOutcome:
        started = time.monotonic()
        if self.stop.is_set():
            return FileOutcome(dist.filename, "not attempted", "stopped by an earlier failure")
        size = dist.path.stat().st_size
        self.progress.start(dist.filename, size)
        try:
            outcome = self._upload(dist)
        except ReleaseError as exc:
            self.stop.set()
            status, attempts = self._last.get(dist.filename, (0, 0))
            outcome = FileOutcome(dist.filename, "failed", exc.message, status, attempts, error=exc)
        outcome = replace(outcome, seconds=time.monotonic() - started)
        self.finished[dist.filename] = outcome
        self.progress.done(dist.filename, outcome.state, outcome.seconds)
        return outcome

    def _upload(self, dist: DistFile) -> FileOutcome:
        settings = self.settings
        body = MultipartBody.build(form_fields(dist), dist.path)
        retried = attempts = 0
        last = ""
        fresh = False
        while True:
            if self.deadline.remaining() <= 0:
                raise self._deadline_error(dist, last)
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
            left = self.deadline.remaining()
            self.progress.restart(dist.filename)
            result = post(
                settings.network,
                settings.url,
                body,
                auth=auth,
                connect_timeout=max(0.1, min(settings.connect_timeout, left)),
                read_timeout=max(0.1, min(settings.read_timeout, left)),
                deadline=max(0.1, left),
                sent=lambda n: self.progress.advance(dist.filename, n),
                fresh=fresh,
            )
            # What the index says is decoded, redacted and stripped of terminal escapes
            # before anything reads it.
            if isinstance(result, Answer):
                result = replace(
                    result,
                    reason=printable(result.reason, forms),
                    body=printable(result.body, forms),
                    location=printable(result.location, forms),
                )
            else:
                result = replace(result, text=printable(result.text, forms))
            status = result.status if isinstance(result, Answer) else 0
            self._last[dist.filename] = (status, attempts)
            decision = self._decide(dist, result)
            last = f"; the last try: {self._describe(result)}"
            if isinstance(decision, FileOutcome):
                return replace(decision, attempts=attempts)
            if isinstance(result, Dropped) and result.stale and not fresh:
                # A kept-alive connection the index had closed: sent again at once on a
                # new one, not counted as a retry, once the index was asked whether the
                # file landed.
                fresh = True
                landed = self._landed(dist, result, attempts)
                if landed is not None:
                    return landed
                self.log(
                    f"{dist.filename}: {self._describe(result)} on a connection kept from an "
                    "earlier exchange; sending it again on a new connection"
                )
                continue
            fresh = False
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
                raise self._deadline_error(dist, f"{last}; the next try would be in {wait:.1f} s")
            self.log(
                f"{dist.filename}: {self._describe(result)}; trying again in {wait:.1f} s "
                f"(attempt {attempts + 1}, {self.deadline.remaining():.0f} s left of the "
                f"{self.deadline.seconds:g} s upload timeout)"
            )
            self.sleep(wait)
            if decision == "retry":
                landed = self._landed(dist, result, attempts)
                if landed is not None:
                    return landed

    def _landed(
        self, dist: DistFile, result: Answer | Dropped, attempts: int
    ) -> FileOutcome | None:
        """The outcome "already there" if the index stored the file before failing (a 500
        after the store, an answer lost on the way): it is not sent again."""
        if self._listed(dist) != dist.sha256:
            return None
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
            if result.kind == "interrupted":
                return FileOutcome(dist.filename, "failed", "interrupted")
            # Cut off, silent or dropped mid-way: tried again (once the index was asked
            # whether it stored the file) while the upload's time allows.
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
        if status in (400, 409) and says_exists(status, said):
            return self._settle_existing(dist, status, said)
        if status in (401, 403):
            raise credentials_refused(settings, status, said, settings.auth())
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
