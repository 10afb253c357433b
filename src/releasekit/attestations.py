"""PEP 740 publish attestations as files: ``dist/NAME.whl.publish.attestation`` beside each
distribution, what one must say (a statement whose subject is exactly that file), and
which uploads may carry them (PyPI and TestPyPI, from trusted publishing only). Signing
and verifying provenance live in :mod:`releasekit.provenance`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path

from releasekit.errors import UploadError
from releasekit.repositories import Repository

ATTESTATION_SUFFIX = ".publish.attestation"


def attestation_path(artifact: Path) -> Path:
    """Where the attestation of ``artifact`` lives: next to it, named after it."""
    return artifact.with_name(artifact.name + ATTESTATION_SUFFIX)


def attestation_refusal(repository: Repository, trusted_publishing: bool) -> str:
    """Why attestations cannot go with this upload ("" when they can)."""
    if not repository.pypi_host:
        return f"{repository.name} is not PyPI or TestPyPI, which alone accept attestations"
    if not trusted_publishing:
        return (
            "the upload uses an API token, and PyPI accepts attestations only from a trusted "
            "publisher"
        )
    return ""


class _NotAnAttestation(ValueError):
    """The text is not JSON with an envelope whose statement names subjects."""


def _read(text: str | bytes) -> tuple[dict[str, object], list[tuple[object, object]]]:
    """The attestation document and its statement's subjects as (name, sha256) pairs."""
    try:
        document = json.loads(text)
        statement = json.loads(base64.b64decode(document["envelope"]["statement"]))
        subjects = [
            (s.get("name"), (s.get("digest") or {}).get("sha256")) for s in statement["subject"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise _NotAnAttestation(exc.__class__.__name__) from None
    if not isinstance(document, dict):
        raise _NotAnAttestation("not a JSON object")
    return document, subjects


def load_attestation(path: Path, filename: str, sha256: str) -> Mapping[str, object]:
    """The attestation ``path`` for ``filename``, checked: JSON, and its statement's
    subject names this very file (name and sha256)."""
    try:
        document, subjects = _read(path.read_bytes())
    except _NotAnAttestation as exc:
        raise UploadError(
            f"{path.name} is not a PEP 740 attestation (JSON with an envelope whose statement "
            f"names a subject): {exc}.",
            "Delete it and create the attestation again, or build again (which removes it).",
        ) from None
    if (filename, sha256) not in subjects:
        there = ", ".join(f"{n} sha256:{d}" for n, d in subjects) or "no subject"
        raise UploadError(
            f"{path.name} attests {there}, not {filename} sha256:{sha256}.",
            "It belongs to another build: delete it and attest the current files again.",
        )
    return document


def check_signed(text: str, filename: str, sha256: str) -> None:
    """A signer's output must be an attestation of exactly this file (name and sha256)."""
    try:
        _, subjects = _read(text)
    except _NotAnAttestation:
        subjects = []
    if not subjects:
        raise UploadError(
            f"The signer's attestation for {filename} is not a PEP 740 attestation.",
            "Nothing was uploaded; report this with the signer in use.",
        )
    if subjects[0] != (filename, sha256):
        raise UploadError(
            f"The signer's attestation for {filename} signs another file ({subjects[0][0]}).",
            "Nothing was uploaded; report this with the signer in use.",
        )
