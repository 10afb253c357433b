"""The network side of trusted publishing: the job's OIDC token (GitHub's token service,
or GitLab's ``id_tokens`` variable), PyPI's audience, and the one HTTP exchange all of it
goes through (:func:`_exchange`, over :mod:`releasekit.net`): no redirects, a size limit,
a deadline, and an answer that is not JSON read as such, never as a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from releasekit.net import Network, NetworkFailure, printable
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


def _exchange(
    url: str,
    *,
    failed: str,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    secrets: Sequence[str] = (),
    timeout: float = 10.0,
) -> Answer:
    """One request through :mod:`releasekit.net`: GET, or POST of ``data`` as JSON, within
    ``timeout`` seconds in all and :data:`MAX_ANSWER` bytes. Any status is an
    :class:`Answer`; no (whole) answer, or a redirect, is an :class:`OidcError` naming the
    URL without its query. Redirects are never followed: each request carries a credential
    (the CI's bearer, the job's identity) meant for one service."""
    shown = _scrubbed(url.partition("?")[0], secrets)
    body = json.dumps(dict(data)).encode() if data is not None else None
    sent = {"Accept": "application/json", **(headers or {})}
    if body is not None:
        sent["Content-Type"] = "application/json"
    try:
        response = Network().request(
            "GET" if body is None else "POST",
            url,
            deadline=timeout,
            limit=MAX_ANSWER,
            headers=sent,
            body=body,
            redirects="never",
            connect_timeout=timeout,
        )
    except NetworkFailure as failure:
        if failure.kind == "too-large":
            said = f"answered more than {MAX_ANSWER // 1024} KiB, which is no OIDC answer"
            hint = "Check that the URL is the service itself and not a proxy's or portal's page."
        elif failure.kind == "deadline":
            said = f"gave {failure.text}"
            hint = "Check the network of the CI job; run the job again."
        else:
            said = f"could not be reached ({_scrubbed(failure.text, secrets)})"
            hint = "Check the network of the CI job and the repository's upload-url."
        raise OidcError(f"{failed}: {shown} {said}.", hint) from None
    if 300 <= response.status < 400:
        location = urlsplit(response.location)
        # The server's bytes: cleaned of terminal escapes before they are printed.
        to = printable(f"{location.scheme}://{location.netloc}") if location.netloc else ""
        raise OidcError(
            f"{failed}: {shown} answered HTTP {response.status}, a redirect to "
            f"{_scrubbed(to, secrets) or 'an address that is no URL'}, which "
            "releasekit does not follow with the job's credentials.",
            "Point the job at the service itself (no proxy or mirror that redirects).",
        )
    try:
        document = response.json("the answer")
    except ValueError:
        document = None  # an HTML error page, a proxy's answer: the caller says what was wanted
    return Answer(response.status, document)


def _status_text(status: int) -> str:
    return f"HTTP {status}" if status else "no answer"


def _scrubbed(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "********")
    return text
