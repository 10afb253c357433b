"""Trusted publishing's upload token: the CI job's OIDC identity traded at PyPI's
``/_/oidc/mint-token`` for a 15-minute token, minted again before it runs out. Neither the
identity nor the minted token ever appears in a message.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from releasekit.errors import CredentialsError
from releasekit.net import printable, secret_forms
from releasekit.repositories import PYPI_AUDIENCES, pypi_host_of
from releasekit.secret import Secret
from releasekit.trust.identity import GITHUB_REQUEST_VARIABLES, IdentityToken
from releasekit.trust.oidc import Answer, ci_identity_token, exchange_json, pypi_audience

FAILED = "Trusted publishing failed"
# Named in a refusal, in this order: what PyPI compared with its trusted publishers.
_MATCHED = (
    ("repository", "repository"),
    ("workflow", "job_workflow_ref"),
    ("environment", "environment"),
    ("project path", "project_path"),
    ("ref", "ref"),
)


class TrustedPublishingToken:
    """A PyPI upload token minted from the CI job's OIDC identity.

    PyPI's token lives 15 minutes; :meth:`current` mints again when less than ``margin``
    seconds are left, so a long upload never sends an expired token.
    """

    def __init__(
        self,
        upload_url: str,
        env: Mapping[str, str],
        *,
        log: Callable[[str], object] | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
        margin: float = 180.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        host = pypi_host_of(upload_url)
        fallback = f"https://{host or urlsplit(upload_url).hostname or ''}"
        self.base_url = (base_url or fallback).rstrip("/")
        # GitLab's variable is named after PyPI's audience; GitHub's is asked from PyPI.
        self.audience = PYPI_AUDIENCES.get(host, "pypi")
        self.env = env
        self.timeout = timeout
        self.margin = margin
        self._log = log
        self._clock = clock
        self._token: Secret | None = None
        self._expires = 0.0
        self._secrets: list[str] = [env.get(GITHUB_REQUEST_VARIABLES[1], "")]
        self._lock = threading.Lock()

    def current(self) -> Secret:
        with self._lock:
            if self._token is None or self._clock() > self._expires - self.margin:
                again = self._token is not None
                self._token, self._expires = self._mint()
                if self._log is not None:
                    verb = "minted again (the last one was about to expire)" if again else "minted"
                    left = self._expires - self._clock()
                    self._log(f"trusted publishing: upload token {verb}, valid {left:.0f} s")
            return self._token

    def _mint(self) -> tuple[Secret, float]:
        identity = self._identity()
        self._secrets.append(identity.value)
        where = f"{self.base_url}/_/oidc/mint-token"
        answer = exchange_json(
            where,
            {"token": identity.value},
            failed=FAILED,
            secrets=self._secrets,
            timeout=self.timeout,
        )
        token = answer.field("token")
        if answer.status != 200 or not isinstance(token, str) or not token:
            raise self._mint_refused(where, answer, identity)
        self._secrets.append(token)
        expires = answer.field("expires")
        if isinstance(expires, int | float) and math.isfinite(expires):
            return Secret(token), float(expires)
        return Secret(token), self._clock() + 900

    def _identity(self) -> IdentityToken:
        audience = self.audience
        if all(self.env.get(name) for name in GITHUB_REQUEST_VARIABLES):
            audience = pypi_audience(self.base_url, failed=FAILED, timeout=self.timeout)
        return ci_identity_token(self.env, audience, failed=FAILED, timeout=self.timeout)

    def _mint_refused(
        self, where: str, answer: Answer, identity: IdentityToken
    ) -> CredentialsError:
        errors = answer.field("errors")
        errors = errors if isinstance(errors, list) else []
        described = [
            f"{e.get('code', '?')}: {e.get('description', '')}".strip()
            for e in errors
            if isinstance(e, dict)
        ]
        message = answer.field("message")
        said = "; ".join(described) or (str(message) if message is not None else "no reason given")
        if answer.status == 200:
            said = f"no token ({said})" if described or message is not None else "no token"
        codes = {e.get("code") for e in errors if isinstance(e, dict)}
        claims = identity.claims
        matched = ", ".join(
            f"{name} {claims.text(key)!r}"
            for name, key in _MATCHED
            if claims is not None and claims.text(key)
        )
        if "invalid-publisher" in codes:
            hint = (
                f"No trusted publisher of the project on {urlsplit(self.base_url).hostname} "
                f"matches this job ({matched or 'claims unreadable'}). Add or fix it on the "
                "project's Publishing settings page: owner/repository, workflow file name "
                "and environment must match exactly."
            )
        else:
            hint = f"This job's identity: {matched or 'claims unreadable'}."
        status = f"HTTP {answer.status}" if answer.status else "no answer"
        return CredentialsError(
            self._scrub(f"{FAILED}: {where} answered {status}: {said}."),
            self._scrub(hint),
        )

    def _scrub(self, text: str) -> str:
        # What PyPI or the CI said, decoded, without a secret in any form, fit to print.
        return printable(text, secret_forms(self._secrets))
