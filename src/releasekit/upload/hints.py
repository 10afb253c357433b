"""What to tell a user when an index refuses an upload: hints chosen by the index's reason
(PyPI's forklift wording); and what a 401 or 403 means in words: 401, the login was not
accepted (a wrong password or token); 403, a login that was accepted but may not upload
this project. PyPI's own reasons (an expired token, one scoped to another project, not a
maintainer, 2FA) are told apart from the text it answers with, which is all it gives."""

from __future__ import annotations

from typing import Protocol

from releasekit.errors import CredentialsError


def says_exists(status: int, said: str) -> bool:
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


TOKEN_USER = "__token__"


class UploadTarget(Protocol):
    """What the upload knows about where it went (releasekit.upload's settings)."""

    @property
    def where(self) -> str: ...
    @property
    def repository(self) -> str: ...
    @property
    def credentials_source(self) -> str: ...
    @property
    def missing_credentials_hint(self) -> str: ...


def credentials_refused(
    target: UploadTarget, status: int, said: str, auth: tuple[str, str] | None
) -> CredentialsError:
    """The error for an upload refused with ``status`` (401 or 403) and the index's words
    ``said``; ``auth`` is the login that was sent (None: none was)."""
    answered = f"{target.where} answered {status} {said}"
    if auth is None:
        return CredentialsError(
            f"{answered}: it needs credentials to upload, and none were found for the "
            f"repository {target.repository!r}.",
            target.missing_credentials_hint,
        )
    user = auth[0]
    source = f" (from {target.credentials_source})" if target.credentials_source else ""
    problem, hint = _pypi_reason(said.lower(), source) or _by_status(status, user, source)
    return CredentialsError(f"{answered}: {problem}.", hint)


def _pypi_reason(lowered: str, source: str) -> tuple[str, str] | None:
    if "expired" in lowered:
        return (
            "the token has expired",
            "Create a new API token (or, with trusted publishing, run the job again).",
        )
    if "not valid for project" in lowered or "not valid for this project" in lowered:
        return (
            "the token is scoped to another project",
            "Create a token scoped to this project, or an account-wide one for a first upload.",
        )
    if "isn't allowed to upload" in lowered or "not allowed to upload" in lowered:
        return (
            "the login was accepted, but it is not allowed to upload this project: its owner "
            "is not an owner or maintainer of it (or the name belongs to someone else)",
            "Ask an owner to add you as a maintainer, or choose another project name.",
        )
    if "two factor" in lowered or "2fa" in lowered or "trusted publish" in lowered:
        return (
            "this project takes uploads only with an API token or trusted publishing "
            "(two-factor authentication is on, passwords are refused)",
            "Upload with an API token (username __token__) or from CI with trusted publishing.",
        )
    if "invalid or non-existent" in lowered:  # PyPI's 403 for a token it does not know
        return _wrong_login(TOKEN_USER, source)
    return None


def _by_status(status: int, user: str, source: str) -> tuple[str, str]:
    if status == 401:
        return _wrong_login(user, source)
    # 403 is "not allowed": a login that may not upload this project. pypiserver also
    # answers 403 to a wrong password, and nothing in its answer tells the two apart.
    return (
        f"{user}{source} is not allowed to upload this project (a missing permission; "
        "pypiserver also answers 403 to a wrong password)",
        f"Ask the index's administrator or the project's owner to let {user} upload it; on "
        "PyPI, use a token scoped to this project (account-wide for a first upload). On a "
        f"pypiserver, check the password of {user} first.",
    )


def _wrong_login(user: str, source: str) -> tuple[str, str]:
    if user == TOKEN_USER:
        return (
            f"the token{source} was not accepted: it is wrong (mistyped or truncated), "
            "revoked, or made for another index",
            "Check the token: PyPI's and TestPyPI's differ; a token goes with the username "
            "__token__.",
        )
    return (
        f"the password for {user!r}{source} was not accepted: a wrong password, or no such "
        "user on this index",
        f"Check the password of {user} for this index (with an API token, the username is "
        "__token__).",
    )
