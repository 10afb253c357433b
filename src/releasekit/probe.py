"""Proving upload credentials before anything changes: an upload request with no file.

Every index checks who is asking before it reads the form, so a POST of
``:action=file_upload`` without the file is answered 401/403 when credentials are missing
or refused and 400 when they are accepted; nothing is stored (the README's "Pre-flight"
lists what pypiserver, devpi and PyPI answer). It goes through the upload's own transport
over the target's Network, so it proves what the upload will send.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from releasekit.credentials import ANONYMOUS
from releasekit.net import printable, secret_forms
from releasekit.upload.client import Answer, Dropped, UploadSettings, post, split_url_credentials
from releasekit.upload.form import MultipartBody
from releasekit.upload.hints import credentials_refused

if TYPE_CHECKING:
    from releasekit import net
    from releasekit.credentials import Credentials
    from releasekit.repositories import Repository

# The fields of an upload with nothing to upload: the action and protocol, no name, no file.
PROBE_FIELDS = ((":action", "file_upload"), ("protocol_version", "1"))


@dataclass(frozen=True)
class _FormWithoutFile(MultipartBody):
    """The upload form's fields and no file part (``path`` is unused)."""

    @classmethod
    def fields_only(cls, fields: tuple[tuple[str, str], ...]) -> _FormWithoutFile:
        whole = MultipartBody.build(fields, Path("probe"))
        head = whole.head.rpartition(f"--{whole.boundary}\r\n".encode())[0]
        return cls(head, Path(), f"--{whole.boundary}--\r\n".encode(), whole.boundary)

    @property
    def length(self) -> int:
        return len(self.head) + len(self.tail)

    def _blocks(self) -> Iterator[bytes]:
        yield self.head
        yield self.tail


@dataclass(frozen=True)
class Proof:
    """What the index said to the credentials: ``problem`` is "" when it took them (or
    needs none); ``note`` says where they came from and what the index answered."""

    note: str
    problem: str = ""


def send_probe(
    network: net.Network, upload_url: str, auth: tuple[str, str] | None, *, timeout: float
) -> Answer | Dropped:
    """POST an upload form without a file to ``upload_url``: the index's answer, within
    ``timeout`` seconds."""
    body = _FormWithoutFile.fields_only(PROBE_FIELDS)
    return post(
        network,
        upload_url,
        body,
        auth=auth,
        connect_timeout=timeout,
        read_timeout=timeout,
        deadline=timeout,
    )


def prove_credentials(
    repository: Repository,
    credentials: Credentials,
    network: net.Network,
    *,
    timeout: float = 10.0,
) -> Proof:
    """Ask ``repository``'s upload URL whether it takes ``credentials``, uploading nothing."""
    name = repository.name
    if credentials.trusted_publishing:
        return Proof(
            f"credentials for {name}: trusted publishing (a token is minted from the CI "
            "job's identity at the upload; not proven before)"
        )
    url, url_auth = split_url_credentials(repository.upload_url)
    auth = url_auth
    source = "the upload URL"
    if credentials.password and credentials.username != ANONYMOUS:
        auth = (credentials.username, credentials.password.reveal())
        source = credentials.source
    who = f"from {source}" if auth else "none"
    answer = send_probe(network, url, auth, timeout=timeout)
    if isinstance(answer, Dropped):
        not_proven = (
            f"{name}'s upload URL {url} did not answer an upload request with no file "
            f"({answer.text}), so its credentials could not be proven"
        )
        if _same_server(url, repository.index_url):
            # The index check reports that server once; here it is only a note.
            return Proof(f"credentials for {name}: {who}; {not_proven}")
        return Proof(f"credentials for {name}: {who}", not_proven)
    forms = secret_forms([auth[1]] if auth else [], auth[0] if auth else "")
    # Decoded, redacted and stripped as every text an index sends (net.printable).
    said = " ".join(printable(answer.said, forms).split())
    location = printable(answer.location, forms)
    exchange = f"{answer.status} {said!r} to an upload request with no file; nothing was stored"
    if answer.status in (401, 403):
        return Proof(
            f"credentials for {name}: {who}",
            _refused(repository, url, auth, source, answer.status, said),
        )
    if 300 <= answer.status < 400:
        return Proof(
            f"credentials for {name}: {who}",
            f"{name}'s upload URL {url} redirects uploads to {location or 'elsewhere'}; "
            "set upload-url to the new address if that is right",
        )
    if answer.status in (404, 405):
        return Proof(
            f"credentials for {name}: {who}",
            f"{name}'s upload URL {url} takes no uploads (it answered {answer.status} "
            f"{said!r}): check upload-url",
        )
    if answer.status >= 500:
        return Proof(
            f"credentials for {name}: {who}; not proven: the index answered "
            f"{answer.status} {said!r} to an upload request with no file"
        )
    verdict = "taken" if auth is not None else "not needed: the index takes anonymous uploads"
    return Proof(f"credentials for {name}: {who}; {verdict} (it answered {exchange})")


def _refused(
    repository: Repository,
    url: str,
    auth: tuple[str, str] | None,
    source: str,
    status: int,
    said: str,
) -> str:
    """Why a 401/403 to the probe stops the release, and what to do (PyPI's reasons are
    told apart as for an upload)."""
    where = f"{repository.name} ({url})"
    asked = (
        f"it answered {status} to an upload request with no file ({said[:200]}); nothing was stored"
    )
    fix = (
        f"Set {repository.token_env or 'TWINE_PASSWORD'} (and the repository's username if the "
        "index wants one) in the environment, or add them to keyring or .pypirc."
    )
    if repository.pypi_host:
        settings = UploadSettings(
            url=url, repository=repository.name, credentials_source=source,
            missing_credentials_hint=fix,
        )  # fmt: skip
        refused = credentials_refused(settings, status, said, auth)
        return f"{refused.message} {refused.hint} ({asked})"
    if auth is None:
        return f"{where} needs credentials to upload and none were found for it ({asked}). {fix}"
    return (
        f"{where} refused the credentials from {source} as user {auth[0]!r} "
        f"({asked}). Check that user's password or token for this index, and who may upload "
        "there."
    )


def _same_server(one: str, other: str) -> bool:
    first, second = urlsplit(one), urlsplit(other)
    return (first.scheme, first.hostname, first.port) == (
        second.scheme,
        second.hostname,
        second.port,
    )
