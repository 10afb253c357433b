"""Local artifacts against what an index has of a release, in one vocabulary.

Each local file is ``absent`` from the index, ``identical`` there (same sha256), or
``different`` (a name that can never be reused); a file the index has that was not built
here is a conflict unless ``allow-other-files`` accepts it. check, upload and verify all
decide from this comparison, and check's verdict (:class:`CheckResult`) is what upload
starts from.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from releasekit.errors import CheckError, ConfigError, ExitCode, ReleaseError

if TYPE_CHECKING:
    from releasekit.artifacts import Artifact
    from releasekit.repositories import Repository

IndexState = Literal["absent", "identical", "different", "unknown"]


@dataclass(frozen=True)
class IndexStatus:
    """What the target index has under one local artifact's filename."""

    filename: str
    local_sha256: str
    state: IndexState
    index_sha256: str | None = None


class IndexComparison(NamedTuple):
    statuses: list[IndexStatus]  # one per local artifact
    problems: list[str]  # conflicts that forbid uploading
    others: tuple[str, ...] = ()  # files built elsewhere that allow-other-files accepts


def compare_with_index(
    index: Any,
    repository: Repository,
    name: str,
    version: str,
    artifacts: tuple[Artifact, ...],
    allow_other_files: Sequence[str] = (),
) -> IndexComparison:
    """Each artifact's state on the index, and the conflicts that forbid uploading.

    Files of the release that were not built here are a conflict unless they match a glob
    of ``allow_other_files``.
    """
    try:
        remote = {f.filename: f for f in index.release_files(name, version)}
    except ConfigError:
        raise  # a setting to fix (an unreadable CA bundle), not an answer of the index
    except ReleaseError as exc:
        unknown = [IndexStatus(a.filename, a.sha256, "unknown") for a in artifacts]
        return IndexComparison(unknown, [f"could not ask {repository.name} what it has: {exc}"])
    statuses, problems = [], []
    for artifact in artifacts:
        found = remote.pop(artifact.filename, None)
        if found is None:
            statuses.append(IndexStatus(artifact.filename, artifact.sha256, "absent"))
        elif found.sha256 == artifact.sha256:
            statuses.append(
                IndexStatus(artifact.filename, artifact.sha256, "identical", found.sha256)
            )
        else:
            statuses.append(
                IndexStatus(artifact.filename, artifact.sha256, "different", found.sha256)
            )
            problems.append(
                f"{artifact.filename} is already on {repository.name} with sha256 "
                f"{found.sha256 or 'unknown'}, but the local file has sha256 {artifact.sha256}; "
                "a filename can never be reused — bump the version and release that"
            )
    others = sorted(f for f in remote if is_allowed_other(f, allow_other_files))
    for filename in others:
        del remote[filename]
    if remote:
        problems.append(
            f"{name} {version} already exists on {repository.name} with other files ("
            + ", ".join(sorted(remote))
            + "); bump the version and release that"
            + (
                ""
                if allow_other_files
                else " (or list them in allow-other-files if another "
                "job of the same release uploads them)"
            )
        )
    return IndexComparison(statuses, problems, tuple(others))


def is_allowed_other(filename: str, allow_other_files: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(filename, glob) for glob in allow_other_files)


@dataclass(frozen=True)
class CheckResult:
    project: str
    version: str
    repository: str
    artifacts: tuple[Artifact, ...]
    index: tuple[IndexStatus, ...]
    failures: tuple[str, ...]
    passed: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def already_uploaded(self) -> tuple[str, ...]:
        return tuple(s.filename for s in self.index if s.state == "identical")

    def to_json(self) -> dict[str, Any]:
        return {
            "step": "check",
            "ok": self.ok,
            "project": self.project,
            "version": self.version,
            "repository": self.repository,
            "artifacts": [
                {"filename": a.filename, "sha256": a.sha256, "size": a.size} for a in self.artifacts
            ],
            "index": [
                {
                    "filename": s.filename,
                    "state": s.state,
                    "local_sha256": s.local_sha256,
                    "index_sha256": s.index_sha256,
                }
                for s in self.index
            ],
            "failures": list(self.failures),
            "passed": list(self.passed),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }

    def raise_for_failures(self) -> None:
        if self.failures:
            listed = "\n".join(f"  - {failure}" for failure in self.failures)
            error = CheckError(
                f"{len(self.failures)} check(s) failed for {self.project} {self.version} "
                f"(target: {self.repository}):\n{listed}",
                "Fix each of them (rebuild if an artifact was involved).",
            )
            if any(s.state == "unknown" for s in self.index):
                # The index could not be read: its own kind of failure, whatever command
                # meets it (exit 13), with every other failure still listed.
                error.exit_code = ExitCode.INDEX
            error.details = self.to_json()
            raise error
