"""``verify --reproduce``: rebuild the release from its tag and compare it, byte for byte,
with what the index serves.

The tag's commit is checked out in a scratch git worktree (the checkout itself is not
touched), built in a fresh isolated environment (no cached one) with SOURCE_DATE_EPOCH
from that commit, as ``build`` dates a release. Every distribution the index serves is
downloaded and compared: a file that differs is named with the archive members that
differ and, for the metadata file, the fields. A backend known to stamp the build time
into a file whatever SOURCE_DATE_EPOCH says gives a note, not a mismatch, when only
timestamps differ.
"""

from __future__ import annotations

import dataclasses
import email.parser
import gzip
import hashlib
import io
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.artifacts import ARTIFACT_SUFFIXES, artifact_kind
from releasekit.config import read_toml
from releasekit.errors import VcsError, VerifyError
from releasekit.plan import resolve_plan
from releasekit.repositories import redact_url
from releasekit.steps.build import build_release
from releasekit.vcs import Git

if TYPE_CHECKING:
    from releasekit.index import IndexFile
    from releasekit.plan import ReleasePlan
    from releasekit.repositories import Repository
    from releasekit.runner import Runner

REPRODUCED, MISMATCH, UNREPRODUCIBLE, NOT_REBUILT = (
    "reproduced",
    "mismatch",
    "unreproducible",
    "not rebuilt",
)
# (backend package, artifact kind) -> why its output differs from build to build.
UNREPRODUCIBLE_BACKENDS = {
    ("setuptools", "sdist"): (
        "setuptools writes the times of the build into its sdists (the gzip header, and "
        "each member's modification time, PKG-INFO's too) whatever SOURCE_DATE_EPOCH says"
    ),
}
# What may differ between two builds of a backend that cannot help it.
_TIME_ONLY = {"timestamp"}


@dataclass(frozen=True)
class FileComparison:
    filename: str
    outcome: str  # reproduced, mismatch, unreproducible, not rebuilt
    served_sha256: str
    rebuilt_sha256: str | None = None
    # Archive members that differ, each with what differs: "pkg/__init__.py (content)".
    members: tuple[str, ...] = ()
    # Fields of the metadata file (METADATA, PKG-INFO) that differ.
    metadata_fields: tuple[str, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ReproduceResult:
    project: str
    version: str
    tag: str
    commit: str
    repository: str
    index_url: str
    backend: str
    source_date_epoch: int | None
    files: tuple[FileComparison, ...]
    build_seconds: float
    notes: tuple[str, ...] = field(default=())

    @property
    def mismatches(self) -> tuple[FileComparison, ...]:
        return tuple(f for f in self.files if f.outcome == MISMATCH)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": "verify",
            "ok": not self.mismatches,
            "reproduce": True,
            "project": self.project,
            "version": self.version,
            "tag": self.tag,
            "commit": self.commit,
            "repository": self.repository,
            "index_url": self.index_url,
            "backend": self.backend,
            "source_date_epoch": self.source_date_epoch,
            "build_seconds": round(self.build_seconds, 2),
            "files": [f.to_json() for f in self.files],
            "notes": list(self.notes),
        }

    def describe(self) -> str:
        lines = [
            f"rebuilt {self.project} {self.version} from {self.tag} (commit {self.commit[:12]}, "
            f"SOURCE_DATE_EPOCH={self.source_date_epoch}, {self.backend}) in "
            f"{self.build_seconds:.1f} s; compared with {self.repository} ({self.index_url}):"
        ]
        for f in self.files:
            if f.outcome == REPRODUCED:
                lines.append(f"  reproduced byte for byte: {f.filename}")
            elif f.outcome == MISMATCH:
                lines.append(f"  MISMATCH: {f.filename}")
                lines += [f"    member differs: {m}" for m in f.members]
                if f.metadata_fields:
                    lines.append(f"    metadata fields differ: {', '.join(f.metadata_fields)}")
            else:
                lines.append(f"  note: {f.filename}: {f.note}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def reproduce_release(
    plan: ReleasePlan,
    runner: Runner,
    repository: Repository,
) -> ReproduceResult:
    """Rebuild ``plan``'s current version from its release tag and compare the result
    with the distributions ``repository`` serves; a VerifyError (exit 11) on a mismatch."""
    name, version, tag = (
        plan.name,
        str(plan.current),
        plan.config.format_tag(str(plan.current), plan.name),
    )
    git = Git(runner, plan.root)
    commit = git.tag_commit(tag) if git.is_repository() else None
    if commit is None:
        raise VcsError(
            f"There is no tag {tag} to rebuild {name} {version} from.",
            "verify --reproduce rebuilds a release from its tag: run it in the project's git "
            "checkout, with the tags fetched (git fetch --tags).",
        )
    backend = _backend(plan.root)
    top = git.top() or plan.root
    # The index is read while the rebuild runs: its client's set-up (the credentials, a
    # keyring asked) and the downloads take a third of a cold build's time, and a rebuild
    # waits on its subprocesses. An index with nothing to compare says so once the
    # rebuild is done.
    with ThreadPoolExecutor(max_workers=1) as pool:
        fetching = pool.submit(_served_files, plan, repository, runner)
        epoch, rebuilt, seconds = _rebuild(plan, runner, commit, tag, top)
        served = fetching.result()
    files = tuple(
        compare_file(f.filename, data, rebuilt.get(f.filename), backend) for f, data in served
    )
    extra = sorted(set(rebuilt) - {f.filename for f, _ in served})
    notes = tuple(f"{n} was rebuilt but is not on {repository.name}" for n in extra)
    return ReproduceResult(
        project=name,
        version=version,
        tag=tag,
        commit=commit,
        repository=repository.name,
        index_url=redact_url(repository.index_url),
        backend=backend,
        source_date_epoch=epoch,
        files=files,
        build_seconds=seconds,
        notes=notes,
    )


def _served_files(
    plan: ReleasePlan, repository: Repository, runner: Runner
) -> list[tuple[IndexFile, bytes]]:
    """The distributions of ``plan``'s current version ``repository`` serves, downloaded
    (each exchange gets verify's whole timeout: a distribution may be large)."""
    name, version = plan.name, str(plan.current)
    index = plan.target(repository).index(timeout=plan.config.verify_timeout, log=runner.log)
    served = [
        f for f in index.release_files(name, version) if f.filename.endswith(ARTIFACT_SUFFIXES)
    ]
    if not served:
        raise VerifyError(
            f"{repository.name} ({redact_url(repository.index_url)}) has no files of "
            f"{name} {version} to compare with.",
            "Publish it first, or name the repository that has it (--repository).",
        )
    return [(f, index.download(f, plan.config.max_file_size)) for f in served]


def _rebuild(
    plan: ReleasePlan, runner: Runner, commit: str, tag: str, top: Path
) -> tuple[int, dict[str, bytes], float]:
    """The release rebuilt from ``commit`` in a scratch worktree, in a fresh isolated
    environment: SOURCE_DATE_EPOCH, the files' bytes by name, the build's seconds."""
    with tempfile.TemporaryDirectory(prefix="releasekit-reproduce-") as scratch:
        tree = Path(scratch) / "source"
        runner.log(f"Checking out {tag} ({commit[:12]}) in a scratch worktree...")
        runner.run(
            ["git", "worktree", "add", "--quiet", "--detach", str(tree), commit], cwd=plan.root
        )
        try:
            root = tree / plan.root.resolve().relative_to(top.resolve())
            epoch = Git(runner, root).last_commit_timestamp()
            # A fresh isolated environment: nothing cached from earlier builds.
            config = dataclasses.replace(plan.config, build_cache=False, build_isolation=True)
            rebuilt_plan = resolve_plan(root, config, runner)
            started = time.monotonic()
            build = build_release(
                rebuilt_plan,
                runner,
                outdir=Path(scratch) / "rebuilt",
                env={"SOURCE_DATE_EPOCH": str(epoch)},
            )
            seconds = time.monotonic() - started
            return epoch, {a.filename: a.path.read_bytes() for a in build.artifacts}, seconds
        finally:
            runner.run(["git", "worktree", "remove", "--force", str(tree)], cwd=plan.root)


def _backend(root: Path) -> str:
    """The build backend pyproject.toml names (setuptools' legacy one when none)."""
    pyproject = root / "pyproject.toml"
    system = read_toml(pyproject).get("build-system", {}) if pyproject.is_file() else {}
    backend = system.get("build-backend") if isinstance(system, dict) else None
    return str(backend or "setuptools.build_meta:__legacy__")


def compare_file(
    filename: str, served: bytes, rebuilt: bytes | None, backend: str
) -> FileComparison:
    """How the file the index serves compares with the one rebuilt from the tag."""
    served_sha = hashlib.sha256(served).hexdigest()
    if rebuilt is None:
        return FileComparison(
            filename,
            NOT_REBUILT,
            served_sha,
            note="the rebuild made no such file (built elsewhere: another platform's wheel?)",
        )
    rebuilt_sha = hashlib.sha256(rebuilt).hexdigest()
    if served_sha == rebuilt_sha:
        return FileComparison(filename, REPRODUCED, served_sha, rebuilt_sha)
    differences, fields = archive_differences(filename, served, rebuilt)
    members = tuple(f"{member} ({what})" for member, what in differences)
    why = UNREPRODUCIBLE_BACKENDS.get(
        (backend.split(".", maxsplit=1)[0].split(":", maxsplit=1)[0], artifact_kind(filename))
    )
    if why and not fields and {what for _, what in differences} <= _TIME_ONLY:
        note = f"not reproducible with {backend}: {why}; only timestamps differ"
        return FileComparison(filename, UNREPRODUCIBLE, served_sha, rebuilt_sha, members, note=note)
    return FileComparison(filename, MISMATCH, served_sha, rebuilt_sha, members, fields)


# --- archives -------------------------------------------------------------------------

Entry = tuple[bytes, dict[str, Any]]  # content, and what else the archive records


def archive_differences(
    filename: str, served: bytes, rebuilt: bytes
) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """The members that differ, ``(name, what)`` — what: content, timestamp, permissions,
    only on the index, only rebuilt, order — and the metadata fields that differ."""
    if filename.endswith(".tar.gz"):
        differences = _gzip_header(served, rebuilt)
        left, right = _tar_entries(gzip.decompress(served)), _tar_entries(gzip.decompress(rebuilt))
    else:
        differences = []
        left, right = _zip_entries(served), _zip_entries(rebuilt)
    for name in sorted(set(left) | set(right)):
        if name not in right:
            differences.append((name, "only on the index"))
        elif name not in left:
            differences.append((name, "only rebuilt"))
        else:
            differences += [(name, what) for what in _entry_differences(left[name], right[name])]
    if list(left) != list(right) and set(left) == set(right):
        differences.append(("(member order)", "order"))
    fields: tuple[str, ...] = ()
    metadata = next((n for n in left if _is_metadata(n) and n in right), None)
    if metadata is not None and left[metadata][0] != right[metadata][0]:
        fields = metadata_differences(left[metadata][0], right[metadata][0])
    return differences, fields


def _gzip_header(served: bytes, rebuilt: bytes) -> list[tuple[str, str]]:
    # RFC 1952: bytes 4-7 are MTIME; the rest of the header names and flags the file.
    if served[4:8] != rebuilt[4:8]:
        return [("(gzip header)", "timestamp")]
    if served[:10] != rebuilt[:10]:
        return [("(gzip header)", "content")]
    return []


def _tar_entries(data: bytes) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        for member in archive.getmembers():
            handle = archive.extractfile(member) if member.isfile() else None
            content = handle.read() if handle is not None else member.linkname.encode()
            entries[member.name] = (
                content,
                {
                    "timestamp": member.mtime,
                    "permissions": (
                        member.mode,
                        member.uid,
                        member.gid,
                        member.uname,
                        member.gname,
                        member.type,
                    ),
                },
            )
    return entries


def _zip_entries(data: bytes) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            entries[info.filename] = (
                archive.read(info),
                {
                    "timestamp": info.date_time,
                    "permissions": (info.external_attr, info.create_system),
                },
            )
    return entries


def _entry_differences(left: Entry, right: Entry) -> Iterable[str]:
    if left[0] != right[0]:
        yield "content"
    for what, value in left[1].items():
        if right[1].get(what) != value:
            yield what


def _is_metadata(name: str) -> bool:
    parts = name.split("/")
    return (len(parts) == 2 and parts[1] == "PKG-INFO") or (
        len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA"
    )


def metadata_differences(served: bytes, rebuilt: bytes) -> tuple[str, ...]:
    """The core metadata fields whose values differ (``Description`` for the body)."""
    parser = email.parser.BytesParser()
    left, right = parser.parsebytes(served), parser.parsebytes(rebuilt)
    names: dict[str, str] = {}
    for key in [*left.keys(), *right.keys()]:
        names.setdefault(key.lower(), key)
    fields = [
        shown
        for key, shown in names.items()
        if (left.get_all(key) or []) != (right.get_all(key) or [])
    ]
    if left.get_payload() != right.get_payload():
        fields.append("Description")
    return tuple(fields)
