"""Built distributions on disk: what they are, their hashes, names and metadata."""

from __future__ import annotations

import email.parser
import hashlib
import os
import re
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from releasekit.project import normalize_name

ArtifactKind = Literal["sdist", "wheel"]
# The only files the build step ever deletes from an output directory.
ARTIFACT_SUFFIXES = (".whl", ".tar.gz", ".zip")

# Archives are untrusted input: a 1 MB wheel may hold a 1 GiB METADATA (a zip bomb). The
# small files read from one (METADATA, PKG-INFO, RECORD, WHEEL, entry_points.txt) are read
# up to this size, never more; real ones are KB (the largest RECORDs a few MB).
MEMBER_LIMIT = 32 * 1024 * 1024
# Members listed from one archive (real wheels have up to tens of thousands).
MEMBERS_LIMIT = 500_000


class ArchiveLimitError(ValueError):
    """An archive holds more than releasekit reads: a member too large, too many members."""


def read_zip_member(archive: zipfile.ZipFile, name: str, limit: int = MEMBER_LIMIT) -> bytes:
    """The member ``name`` of ``archive``, decompressed up to ``limit`` bytes: a larger one
    (whatever its header claims) is :class:`ArchiveLimitError`, read no further."""
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ArchiveLimitError(_too_large(name, limit))
    return data


def read_tar_member(
    archive: tarfile.TarFile, member: tarfile.TarInfo, limit: int = MEMBER_LIMIT
) -> bytes:
    """The regular file ``member`` of ``archive``, up to ``limit`` bytes (as above)."""
    if member.size > limit:
        raise ArchiveLimitError(_too_large(member.name, limit))
    extracted = archive.extractfile(member)
    if extracted is None:
        raise ValueError(f"{member.name} is not a regular file")
    with extracted:
        data = extracted.read(limit + 1)
    if len(data) > limit:
        raise ArchiveLimitError(_too_large(member.name, limit))
    return data


def zip_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The members of ``archive``, at most :data:`MEMBERS_LIMIT`."""
    infos = archive.infolist()
    if len(infos) > MEMBERS_LIMIT:
        raise ArchiveLimitError(f"it has {len(infos)} members, more than {MEMBERS_LIMIT}")
    return infos


def tar_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The members of ``archive`` (the whole stream is read, as PyPI reads it), at most
    :data:`MEMBERS_LIMIT`: the headers are listed, no member's data is kept."""
    members = []
    for member in archive:
        members.append(member)
        if len(members) > MEMBERS_LIMIT:
            raise ArchiveLimitError(f"it has more than {MEMBERS_LIMIT} members")
    return members


def _too_large(name: str, limit: int) -> str:
    return (
        f"{name} is larger than {limit // (1024 * 1024)} MiB unpacked, which no real "
        "distribution's metadata is (a damaged or hostile archive)"
    )


@dataclass(frozen=True)
class Artifact:
    path: Path
    kind: ArtifactKind
    size: int
    sha256: str

    @property
    def filename(self) -> str:
        return self.path.name

    @classmethod
    def from_path(cls, path: Path) -> Artifact:
        return cls(path, artifact_kind(path.name), path.stat().st_size, sha256_of(path))


def artifact_kind(filename: str) -> ArtifactKind:
    return "wheel" if filename.endswith(".whl") else "sdist"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    # One reused buffer (as hashlib.file_digest, 3.11+): no new block allocated per read.
    buffer = bytearray(1 << 18)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as f:
        while size := f.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def artifact_paths(directory: Path) -> tuple[Path, ...]:
    """The distribution files directly in ``directory`` (none if it does not exist)."""
    if not directory.is_dir():
        return ()
    return tuple(
        sorted(p for p in directory.iterdir() if p.is_file() and p.name.endswith(ARTIFACT_SUFFIXES))
    )


def find_artifacts(directory: Path) -> tuple[Artifact, ...]:
    """The artifacts in ``directory``, wheels first (the order uploads use)."""
    paths = artifact_paths(directory)
    if len(paths) > 1:
        # Hashing releases the GIL: files are hashed on every core at once.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(len(paths), os.cpu_count() or 1, 8)) as pool:
            found = list(pool.map(Artifact.from_path, paths))
    else:
        found = [Artifact.from_path(path) for path in paths]
    return tuple(sorted(found, key=lambda a: (a.kind != "wheel", a.filename)))


def artifact_problems(
    filenames: Iterable[str], name: str, version: Version, *, one_of_each: bool = False
) -> list[str]:
    """Every way ``filenames`` differ from the artifacts of ``name`` ``version``, at once.

    Names follow the binary distribution format (PEP 427/491) and PEP 625; versions
    compare as PEP 440 (``1.0`` is ``1.0.0``). A release has at most one sdist; a build
    (``one_of_each``) makes exactly one sdist and one wheel.
    """
    expected = normalize_name(name)
    problems: list[str] = []
    found: dict[ArtifactKind, list[str]] = {"sdist": [], "wheel": []}
    for filename in filenames:
        kind = artifact_kind(filename)
        try:
            if kind == "wheel":
                found_name, found_version, _, _ = parse_wheel_filename(filename)
            else:
                found_name, found_version = parse_sdist_filename(filename)
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion) as exc:
            problems.append(f"{filename}: not a valid {kind} name ({exc})")
            continue
        found[kind].append(filename)
        if found_name != expected:
            problems.append(f"{filename}: project name {found_name}, expected {expected}")
        if found_version != version:
            problems.append(f"{filename}: version {found_version}, expected {version}")
    for kind, files in found.items():
        if len(files) > 1 and (one_of_each or kind == "sdist"):
            problems.append(f"{len(files)} {kind}s ({', '.join(files)}), expected one")
        elif not files and one_of_each:
            problems.append(f"0 {kind}s (none), expected one")
    if not found["sdist"] and not found["wheel"] and not one_of_each:
        problems.append("no sdist and no wheel")
    return problems


_PEP625 = re.compile(r"^(?P<name>[a-z0-9_]+)-(?P<version>[^-]+)\.tar\.gz$")
_WHEEL_NAME = re.compile(r"^[a-z0-9_]+$")


def filename_standard_problems(filename: str) -> list[str]:
    """What PyPI's newer filename rules reject that packaging still parses."""
    if filename.endswith(".zip"):
        return [f"{filename}: a .zip sdist; PEP 625 sdists are .tar.gz"]
    if filename.endswith(".tar.gz"):
        if not _PEP625.match(filename):
            return [
                f"{filename}: not a PEP 625 sdist name ({{normalized_name}}-{{version}}"
                ".tar.gz, the name lowercase with underscores)"
            ]
        return []
    name = filename.split("-", 1)[0]
    if not _WHEEL_NAME.match(name):
        return [
            f"{filename}: the wheel's name part {name!r} is not normalised (lowercase, "
            "runs of -_. as one underscore)"
        ]
    return []


def read_metadata(artifact: Artifact) -> Message:
    """The core metadata (METADATA / PKG-INFO) inside a wheel or sdist."""
    raw = metadata_bytes(artifact.path, artifact.kind)
    return email.parser.BytesParser().parsebytes(raw)


def metadata_bytes(path: Path, kind: ArtifactKind) -> bytes:
    """The core metadata file of a wheel or sdist, as written; raises what reading a
    damaged archive raises, or ValueError when there is not exactly one."""
    if kind == "wheel":
        with zipfile.ZipFile(path) as wheel:
            names = [
                i.filename
                for i in zip_members(wheel)
                if i.filename.count("/") == 1 and i.filename.endswith(".dist-info/METADATA")
            ]
            if len(names) != 1:
                raise ValueError(f"{path.name} has {len(names)} .dist-info/METADATA files")
            return read_zip_member(wheel, names[0])
    # gzip only, as twine and PyPI read a .tar.gz (a plain or xz tar under that name fails).
    with tarfile.open(path, "r:gz" if path.name.endswith(".tar.gz") else "r:*") as sdist:
        members = [
            m for m in tar_members(sdist) if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
        ]
        if len(members) != 1:
            raise ValueError(f"{path.name} has no top-level PKG-INFO")
        if not members[0].isfile():
            raise ValueError(f"{path.name}: PKG-INFO is not a regular file")
        return read_tar_member(sdist, members[0])


# What packaging's Metadata.from_raw raises, every problem at once: the builtin
# ExceptionGroup on 3.11+, packaging's own class before. packaging.metadata keeps the
# name only "for a bit" since packaging.errors took it.
try:
    from packaging.errors import ExceptionGroup as _ExceptionGroup
except ImportError:  # packaging < 25
    from packaging.metadata import ExceptionGroup as _ExceptionGroup
MetadataErrors = _ExceptionGroup


def license_files_dropped(metadata_version: str) -> bool:
    """Metadata older than 2.4: setuptools wrote License-File there with another meaning,
    and twine (and releasekit) leave those fields out of the upload."""
    try:
        return Version(metadata_version) < Version("2.4")
    except InvalidVersion:
        return False
