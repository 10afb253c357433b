"""What build made, noted in the git directory, so that a rerun sends the release's own
files.

Not every backend builds byte-identical archives from one commit, whatever
SOURCE_DATE_EPOCH says: setuptools writes the build time into its sdist (PKG-INFO's
mtime, the gzip header), pdm-backend into the gzip header. Once a file of a release has
gone to an index, those bytes are the release: a rebuild that differs can never be
uploaded beside them, and a prod file that differs from test's would break the promise
that every index holds exactly what was built and verified.

So build notes, for its output directory, the project, the version, the commit it built
from (only from a clean tree) and each file's sha256, in ``releasekit-built/`` in the git
directory (never committed; ``dist/`` holds only what build makes). Upload adds the
repository to the note before sending anything. ``publish`` and ``release --resume``
reuse the files instead of building again when the note still describes them: the same
project and version, built from a commit whose project files HEAD still has, every file
unchanged, and an upload of them begun. Anything else builds afresh, so a backend
upgraded before the first upload still gets its chance.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.artifacts import Artifact, artifact_problems, find_artifacts
from releasekit.errors import CommandError

if TYPE_CHECKING:
    from releasekit.plan import ReleasePlan
    from releasekit.runner import Runner
    from releasekit.vcs import Git

RECORDS = "releasekit-built"


@dataclass(frozen=True)
class BuildRecord:
    project: str
    version: str
    # None: not built from a clean git checkout, so the source cannot be told again.
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

    def describe(self) -> str:
        commit = (self.record.commit or "")[:12]
        return (
            f"reused the {len(self.artifacts)} artifacts built from {commit}, not rebuilt: "
            f"their upload to {', '.join(self.record.uploads)} began, and a rebuild need not "
            "be byte-identical"
        )

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
            "artifacts": [
                {"filename": a.filename, "kind": a.kind, "size": a.size, "sha256": a.sha256}
                for a in self.artifacts
            ],
        }


def source_commit(git: Git, outdir: Path | None = None) -> str | None:
    """HEAD when the tree is clean (but for build output in ``outdir`` and setuptools'
    by-products), else None."""
    from releasekit.preflight import build_byproducts

    if not git.is_repository():
        return None
    try:
        head = git.head()
    except CommandError:  # a repository without commits
        return None
    ignored = set(build_byproducts(git, outdir))
    return None if any(p not in ignored for p in git.dirty_files()) else head


def record_path(git: Git, outdir: Path) -> Path | None:
    """Where the note on ``outdir`` lives: one per output directory (a monorepo's packages
    build in parallel); None outside git, where no source can be told again."""
    if not git.is_repository():
        return None
    key = hashlib.sha256(str(outdir.resolve()).encode()).hexdigest()[:16]
    return git.git_dir() / RECORDS / f"{key}.json"


def read_record(path: Path) -> BuildRecord | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return BuildRecord(
            project=str(data["project"]),
            version=str(data["version"]),
            commit=None if data["commit"] is None else str(data["commit"]),
            files={str(k): str(v) for k, v in dict(data["files"]).items()},
            uploads=tuple(str(name) for name in data["uploads"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none, or not ours to trust: the pipeline builds


def write_record(path: Path, outdir: Path, record: BuildRecord) -> None:
    path.parent.mkdir(exist_ok=True)
    # Atomic: a reader sees the old note or the new one, never half of one.
    scratch = path.with_suffix(".tmp")
    data = {"outdir": str(outdir.resolve()), **record.to_json()}
    scratch.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(scratch, path)


def note_upload(git: Git, artifacts: Sequence[Artifact], repository: str) -> None:
    """Note that an upload of ``artifacts`` to ``repository`` begins: from now on those
    bytes are the release, and a rerun sends them rather than a rebuild."""
    if not artifacts:
        return
    outdir = artifacts[0].path.parent
    path = record_path(git, outdir)
    record = None if path is None else read_record(path)
    if path is None or record is None:
        return
    if not record.describes(artifacts) or repository in record.uploads:
        return
    uploads = (*record.uploads, repository)
    write_record(
        path,
        outdir,
        BuildRecord(record.project, record.version, record.commit, record.files, uploads),
    )


def reusable_build(plan: ReleasePlan, runner: Runner) -> ReusedBuild | None:
    """The artifacts in ``plan.outdir`` if a pipeline must send them rather than build:
    built by releasekit for this version from the source HEAD has, unchanged since, and
    already (partly) uploaded. None: build."""
    from releasekit.vcs import Git

    git = Git(runner, plan.root)
    path = record_path(git, plan.outdir)
    record = None if path is None else read_record(path)
    if (
        record is None
        or not record.uploads
        or record.commit is None
        or record.project != plan.name
        or record.version != str(plan.version)
    ):
        return None
    artifacts = find_artifacts(plan.outdir)
    problems = artifact_problems(
        [a.filename for a in artifacts], plan.name, plan.version, one_of_each=True
    )
    if problems or not record.describes(artifacts):
        return None
    now = source_commit(git, plan.outdir)
    if now is None:
        return None
    if now != record.commit:
        try:
            if git.changed_since(record.commit):
                return None
        except CommandError:  # that commit is gone (amended, rebased away)
            return None
    return ReusedBuild(record, plan.outdir, artifacts)
