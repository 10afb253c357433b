"""check: every pre-flight check, all failures listed at once.

twine check --strict, artifact names and metadata against the project, PEP 440 form,
public-index rules, git guards, and what the target index already has of this version.
"""

from __future__ import annotations

import email.parser
import tarfile
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import Version

from releasekit.artifacts import (
    Artifact,
    MetadataErrors,
    artifact_problems,
    filename_standard_problems,
    find_artifacts,
    license_files_dropped,
    metadata_bytes,
)
from releasekit.attestations import attestation_path, load_attestation
from releasekit.buildenv import build_byproducts
from releasekit.changelog import changelog_mentions
from releasekit.comparison import CheckResult, compare_with_index
from releasekit.config import ReleaseConfig, env_variable
from releasekit.errors import CheckError, ReleaseError
from releasekit.index import IndexClient
from releasekit.lockfiles import stale_locks
from releasekit.plan import ReleasePlan
from releasekit.preflight import git_problems, policy_problems
from releasekit.project import normalize_name
from releasekit.repositories import Repository
from releasekit.rules import CHECK_IDS, check_pypi_rules, check_rule_ids
from releasekit.rules.description import (
    DESCRIPTION_CHECKS,
    METADATA,
    TWINE_CHECK,
    DescriptionFinding,
    description_findings,
    skipped,
)
from releasekit.runner import Runner
from releasekit.vcs import Git

# What reading a damaged wheel (zip) or sdist (tar.gz) raises: a truncated one ends in
# EOFError or a zlib error.
UNREADABLE = (OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError)


def _attestations(artifacts: tuple[Artifact, ...]) -> tuple[list[str], list[str]]:
    """The attestation files beside the artifacts, and what is wrong with them."""
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
    plan: ReleasePlan,
    runner: Runner,
    repository: Repository,
    *,
    outdir: Path | None = None,
    index: Any = None,
    artifact_checks: bool = True,
) -> CheckResult:
    """Run every check against ``repository``; never stops at the first failure.

    ``index`` is an :class:`~releasekit.index.IndexClient` for the repository (one is made
    from ``repository.index_url`` if not given). ``artifact_checks=False`` leaves out what
    depends on the artifacts alone (twine check, names, metadata): a pipeline checking the
    same files for its second repository has done those.
    """

    root, config, project, version = plan.root, plan.config, plan.project, plan.version
    # A typo is an error for every target, at once.
    check_rule_ids(config.skip_checks, _source_of(config, "skip-checks"))
    outdir = outdir or plan.outdir
    index = index or plan.target(repository).index(log=runner.log)
    if isinstance(index, IndexClient):  # its answer is needed last: asked for first
        index.prefetch_release_files(project.name, str(version))
    artifacts = find_artifacts(outdir)
    failures: list[str] = []
    passed: list[str] = []
    notes: list[str] = list(project.notes)
    warnings: list[str] = []

    def record(name: str, problems: list[str]) -> None:
        failures.extend(problems)
        if not problems:
            passed.append(name)

    if not artifacts:
        raise CheckError(
            f"There are no artifacts to check in {outdir}.",
            "Build first: releasekit build.",
        )
    if artifact_checks:
        found = _artifact_checks(artifacts, plan)
        for name, problems in found.checks:
            record(name, problems)
        warnings.extend(found.warnings)
        notes.extend(found.notes)
    record("target rules", policy_problems(version, repository, config))
    if config.pypi_rules or repository.pypi_host:
        rules = check_pypi_rules(
            artifacts,
            project.name,
            version,
            index=index,
            skip=config.skip_checks,
            max_file_size=config.max_file_size,
        )
        record("PyPI upload rules", rules.failures)
        warnings.extend(rules.warnings)
        notes.extend(rules.notes)
    if any(location.detected for location in project.locations):
        record("__version__ in the package", project.stale_locations(str(version)))
    changelog_problems = changelog_mentions(
        project.changelog, project.changelog_style, str(version)
    )
    if config.changelog_required:
        record("changelog", changelog_problems)
    else:
        warnings.extend(changelog_problems)
    warnings.extend(stale_locks(project, str(version)))
    attested, problems = _attestations(artifacts)
    if attested:
        record("attestations", problems)
        notes.extend(f"{name} is uploaded with its file" for name in attested)
    git_found = _git_findings(Git(runner, root), plan, notes)
    if git_found is not None:
        record("git", git_found)
    on_index = compare_with_index(
        index,
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
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class ArtifactFindings:
    checks: list[tuple[str, list[str]]]  # (check, its failures), in order
    warnings: list[str]
    notes: list[str]


def _artifact_checks(artifacts: tuple[Artifact, ...], plan: ReleasePlan) -> ArtifactFindings:
    """What depends on the artifacts alone: twine check, names, metadata, version form."""
    project, version, skip = plan.project, plan.version, plan.config.skip_checks
    metadata = _read_metadata(artifacts)
    found = ArtifactFindings([], [], _skipped_twine_checks(skip))
    twine = _twine_check(metadata, skip)
    if twine is not None:
        found.checks.append(("twine check", twine.failures))
        found.warnings.extend(twine.warnings)
    found.checks.extend(
        [
            ("artifact names", _name_problems(artifacts, project.name, version)),
            ("artifact metadata", _metadata_problems(metadata, project.name, version)),
            ("PEP 440 version", version_form_problems(plan)),
        ]
    )
    return found


def _source_of(config: ReleaseConfig, key: str) -> str:
    """Where ``key`` was set, as a user finds it (the variable, not just "environment")."""

    source = config.sources.get(key, "")
    return f"environment variable {env_variable(key)}" if source == "environment" else source


def _git_findings(git: Git, plan: ReleasePlan, notes: list[str]) -> list[str] | None:
    """The git guard's problems (None outside git); notes on what it passed over."""
    if not git.is_repository():
        notes.append(f"{plan.root} is not a git repository: git checks skipped.")
        return None
    byproducts = build_byproducts(git, plan.outdir)
    if byproducts:
        notes.append(
            f"{', '.join(byproducts)}: build output and by-products, not counted as "
            "uncommitted changes; add them to .gitignore."
        )
    return git_problems(git, plan.config, plan.name, plan.version, set(byproducts))


def _read_metadata(artifacts: tuple[Artifact, ...]) -> dict[str, bytes | str]:
    """Each artifact's core metadata file, or why it cannot be read (by filename)."""
    found: dict[str, bytes | str] = {}
    for artifact in artifacts:
        try:
            found[artifact.filename] = metadata_bytes(artifact.path, artifact.kind)
        except UNREADABLE as exc:
            found[artifact.filename] = str(exc)
    return found


@dataclass(frozen=True)
class TwineFindings:
    failures: list[str]
    warnings: list[str]


def _skipped_twine_checks(skip: Sequence[str]) -> list[str]:

    if TWINE_CHECK in skip:
        return [
            f"skipped by skip-checks ({TWINE_CHECK}): {CHECK_IDS[TWINE_CHECK]}; nothing of "
            "it was checked."
        ]
    left_out = [check_id for check_id in skip if check_id in DESCRIPTION_CHECKS]
    return [f"twine check: skipped by skip-checks: {', '.join(left_out)}."] if left_out else []


def _twine_check(
    metadata: dict[str, bytes | str], skip: Sequence[str] = ()
) -> TwineFindings | None:
    """What ``twine check --strict`` finds, in-process, each part under its own id: the
    metadata as twine validates it (packaging's parser) and the long description rendered
    as twine and PyPI render it (readme_renderer). A failure is what twine or PyPI would
    refuse; twine's strict warnings (no content type, no description) stay warnings, as
    PyPI takes them. Running twine itself costs a Python start-up and its imports, a
    third of a second on every check. None when ``skip`` has twine-check."""
    if TWINE_CHECK in skip:
        return None
    found = TwineFindings([], [])
    # The wheels of a release mostly carry the same METADATA: each text is checked once.
    verdicts: dict[bytes, list[DescriptionFinding]] = {}
    for filename, data in metadata.items():
        if isinstance(data, bytes):
            findings = verdicts.get(data)
            if findings is None:
                findings = verdicts[data] = _twine_findings(data)
        else:
            findings = [DescriptionFinding(METADATA, f"cannot be read ({data})")]
        for finding in findings:
            if skipped(finding.check_id, tuple(skip)):
                continue
            line = f"{filename}: {finding.message} [{finding.check_id}]"
            if finding.severity == "failure":
                found.failures.append(f"twine check failed: {line}")
            else:
                found.warnings.append(line)
    return found


def _twine_findings(data: bytes) -> list[DescriptionFinding]:
    """One metadata file's findings under twine check --strict (twine 6-7's rules)."""
    from packaging.metadata import Metadata, parse_email

    raw, unparsed = parse_email(data)
    if license_files_dropped(raw.get("metadata_version", "0")):
        # twine drops setuptools' License-File under older metadata versions.
        raw.pop("license_files", None)
        unparsed.pop("license-file", None)
    if unparsed:
        fields = "; ".join(f"unrecognized or malformed field {key!r}" for key in unparsed)
        return [DescriptionFinding(METADATA, f"invalid distribution metadata: {fields}")]
    try:
        Metadata.from_raw(raw)
    except MetadataErrors as group:
        return [
            DescriptionFinding(
                METADATA,
                "invalid distribution metadata: " + "; ".join(sorted(map(str, group.exceptions))),
            )
        ]
    return description_findings(raw.get("description", ""), raw.get("description_content_type"))


def _name_problems(artifacts: tuple[Artifact, ...], name: str, version: Version) -> list[str]:
    problems = artifact_problems([a.filename for a in artifacts], name, version)
    for artifact in artifacts:
        problems.extend(filename_standard_problems(artifact.filename))
    return problems


def _metadata_problems(metadata: dict[str, bytes | str], name: str, version: Version) -> list[str]:
    problems = []
    for filename, data in metadata.items():
        if isinstance(data, str):
            problems.append(f"{filename}: cannot read its metadata ({data})")
            continue
        parsed = email.parser.BytesParser().parsebytes(data)
        found_name, found_version = parsed.get("Name", ""), parsed.get("Version", "")
        if normalize_name(found_name) != normalize_name(name):
            problems.append(f"{filename}: metadata Name is {found_name!r}, the project is {name!r}")
        if found_version != str(version):
            problems.append(
                f"{filename}: metadata Version is {found_version!r}, the project is {version}"
            )
    return problems


def version_form_problems(plan: ReleasePlan) -> list[str]:
    """The version as written in the files must be its normalised form."""
    if plan.project.vcs_versioned or plan.bump:
        return []  # a tag or a bump writes the normalised form
    written = plan.written
    normal = str(Version(written))
    if written != normal:
        return [
            f"the version is written {written!r}; its normalised form is {normal!r}, "
            "which is what the tag, the filenames and the index use — write that"
        ]
    return []
