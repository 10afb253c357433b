"""The network side of trusted publishing: the job's OIDC token (GitHub's token service,
or GitLab's ``id_tokens`` variable), PyPI's audience, and the one HTTP exchange all of it
goes through (:func:`_exchange`): no redirects, a size limit, a deadline, and an answer
that is not JSON read as such, never as a traceback.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import IO
from urllib.parse import urlencode, urlsplit

from releasekit.trust.identity import GITHUB_REQUEST_VARIABLES, IdentityToken, OidcError

# An OIDC answer is a few kilobytes; anything past this is not one.
MAX_ANSWER = 1 << 20


@dataclass(frozen=True)
class Answer:
    """What a server answered: its status, and its body read as JSON (None: not JSON)."""

    status: int
    document: object

    def field(self, name: str) -> object:
        """``name`` of a JSON object answer; None for any other shape."""
        return self.document.get(name) if isinstance(self.document, dict) else None


def ci_identity_token(
    env: Mapping[str, str],
    audience: str,
    *,
    failed: str,
    timeout: float = 10.0,
) -> IdentityToken:
    """The job's OIDC token for ``audience``: from GitHub's token service (the job needs
    ``id-token: write``), else GitLab's ``<AUDIENCE>_ID_TOKEN`` variable. ``failed`` opens
    every error message ("Trusted publishing failed")."""
    request_url, bearer = (env.get(name, "") for name in GITHUB_REQUEST_VARIABLES)
    variable = f"{audience.upper()}_ID_TOKEN"
    if request_url and bearer:
        separator = "&" if "?" in request_url else "?"
        answer = _exchange(
            f"{request_url}{separator}{urlencode({'audience': audience})}",
            headers={"Authorization": f"bearer {bearer}"},
            failed=failed,
            secrets=(bearer,),
            timeout=timeout,
        )
        value = answer.field("value")
        if answer.status != 200 or not isinstance(value, str) or not value:
            said = "" if answer.status != 200 else ", without a token"
            raise OidcError(
                f"{failed}: GitHub Actions refused the OIDC token request "
                f"({_status_text(answer.status)}{said}).",
                "Give the job `permissions: id-token: write`; jobs of pull requests from "
                "forks never get an ID token.",
            )
        return IdentityToken.of(value)
    if env.get(variable):
        return IdentityToken.of(env[variable])
    if request_url or bearer:
        missing = GITHUB_REQUEST_VARIABLES[1] if request_url else GITHUB_REQUEST_VARIABLES[0]
        raise OidcError(
            f"{failed}: {missing} is not set in this job.",
            "Give the job `permissions: id-token: write`.",
        )
    raise OidcError(
        f"{failed}: this job has no OIDC token for audience {audience!r} (no "
        f"ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN from GitHub, no {variable} from GitLab).",
        "On GitHub give the job `permissions: id-token: write`; on GitLab declare "
        f"`id_tokens: {variable}: aud: {audience}`.",
    )


def pypi_audience(base_url: str, *, failed: str, timeout: float = 10.0) -> str:
    """The audience PyPI (at ``base_url``) wants in the tokens it trades."""
    where = f"{base_url}/_/oidc/audience"
    answer = _exchange(where, failed=failed, timeout=timeout)
    audience = answer.field("audience")
    if answer.status != 200 or not isinstance(audience, str) or not audience:
        said = "" if answer.status != 200 else " with no audience in it"
        raise OidcError(
            f"{failed}: {where} answered {_status_text(answer.status)}{said} instead of the "
            "OIDC audience.",
            "Check the repository's upload-url; if it is PyPI, PyPI may be down: run the job "
            "again later.",
        )
    return audience


def exchange_json(
    url: str,
    data: Mapping[str, str],
    *,
    failed: str,
    secrets: Sequence[str] = (),
    timeout: float = 10.0,
) -> Answer:
    """POST ``data`` as JSON to ``url``; the answer (any status)."""
    return _exchange(url, data=data, failed=failed, secrets=secrets, timeout=timeout)


# --- the one HTTP exchange -------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as it is, never followed: a request of trusted publishing
    carries a credential (the CI's bearer, the job's identity) meant for one origin."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def _exchange(
    url: str,
    *,
    failed: str,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    secrets: Sequence[str] = (),
    timeout: float = 10.0,
) -> Answer:
    """One request: GET, or POST of ``data`` as JSON. Any status is an :class:`Answer`;
    no answer at all, a redirect, an answer past :data:`MAX_ANSWER` or past ``timeout``
    seconds in all is an :class:`OidcError` that names the URL without its query."""
    deadline = time.monotonic() + timeout
    shown = _scrubbed(url.partition("?")[0], secrets)
    body = json.dumps(dict(data)).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=dict(headers or {}))
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        try:
            response = _OPENER.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            status = response.status or 0
            if 300 <= status < 400:
                location = urlsplit(response.headers.get("Location") or "")
                raise OidcError(
                    f"{failed}: {shown} answered HTTP {status}, a redirect to "
                    f"{_scrubbed(location.scheme + '://' + location.netloc, secrets)}, which "
                    "releasekit does not follow with the job's credentials.",
                    "Point the job at the service itself (no proxy or mirror that redirects).",
                )
            raw = _read_bounded(response, deadline, timeout, f"{failed}: {shown}")
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise OidcError(
            f"{failed}: could not reach {shown} ({_scrubbed(str(reason), secrets)}).",
            "Check the network of the CI job and the repository's upload-url.",
        ) from None
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        document = None  # an HTML error page, a proxy's answer: the caller says what was wanted
    return Answer(status, document)


def _read_bounded(response: IO[bytes], deadline: float, timeout: float, what: str) -> bytes:
    """The body, read a piece at a time so that neither its size nor a trickle of bytes
    goes past the bounds."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(65536):  # type: ignore[attr-defined]
        size += len(chunk)
        if size > MAX_ANSWER:
            raise OidcError(
                f"{what} answered more than {MAX_ANSWER // 1024} KiB, which is no "
                "OIDC answer; nothing more was read.",
                "Check that the URL is the service itself and not a proxy's or portal's page.",
            )
        if time.monotonic() > deadline:
            raise OidcError(
                f"{what} was still answering after the {timeout:g} s allowed.",
                "Check the network of the CI job; run the job again.",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _status_text(status: int) -> str:
    return f"HTTP {status}" if status else "no answer"


def _scrubbed(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "********")
    return text
