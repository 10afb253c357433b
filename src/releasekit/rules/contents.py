"""Each artifact opened once: its members and the few files PyPI reads, for every rule.

What is read follows warehouse's upload view: an sdist's metadata is PKG-INFO in the one
top-level directory; a wheel's METADATA, WHEEL, RECORD and entry_points.txt are looked up
under the ``.dist-info`` directory named by the wheel's filename (``{name}-{version}``),
not found by searching.
"""

from __future__ import annotations

import functools
import os
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from releasekit.artifacts import (
    MetadataErrors,
    license_files_dropped,
    read_tar_member,
    read_zip_member,
    tar_members,
    zip_members,
)

if TYPE_CHECKING:
    from packaging.metadata import InvalidMetadata, Metadata, RawMetadata

    from releasekit.artifacts import Artifact

# The small files a wheel's rules read, under its .dist-info directory.
WHEEL_FILES = ("METADATA", "WHEEL", "RECORD", "entry_points.txt")
# Compression methods warehouse accepts in a zip.
ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})


@dataclass
class ArtifactContents:
    """What one artifact holds, as far as PyPI's upload rules look."""

    artifact: Artifact
    # Why the archive cannot be opened at all (then everything below is empty).
    unreadable: str = ""
    names: tuple[str, ...] = ()  # every member name, directories included
    top_level: str = ""  # sdist: the common directory of all members
    dist_info: str = ""  # wheel: "{name}-{version}.dist-info" from the filename
    files: dict[str, bytes] = field(default_factory=dict)  # the few files read, by member name
    unpacked_size: int = 0
    bad_compression: bool = False  # a zip member neither stored nor deflated
    sparse: bool = False  # a tar member stored sparse (GNU extension)
    metadata_path: str = ""
    raw: RawMetadata | None = None  # the metadata fields as written (None: no metadata file)
    metadata: Metadata | None = None  # validated; None when invalid
    metadata_errors: list[InvalidMetadata] = field(default_factory=list)

    @functools.cached_property
    def members(self) -> frozenset[str]:
        """The member names, for look-ups."""
        return frozenset(self.names)

    @property
    def filename(self) -> str:
        return self.artifact.filename

    @property
    def is_wheel(self) -> bool:
        return self.artifact.kind == "wheel"


def read_contents(artifact: Artifact) -> ArtifactContents:
    """Open ``artifact`` once and keep what every rule needs."""
    contents = ArtifactContents(artifact)
    path = str(artifact.path)
    try:
        if artifact.filename.endswith((".whl", ".zip")):
            with zipfile.ZipFile(path) as archive:
                _read_zip(contents, archive)
        elif artifact.filename.endswith(".tar.gz"):
            with tarfile.open(path, "r:gz") as archive:
                _read_tar(contents, archive)
        else:
            contents.unreadable = "neither a .whl, a .tar.gz nor a .zip file"
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        kind = "zipfile" if artifact.filename.endswith((".whl", ".zip")) else "tarfile"
        contents.unreadable = f"File is not a {kind} ({exc})"
    except ValueError as exc:  # ArchiveLimitError: bounded reads of untrusted archives
        contents.unreadable = str(exc)
    if contents.metadata_path in contents.files:
        _parse_metadata(contents, contents.files[contents.metadata_path])
    return contents


def _read_zip(contents: ArtifactContents, archive: zipfile.ZipFile) -> None:
    infos = zip_members(archive)
    contents.names = tuple(info.filename for info in infos)
    contents.unpacked_size = sum(info.file_size for info in infos)
    contents.bad_compression = any(info.compress_type not in ZIP_METHODS for info in infos)
    if contents.is_wheel:
        name, version = ([*contents.filename.split("-", 2), "", ""])[:2]
        contents.dist_info = f"{name}-{version}.dist-info"
        wanted = [f"{contents.dist_info}/{member}" for member in WHEEL_FILES]
        contents.metadata_path = wanted[0]
    else:
        contents.top_level = _common_path(contents.names)
        contents.metadata_path = f"{contents.top_level}/PKG-INFO"
        wanted = [contents.metadata_path]
    present = set(contents.names)
    for member in wanted:
        if member in present:
            contents.files[member] = read_zip_member(archive, member)


def _read_tar(contents: ArtifactContents, archive: tarfile.TarFile) -> None:
    members = tar_members(archive)  # reads the whole stream, as PyPI does
    contents.names = tuple(m.name for m in members)
    contents.unpacked_size = sum(m.size for m in members)
    contents.sparse = any(m.issparse() for m in members)
    contents.top_level = _common_path(contents.names)
    contents.metadata_path = f"{contents.top_level}/PKG-INFO"
    for member in members:
        if member.name == contents.metadata_path and member.isfile():
            contents.files[member.name] = read_tar_member(archive, member)


def _common_path(names: tuple[str, ...]) -> str:
    try:
        return os.path.commonpath(names) if names else ""
    except ValueError:  # absolute and relative names mixed
        return ""


def _parse_metadata(contents: ArtifactContents, data: bytes) -> None:
    from packaging.metadata import (
        _EMAIL_TO_RAW_MAPPING,
        InvalidMetadata,
        Metadata,
        parse_email,
    )

    raw, unparsed = parse_email(data)
    if license_files_dropped(raw.get("metadata_version", "")):
        # As twine does: setuptools wrote License-File under Metadata-Version 2.1 with
        # another meaning; twine drops it from the upload, so PyPI never sees it.
        raw.pop("license_files", None)
        unparsed.pop("license-file", None)
    contents.raw = raw
    # Fields packaging does not know are not sent by twine: PyPI never sees them.
    contents.metadata_errors = [
        InvalidMetadata(key, f"{key!r} has invalid data")
        for key in unparsed
        if key.lower() in _EMAIL_TO_RAW_MAPPING
    ]
    try:
        contents.metadata = Metadata.from_raw(raw, validate=True)
    except MetadataErrors as group:
        contents.metadata_errors += [e for e in group.exceptions if isinstance(e, InvalidMetadata)]
    if contents.metadata_errors:
        contents.metadata = None
