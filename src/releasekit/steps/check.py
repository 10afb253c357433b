"""check: every pre-flight check, all failures listed at once.

twine check --strict, artifact names and metadata against the project, PEP 440 form,
public-index rules, git guards, and what the target index already has of this version.
"""

from __future__ import annotations

import fnmatch
import shlex
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from packaging.version import Version

from releasekit.artifacts import (
    Artifact,
    artifact_problems,
    filename_standard_problems,
    find_artifacts,
    read_metadata,
)
from releasekit.config import ReleaseConfig, Repository
from releasekit.errors import CheckError, CommandError, ReleaseError
from releasekit.project import load_project, normalize_name
from releasekit.repositories import index_client, is_public
from releasekit.runner import Runner
from releasekit.steps.bump import current_version
from releasekit.vcs import Git

# What reading a damaged wheel (zip) or sdist (tar) raises.
UNREADABLE = (OSError, ValueError, zipfile.BadZipFile, tarfile.TarError)

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
            "notes": list(self.notes),
        }

    def raise_for_failures(self) -> None:
        if self.failures:
            listed = "\n".join(f"  - {failure}" for failure in self.failures)
            error = CheckError(
                f"{len(self.failures)} check(s) failed for {self.project} {self.version} "
                f"(target: {self.repository}):\n{listed}",
                "Fix each of them, rebuild if an artifact was involved, and run check again.",
            )
            error.details = self.to_json()
            raise error


def _attestations(artifacts: tuple[Artifact, ...]) -> tuple[list[str], list[str]]:
    """The attestation files beside the artifacts, and what is wrong with them."""
    from releasekit.upload import attestation_path, load_attestation

    names, problems = [], []
    for artifact in artifacts:
        path = attestation_path(artifact.path)
        if path.is_file():
            names.append(path.name)
            try:
                load_attestation(path, artifact.filename, artifact.sha256)
            except ReleaseError as exc:
                problems.append(str(exc))
    return names, problems


def check_release(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    repository: Repository,
    *,
    outdir: Path | None = None,
    index: Any = None,
) -> CheckResult:
    """Run every check against ``repository``; never stops at the first failure.

    ``index`` is an :class:`~releasekit.index.IndexClient` for the repository (one is made
    from ``repository.index_url`` if not given).
    """
    project = load_project(root, config)
    version = current_version(project, config, runner)
    outdir = outdir or root / config.build_outdir
    artifacts = find_artifacts(outdir)
    failures: list[str] = []
    passed: list[str] = []
    notes: list[str] = []

    def record(name: str, problems: list[str]) -> None:
        failures.extend(problems)
        if not problems:
            passed.append(name)

    if not artifacts:
        raise CheckError(
            f"There are no artifacts to check in {outdir}.",
            "Build first: releasekit build.",
        )
    record("twine check --strict", _twine_check(runner, artifacts))
    record("artifact names", _name_problems(artifacts, project.name, version))
    record("artifact metadata", _metadata_problems(artifacts, project.name, version))
    record(
        "PEP 440 version",
        _version_form_problems(
            project.read_version() if not project.vcs_versioned else str(version)
        ),
    )
    record("target rules", _target_problems(artifacts, version, repository, config))
    attested, problems = _attestations(artifacts)
    if attested:
        record("attestations", problems)
        notes.extend(f"{name} is uploaded with its file" for name in attested)
    git = Git(runner, root)
    if git.is_repository():
        record("git", _git_problems(git, config, project.name, version))
    else:
        notes.append(f"{root} is not a git repository: git checks skipped.")
    on_index = compare_with_index(
        index or index_client(repository, log=runner.log),
        repository,
        project.name,
        str(version),
        artifacts,
        config.allow_other_files,
    )
    record(f"index {repository.name}", on_index.problems)
    if on_index.others:
        notes.append(
            f"{repository.name} also has {', '.join(on_index.others)} (built elsewhere: "
            "allowed by allow-other-files)."
        )
    return CheckResult(
        project=project.name,
        version=str(version),
        repository=repository.name,
        artifacts=artifacts,
        index=tuple(on_index.statuses),
        failures=tuple(failures),
        passed=tuple(passed),
        notes=tuple(notes),
    )


def _twine_check(runner: Runner, artifacts: tuple[Artifact, ...]) -> list[str]:
    argv = [runner.python, "-m", "twine", "check", "--strict", *(str(a.path) for a in artifacts)]
    try:
        # A wide console: twine's messages stay one line each (rich wraps at 80 columns).
        runner.run(argv, env={"COLUMNS": "1000"})
    except CommandError as exc:
        lines = [line.strip() for line in exc.output.splitlines() if line.strip()]
        if any("Traceback (most recent call last):" in line for line in lines):
            lines = lines[-1:]  # twine crashed (a damaged file): its last line says why
        detail = "; ".join(line for line in lines if not line.startswith("Checking "))
        return [f"twine check --strict failed: {detail or exc.message} (run: {shlex.join(argv)})"]
    return []


def _name_problems(artifacts: tuple[Artifact, ...], name: str, version: Version) -> list[str]:
    problems = artifact_problems([a.filename for a in artifacts], name, version)
    for artifact in artifacts:
        problems.extend(filename_standard_problems(artifact.filename))
    return problems


def _metadata_problems(artifacts: tuple[Artifact, ...], name: str, version: Version) -> list[str]:
    problems = []
    for artifact in artifacts:
        try:
            metadata = read_metadata(artifact)
        except UNREADABLE as exc:
            problems.append(f"{artifact.filename}: cannot read its metadata ({exc})")
            continue
        found_name, found_version = metadata.get("Name", ""), metadata.get("Version", "")
        if normalize_name(found_name) != normalize_name(name):
            problems.append(
                f"{artifact.filename}: metadata Name is {found_name!r}, the project is {name!r}"
            )
        if found_version != str(version):
            problems.append(
                f"{artifact.filename}: metadata Version is {found_version!r}, "
                f"the project is {version}"
            )
    return problems


def _version_form_problems(written: str) -> list[str]:
    normal = str(Version(written))
    if written != normal:
        return [
            f"the version is written {written!r}; its normalised form is {normal!r}, "
            "which is what the tag, the filenames and the index use — write that"
        ]
    return []


def _target_problems(
    artifacts: tuple[Artifact, ...],
    version: Version,
    repository: Repository,
    config: ReleaseConfig,
) -> list[str]:
    problems = []
    if version.local is not None and not is_public(repository) and repository.name == "prod":
        problems.append(
            f"{version} has a local version label (+{version.local}); refusing it for prod "
            "(local versions are for builds that are never published)"
        )
    if is_public(repository):
        if version.local is not None:
            problems.append(
                f"{version} has a local version label (+{version.local}); public "
                f"indexes refuse it ({repository.name} is {repository.upload_url})"
            )
        for artifact in artifacts:
            try:
                classifiers = read_metadata(artifact).get_all("Classifier") or []
            except UNREADABLE:
                continue  # already reported by the metadata check
            if any(c.startswith("Private ::") for c in classifiers):
                problems.append(
                    f"{artifact.filename} has a 'Private ::' classifier: it is meant "
                    f"never to reach a public index like {repository.name}"
                )
    if repository.name == "prod" and version.is_devrelease and not config.allow_dev_to_prod:
        problems.append(
            f"{version} is a development release; refusing it for prod "
            "(set allow-dev-to-prod = true if you mean it)"
        )
    return problems


def _git_problems(git: Git, config: ReleaseConfig, name: str, version: Version) -> list[str]:
    problems = []
    dirty = git.dirty_files()
    if dirty:
        problems.append(
            "the working tree has uncommitted changes: "
            + ", ".join(dirty[:5])
            + (" ..." if len(dirty) > 5 else "")
        )
    tag = config.format_tag(str(version), name)
    tag_commit = git.tag_commit(tag)
    # The tag may be on an earlier commit if the project's files are the same there (in a
    # monorepo, other packages moved on since); HEAD itself has nothing to compare.
    changed = git.changed_since(tag_commit) if tag_commit not in (None, git.head()) else []
    branch = git.branch()
    if not branch:
        if tag_commit is None or changed:  # detached is fine at the release tag (CI)
            problems.append(f"HEAD is detached and not at the tag {tag}")
    elif not any(fnmatch.fnmatchcase(branch, p) for p in config.release_branches):
        problems.append(
            f"the branch {branch!r} is not a release branch "
            f"({', '.join(config.release_branches)}; see release-branches)"
        )
    if changed:
        problems.append(
            f"the tag {tag} exists but points at {tag_commit[:12] if tag_commit else ''}, and "
            f"the project's files changed since ({', '.join(changed[:5])}"
            + (" ..." if len(changed) > 5 else "")
            + "): bump the version for a new release"
        )
    return problems


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
    index = index or index_client(repository)
    try:
        remote = {f.filename: f for f in index.release_files(name, version)}
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
