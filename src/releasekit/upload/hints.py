"""What to tell a user when an index refuses an upload: hints chosen by the index's reason
(PyPI's forklift wording), and 401/403 told apart."""

from __future__ import annotations

from typing import Protocol

from releasekit.errors import CredentialsError


class UploadTarget(Protocol):
    """What a refusal names of the upload (``UploadSettings`` is one)."""

    @property
    def where(self) -> str: ...
    @property
    def repository(self) -> str: ...
    @property
    def credentials_source(self) -> str: ...
    @property
    def missing_credentials_hint(self) -> str: ...


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


def credentials_refused(
    settings: UploadTarget, status: int, said: str, sent: bool
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
