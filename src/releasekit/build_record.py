"""What build made, kept per version in the git directory, so that once an upload of a
version began every rerun sends exactly those bytes.

Not every backend rebuilds byte for byte (setuptools writes the build time into its sdist,
pdm-backend into the gzip header), and a file once on an index is the release. So build
notes the commit and each file's sha256 in ``releasekit-built/NAME-VERSION/``; upload adds
the repository and keeps the files; from then on that version is never rebuilt, and
``publish`` and ``release --resume`` send the kept bytes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from releasekit.artifacts import Artifact, artifact_kind, artifact_paths, sha256_of
from releasekit.buildenv import build_byproducts
from releasekit.errors import BuildError, CommandError, UploadError
from releasekit.vcs import Git

if TYPE_CHECKING:
    from releasekit.plan import ReleasePlan
    from releasekit.runner import Runner
    from releasekit.vcs import Git

RECORDS = "releasekit-built"
RECORD_FILE = "record.json"
KEPT = "files"


@dataclass(frozen=True)
class BuildRecord:
    project: str
    version: str
    # None: not built from a clean git checkout (or not built by releasekit).
    commit: str | None
    files: Mapping[str, str]  # filename -> sha256
    # The repositories an upload of these files began to, in order.
    uploads: tuple[str, ...] = ()

    def describes(self, artifacts: Sequence[Artifact]) -> bool:
        return dict(self.files) == {a.filename: a.sha256 for a in artifacts}

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "version": self.version,
            "commit": self.commit,
            "files": dict(sorted(self.files.items())),
            "uploads": list(self.uploads),
        }


@dataclass(frozen=True)
class ReusedBuild:
    """The artifacts of an earlier build that a pipeline sends instead of building."""

    record: BuildRecord
    outdir: Path
    artifacts: tuple[Artifact, ...]
    # Files put back into outdir from the kept copies (missing or replaced there).
    restored: tuple[str, ...] = ()
    # Project files that changed since the commit the files were built from.
    changed: tuple[str, ...] = ()

    def describe(self) -> str:
        commit = (self.record.commit or "")[:12]
        built = f" built from {commit}" if commit else ""
        text = f"reused the {len(self.artifacts)} artifacts{built}, not rebuilt: " + (
            f"their upload to {', '.join(self.record.uploads)} began, and a rebuild need "
            "not be byte-identical"
            if self.record.uploads
            else "the release's tag is on that commit, and commits came after it"
        )
        if self.restored:
            text += (
                f"; put back into {self.outdir} from the kept copies: {', '.join(self.restored)}"
            )
        if self.changed:
            shown = ", ".join(self.changed[:5]) + (" ..." if len(self.changed) > 5 else "")
            text += f"; the project's files changed since ({shown}) and are not in this release"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "step": "build",
            "ok": True,
            "reused": True,
            "project": self.record.project,
            "version": self.record.version,
            "outdir": str(self.outdir),
            "commit": self.record.commit,
            "uploads": list(self.record.uploads),
            "restored": list(self.restored),
            "changed_since": list(self.changed),
            "artifacts": [
                {"filename": a.filename, "kind": a.kind, "size": a.size, "sha256": a.sha256}
                for a in self.artifacts
            ],
        }


def source_commit(git: Git, outdir: Path | None = None) -> str | None:
    """HEAD when the tree is clean (but for build output in ``outdir`` and setuptools'
    by-products), else None."""

    if not git.is_repository():
        return None
    try:
        head = git.head()
    except CommandError:  # a repository without commits
        return None
    ignored = set(build_byproducts(git, outdir))
    return None if any(p not in ignored for p in git.dirty_files()) else head


def record_dir(git: Git, name: str, version: str) -> Path | None:
    """Where the note on ``name`` ``version`` lives; None outside git."""
    try:
        top = git.git_dir()  # one git call: it fails outside a repository
    except CommandError:
        return None
    return top / RECORDS / f"{canonicalize_name(name)}-{version}"


def read_record(directory: Path) -> BuildRecord | None:
    try:
        data = json.loads((directory / RECORD_FILE).read_text(encoding="utf-8"))
        return BuildRecord(
            project=str(data["project"]),
            version=str(data["version"]),
            commit=None if data["commit"] is None else str(data["commit"]),
            files={str(k): str(v) for k, v in dict(data["files"]).items()},
            uploads=tuple(str(name) for name in data["uploads"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none, or not ours to trust


def write_record(directory: Path, outdir: Path, record: BuildRecord) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # Atomic: a reader sees the old note or the new one, never half of one.
    path = directory / RECORD_FILE
    scratch = path.with_suffix(".tmp")
    data = {"outdir": str(outdir.resolve()), **record.to_json()}
    scratch.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(scratch, path)


def sent_record(git: Git, name: str, version: str) -> BuildRecord | None:
    """The note on ``name`` ``version`` if an upload of its files began."""
    directory = record_dir(git, name, version)
    record = None if directory is None else read_record(directory)
    return record if record is not None and record.uploads else None


def built_commit(git: Git, name: str, version: str) -> str | None:
    """The commit the files of ``name`` ``version`` were built from, if releasekit built
    them from a clean tree: the source of the release, where its tag belongs."""
    directory = record_dir(git, name, version)
    record = None if directory is None else read_record(directory)
    return None if record is None else record.commit


def _name_and_version(filename: str) -> tuple[str, str] | None:
    try:
        if filename.endswith(".whl"):
            name, version, *_ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return str(name), str(version)


def note_upload(git: Git, artifacts: Sequence[Artifact], repository: str) -> None:
    """Note that an upload of ``artifacts`` to ``repository`` begins, and keep a copy of
    them: from now on those bytes are the release. UploadError, before anything is sent,
    if other bytes of this version went to an index already."""
    found = _name_and_version(artifacts[0].filename) if artifacts else None
    if found is None:
        return
    name, version = found
    directory = record_dir(git, name, version)
    if directory is None:
        return
    record = read_record(directory)
    outdir = artifacts[0].path.parent
    if record is not None and record.uploads and not record.describes(artifacts):
        raise UploadError(
            f"Other files of {name} {version} went to {', '.join(record.uploads)} already "
            f"(kept in {directory / KEPT}); {outdir} holds different ones, and a version's "
            "files never change once an upload began. Nothing was sent.",
            "Run publish or release --resume, which send the kept files; to release these "
            "files, bump the version.",
        )
    if record is None or not record.describes(artifacts):
        # Not built by releasekit (or rebuilt by hand since): these bytes are the record.
        files = {a.filename: a.sha256 for a in artifacts}
        record = BuildRecord(name, version, None, files)
    if repository in record.uploads:
        return
    _keep(directory / KEPT, artifacts)
    uploads = (*record.uploads, repository)
    write_record(
        directory,
        outdir,
        BuildRecord(record.project, record.version, record.commit, record.files, uploads),
    )


def _keep(kept: Path, artifacts: Sequence[Artifact]) -> None:
    kept.mkdir(parents=True, exist_ok=True)
    for artifact in artifacts:
        copy = kept / artifact.filename
        if copy.is_file() and (
            os.path.samefile(copy, artifact.path) or sha256_of(copy) == artifact.sha256
        ):
            continue
        scratch = kept / f".{artifact.filename}.tmp"
        scratch.unlink(missing_ok=True)
        try:
            # A build replaces dist/'s files by rename, never in place: a link is a copy.
            os.link(artifact.path, scratch)
        except OSError:
            shutil.copyfile(artifact.path, scratch)
        os.replace(scratch, copy)


def refuse_rebuild(git: Git, name: str, version: str, outdir: Path) -> None:
    """BuildError if an upload of ``name`` ``version`` began: its files are the release."""
    record = sent_record(git, name, version)
    if record is None:
        return
    directory = record_dir(git, name, version)
    raise BuildError(
        f"The files of {name} {version} went to {', '.join(record.uploads)} (an upload "
        "began), so they are the release: they are not rebuilt or overwritten, since a "
        f"rebuild need not be byte-identical. {outdir} was left as it was; the files are "
        f"kept in {directory} with their sha256.",
        "Nothing to build for this version: an unfinished release is finished by publish "
        "or release --resume (they send those files); to build changed files, bump the "
        "version first.",
    )


def reusable_build(
    plan: ReleasePlan, runner: Runner, *, commits_after: bool = False
) -> ReusedBuild | None:
    """The files a pipeline must send rather than build: those of ``plan.version`` whose
    upload began, put back into ``plan.outdir`` from the kept copies if they are not
    there. None: no upload of this version began, build. BuildError if the files are
    neither in the output directory nor kept, or if the project's files changed since
    they were built, unless ``commits_after`` (a release's tag pins what was built)."""

    git = Git(runner, plan.root)
    directory = record_dir(git, plan.name, str(plan.version))
    record = None if directory is None else read_record(directory)
    if directory is None or record is None:
        return None
    outdir = plan.outdir
    if not record.uploads and not (
        commits_after and _built_at_moved_tag(git, plan, record, outdir)
    ):
        return None
    changed: list[str] = []
    if record.commit is not None:
        try:
            changed = git.differs_from(record.commit)
        except CommandError:  # that commit is gone (amended, rebased away): say so
            changed = [f"the commit {record.commit[:12]} itself is no longer in this repository"]
    if changed and not commits_after:
        shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
        raise BuildError(
            f"The files of {plan.name} {plan.version} went to {', '.join(record.uploads)} "
            f"(built from {record.commit[:12] if record.commit else 'a checkout'}), and the "
            f"project's files changed since ({shown}). Those changes are not in "
            f"{plan.version}, and its files are never rebuilt: a filename can never be "
            f"reused with other bytes. Nothing was built or sent; {outdir} was left as it was.",
            "Bump the version to publish the changes, or check out the commit the files "
            "were built from to finish publishing them.",
        )
    restored = _restore(record, directory / KEPT, outdir)
    # Each file's sha256 was just checked against the note (or copied from a checked copy).
    artifacts = tuple(
        sorted(
            (
                Artifact(path, artifact_kind(path.name), path.stat().st_size, digest)
                for path, digest in ((outdir / f, d) for f, d in record.files.items())
            ),
            key=lambda a: (a.kind != "wheel", a.filename),
        )
    )
    for stale in artifact_paths(outdir):
        if stale.name not in record.files and _name_and_version(stale.name) == (
            canonicalize_name(plan.name),
            str(plan.version),
        ):
            stale.unlink()  # another build of this version: never to be sent beside these
    return ReusedBuild(record, outdir, artifacts, tuple(restored), tuple(changed))


def _built_at_moved_tag(git: Git, plan: ReleasePlan, record: BuildRecord, outdir: Path) -> bool:
    """Files not yet sent, built from the commit the release's tag is on (a tag-versioned
    project's bump made it), still in ``outdir``, with commits after the tag: rebuilding
    from HEAD would build another version, so they are the release too."""
    tagged = git.tag_commit(plan.tag)
    if tagged is None or tagged != record.commit or tagged == git.head():
        return False
    artifacts = [Artifact.from_path(p) for p in artifact_paths(outdir)]
    return record.describes(artifacts)


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _unchanged_link(target: Path, copy: Path, noted: int) -> bool:
    """``target`` is the kept copy itself (a hard link) and nothing wrote to it since the
    note was written after linking it: its bytes are the noted ones without hashing them
    again (check hashes what it sends anyway)."""
    try:
        same = os.path.samefile(target, copy)
    except OSError:
        return False
    return same and 0 <= _mtime_ns(copy) <= noted


def _restore(record: BuildRecord, kept: Path, outdir: Path) -> list[str]:
    """Put the kept copies of ``record``'s files into ``outdir`` where they are missing or
    different; the names put back. BuildError if a needed copy is gone or changed."""
    restored = []
    noted = _mtime_ns(kept.parent / RECORD_FILE)
    for filename, digest in sorted(record.files.items()):
        target, copy = outdir / filename, kept / filename
        if _unchanged_link(target, copy, noted) or (
            target.is_file() and sha256_of(target) == digest
        ):
            continue
        if not copy.is_file() or sha256_of(copy) != digest:
            raise BuildError(
                f"The files of {record.project} {record.version} went to "
                f"{', '.join(record.uploads)}, and {filename} with sha256 {digest} is "
                f"neither in {outdir} nor kept in {kept}: sending a rebuild instead would "
                "put other bytes under the same name. Nothing was built or sent.",
                f"Put that file back into {outdir} (download it from "
                f"{record.uploads[0]}), or bump the version to release a new build.",
            )
        outdir.mkdir(parents=True, exist_ok=True)
        scratch = outdir / f".{filename}.releasekit-tmp"
        shutil.copyfile(copy, scratch)
        os.replace(scratch, target)
        restored.append(filename)
    return restored
