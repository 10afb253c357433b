"""Who the CI job is: its OIDC token and the claims in it, decoded once into
:class:`JobClaims` (no signature check: only PyPI can judge that; the claims serve to say
what PyPI would compare). No network here: fetching the token is :mod:`.oidc`'s.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from releasekit.errors import CredentialsError

GITHUB_REQUEST_VARIABLES = ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")


class OidcError(CredentialsError):
    """The job's OIDC identity could not be had or traded (exit code 12, CREDENTIALS)."""


@dataclass(frozen=True)
class JobClaims:
    """The claims of a CI job's OIDC token that PyPI matches a trusted publisher on.

    A claim that is not a string reads as "".
    """

    issuer: str = ""
    audience: str | tuple[str, ...] = ""  # as the token has it: one, or several
    # GitHub Actions
    repository: str = ""
    workflow_ref: str = ""
    job_workflow_ref: str = ""
    event_name: str = ""
    # GitLab CI
    project_path: str = ""
    ci_config_ref_uri: str = ""
    pipeline_source: str = ""
    # both
    environment: str = ""
    ref: str = ""

    @classmethod
    def decode(cls, token: str) -> JobClaims:
        """The claims of ``token``; :class:`OidcError` when it is not a readable JWT."""
        parts = token.split(".")
        if len(parts) != 3:
            raise OidcError(
                "The OIDC token is not a JWT (three dot-separated parts).",
                "Check the job's id_tokens / id-token: write set-up; the token was not printed.",
            )
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (ValueError, RecursionError):
            payload = None
        if not isinstance(payload, dict):
            raise OidcError(
                "The OIDC token's payload is not a JSON object.",
                "Check the job's id_tokens / id-token: write set-up; the token was not printed.",
            )
        audience = payload.get("aud")
        if isinstance(audience, list):
            audience = tuple(a for a in audience if isinstance(a, str))
        texts = {k: v for k, v in payload.items() if isinstance(v, str)}
        return cls(
            issuer=texts.get("iss", ""),
            audience=audience if isinstance(audience, str | tuple) else "",
            **{name: texts.get(name, "") for name in _TEXT_CLAIMS},
        )

    def text(self, name: str) -> str:
        """A string claim by its name in the token (``job_workflow_ref``, ``ref``...)."""
        value = getattr(self, name, "") if name in _TEXT_CLAIMS else ""
        return value if isinstance(value, str) else ""


_TEXT_CLAIMS = (
    "repository",
    "workflow_ref",
    "job_workflow_ref",
    "event_name",
    "project_path",
    "ci_config_ref_uri",
    "pipeline_source",
    "environment",
    "ref",
)


@dataclass(frozen=True)
class IdentityToken:
    """The job's OIDC token and its claims, decoded once (None, with the reason, when the
    token is not a readable JWT: PyPI will say so itself)."""

    value: str = field(repr=False)
    claims: JobClaims | None
    unreadable: OidcError | None = field(default=None, repr=False)

    @classmethod
    def of(cls, value: str) -> IdentityToken:
        try:
            return cls(value, JobClaims.decode(value))
        except OidcError as error:
            return cls(value, None, error)

    def readable_claims(self) -> JobClaims:
        """The claims, or the error saying why they cannot be read."""
        if self.claims is None:
            assert self.unreadable is not None
            raise self.unreadable
        return self.claims


def oidc_available(env: Mapping[str, str]) -> bool:
    """This job can prove who it is: GitHub's token service, or a GitLab id_tokens variable."""
    github = all(env.get(name) for name in GITHUB_REQUEST_VARIABLES)
    return bool(github or env.get("PYPI_ID_TOKEN") or env.get("TESTPYPI_ID_TOKEN"))
