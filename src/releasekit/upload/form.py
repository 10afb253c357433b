"""The upload form: what PyPI's legacy upload API reads, built from a distribution file.

The fields are the file's core metadata (read by :func:`releasekit.artifacts.metadata_bytes`,
the reader check uses), the file type and Python version, the sha256 digest and any PEP 740
attestations, as twine sends them (tests compare it with twine's ``PackageFile`` over the
rules corpus). The multipart body streams the file from disk: a 200 MB file is never in
memory.
"""

from __future__ import annotations

import json
import re
import secrets
import tarfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.metadata import parse_email

from releasekit.artifacts import license_files_dropped, metadata_bytes
from releasekit.errors import UploadError

BLOCK = 1 << 20


@dataclass(frozen=True)
class DistFile:
    """One file to upload, with what the index will be told about it."""

    path: Path
    sha256: str
    attestations: tuple[Mapping[str, object], ...] = ()

    @property
    def filename(self) -> str:
        return self.path.name


def read_metadata(path: Path) -> bytes:
    """The core metadata file inside a wheel (``METADATA``) or an sdist (``PKG-INFO``)."""
    try:
        return metadata_bytes(path, "wheel" if path.name.endswith(".whl") else "sdist")
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise UploadError(
            f"{path.name} cannot be read as a distribution ({exc}).",
            "Build it again (releasekit build).",
        ) from None
    except ValueError:
        raise UploadError(
            f"{path.name} has no core metadata file (METADATA or PKG-INFO).",
            "Build it again with a standard build backend (releasekit build).",
        ) from None


# Core metadata fields (packaging's raw names) -> the upload form's field names: the
# fields twine 7 sends (its _RAW_TO_PACKAGE_METADATA), and only those. Newer fields
# (Metadata 2.5's Import-Name) stay in the file, where PyPI reads them; the form follows
# twine when twine sends them. tests/integration/test_rules_corpus.py compares the form
# with twine's over real distributions.
_FORM_NAMES = {
    "metadata_version": "metadata_version",
    "name": "name",
    "version": "version",
    "platforms": "platform",
    "summary": "summary",
    "description": "description",
    "keywords": "keywords",
    "home_page": "home_page",
    "author": "author",
    "author_email": "author_email",
    "license": "license",
    "supported_platforms": "supported_platform",
    "download_url": "download_url",
    "classifiers": "classifiers",
    "requires": "requires",
    "provides": "provides",
    "obsoletes": "obsoletes",
    "maintainer": "maintainer",
    "maintainer_email": "maintainer_email",
    "requires_dist": "requires_dist",
    "provides_dist": "provides_dist",
    "obsoletes_dist": "obsoletes_dist",
    "requires_python": "requires_python",
    "requires_external": "requires_external",
    "project_urls": "project_urls",
    "description_content_type": "description_content_type",
    "provides_extra": "provides_extra",
    "dynamic": "dynamic",
    "license_expression": "license_expression",
    "license_files": "license_file",
}


def form_fields(dist: DistFile) -> list[tuple[str, str]]:
    """The upload form without the file: metadata, digests, attestations, protocol."""
    raw, _unparsed = parse_email(read_metadata(dist.path))
    if license_files_dropped(str(raw.get("metadata_version", ""))):
        # setuptools wrote License-File under Metadata-Version 2.1 with another meaning:
        # left out of the upload, as twine does (PyPI would refuse it there).
        raw.pop("license_files", None)
    name = str(raw.get("name", ""))
    fields: list[tuple[str, str]] = [(":action", "file_upload"), ("protocol_version", "1")]
    for key, value in raw.items():
        form_name = _FORM_NAMES.get(key)
        if key == "name" or form_name is None:
            continue
        if isinstance(value, dict):
            fields.extend((form_name, f"{label}, {url}") for label, url in value.items())
        elif isinstance(value, list) and key == "keywords":
            fields.append((form_name, ", ".join(value)))
        elif isinstance(value, list):
            fields.extend((form_name, str(item)) for item in value)
        else:
            fields.append((form_name, str(value)))
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

    def chunks(self, sent: Callable[[int], object] = lambda _: None) -> Iterator[bytes]:
        """The body block by block; ``sent`` hears the size of each block as it goes."""
        for chunk in self._blocks():
            yield chunk
            sent(len(chunk))

    def _blocks(self) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as f:
            yield from iter(lambda: f.read(BLOCK), b"")
        yield self.tail
