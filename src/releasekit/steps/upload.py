"""upload-test / upload-prod: releasekit's own upload client, resumable on every index.

Before uploading, the index is asked what it already has: identical files are skipped,
a different file under the same name stops everything. So an interrupted upload is
finished by running the same command again, on PyPI, devpi, pypiserver or GitLab alike.
The exchange itself (releasekit.upload) decides each file's outcome from the index's
HTTP answer; this step chooses the files, the credentials and the attestations.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from releasekit.artifacts import Artifact
from releasekit.attestations import ATTESTATION_SUFFIX, attestation_path, load_attestation
from releasekit.build_record import note_upload
from releasekit.comparison import CheckResult
from releasekit.config import ReleaseConfig
from releasekit.credentials import (
    ANONYMOUS,
    Credentials,
    check_token_scope,
)
from releasekit.errors import CredentialsError, ReleaseError, UploadError
from releasekit.plan import ReleasePlan
from releasekit.provenance import SignerFactory, attest_for_upload
from releasekit.repositories import Repository, redact_url
from releasekit.runner import Runner
from releasekit.steps import step_head
from releasekit.tool_env import can_prompt
from releasekit.trust.mint import TrustedPublishingToken
from releasekit.upload.client import (
    FileOutcome,
    UploadSettings,
    split_url_credentials,
    upload_files,
)
from releasekit.upload.form import DistFile
from releasekit.upload.progress import Progress
from releasekit.vcs import Git


@dataclass(frozen=True)
class UploadResult:
    project: str
    version: str
    repository: str
    upload_url: str
    uploaded: tuple[str, ...]
    skipped: tuple[str, ...]
    credentials: str
    dry_run: bool
    attempts: int = 0
    notes: tuple[str, ...] = field(default=())
    files: tuple[FileOutcome, ...] = field(default=())
    attestations: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            **step_head("upload", self.project, self.version, dry_run=self.dry_run),
            "repository": self.repository,
            "upload_url": self.upload_url,
            "uploaded": list(self.uploaded),
            "skipped_identical": list(self.skipped),
            "credentials": self.credentials,
            "attempts": self.attempts,
            "files": [f.to_json() for f in self.files],
            "attestations": list(self.attestations),
            "notes": list(self.notes),
        }


def upload_release(
    plan: ReleasePlan,
    runner: Runner,
    repository: Repository,
    check: CheckResult,
    *,
    yes: bool = False,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    confirm: Callable[[str], bool] | None = None,
    retries: int = 3,
    backoff: float = 2.0,
    sleep: Callable[[float], object] | None = None,
    jitter: Callable[[], float] = random.random,
    signer: SignerFactory | None = None,
) -> UploadResult:
    """Upload the built artifacts to ``repository`` (wheels first), skipping what is there.

    ``check`` is check's verdict on the same artifacts against ``repository``: upload starts
    from what it found on the index. A production repository asks ``confirm`` unless
    ``yes`` or the ``CI`` variable is set. Each 5xx or dropped connection is tried again up
    to ``retries`` times, after ``backoff`` seconds, then twice as long (with jitter).
    """
    import os

    config = plan.config
    env = os.environ if env is None else env
    upload_url, url_auth = split_url_credentials(repository.upload_url)
    target = plan.target(repository, env)
    credentials = target.credentials()
    for warning in credentials.warnings:
        runner.log(f"warning: {warning}")
    network = target.network  # one trust setting and pool for reads and uploads
    index = target.index(log=runner.log)
    check.raise_for_failures()
    check_token_scope(credentials, repository, check.project)

    skipped = check.already_uploaded
    pending = [a for a in check.artifacts if a.filename not in skipped]
    # PEP 740 (releasekit.provenance): sign before anything is sent; writes
    # <file>.publish.attestation next to each pending file, which goes up with it.
    _, attest_note = attest_for_upload(
        config,
        repository,
        [a.path for a in pending],
        trusted_publishing=credentials.trusted_publishing,
        dry_run=dry_run or not pending,
        signer=signer,
        log=runner.log,
    )
    dists = [_dist_file(a) for a in pending]
    attested = [d for d in dists if d.attestations]
    if attested and repository.pypi_host and not credentials.trusted_publishing:
        names = ", ".join(attestation_path(d.path).name for d in attested)
        raise CredentialsError(
            f"{names}: {repository.name} takes attestations only from trusted publishing, "
            f"not with the credentials from {credentials.source}.",
            "Upload from CI with trusted publishing, or delete the "
            f"*{ATTESTATION_SUFFIX} files to upload without them.",
        )
    url = redact_url(repository.upload_url)
    result = UploadResult(
        project=check.project,
        version=check.version,
        repository=repository.name,
        upload_url=url,
        uploaded=tuple(a.filename for a in pending),
        skipped=skipped,
        credentials=credentials.source,
        dry_run=dry_run,
        # The warnings again: a --json reader may not look at stderr.
        notes=(
            *(f"warning: {warning}" for warning in credentials.warnings),
            *(f"{name} is already on {repository.name} (same sha256): skipped" for name in skipped),
            *((attest_note,) if attest_note else ()),
        ),
        attestations=tuple(attestation_path(d.path).name for d in attested),
    )
    if dry_run:
        return result
    if pending and repository.needs_confirmation(yes=yes, env=env):
        _confirm_production(check, repository, [a.filename for a in pending], confirm)
    # From here these bytes are the release: a rerun sends them, not a rebuild.
    note_upload(Git(runner, plan.root), check.artifacts, repository.name)
    if not pending:
        return result

    settings = UploadSettings(
        network=network,
        url=upload_url,
        repository=repository.name,
        auth=_auth(credentials, repository, url_auth, env, runner),
        jobs=upload_jobs(config, repository),
        deadline=config.upload_timeout,
        # A silent exchange is given up while two more tries still fit in upload.timeout.
        read_timeout=max(5.0, min(120.0, config.upload_timeout / 3)),
        retries=retries,
        backoff=backoff,
        credentials_source=credentials.source if credentials.password else "",
        secrets=(*credentials.secrets(), *((url_auth[1],) if url_auth else ())),
        missing_credentials_hint=(
            f"Set {repository.token_env or 'TWINE_PASSWORD'} (and the repository's username "
            "if the index wants one) in the environment, or add them to keyring or .pypirc."
        ),
    )
    wheel_first = any(d.filename.endswith(".whl") for d in dists)
    parallel = min(settings.jobs, len(dists) - wheel_first)
    order = (
        f": {'the first wheel alone, then ' if wheel_first else ''}{parallel} at a time"
        if parallel > 1
        else ""
    )
    if len(dists) > 1 and config.upload_jobs == "auto" and repository.on_this_machine:
        order = ": one at a time, as the index is on this machine (upload.jobs sets it)"
    runner.log(
        f"uploading {len(dists)} file{'s' * (len(dists) != 1)} to {repository.name} ({url})"
        f"{order}; {settings.deadline:g} s at most (upload.timeout)"
    )

    def lookup() -> dict[str, str | None]:
        return {f.filename: f.sha256 for f in index.release_files(check.project, check.version)}

    outcomes = upload_files(
        dists,
        settings,
        lookup=lookup,
        log=runner.log,
        sleep=sleep,
        jitter=jitter,
        progress=(
            Progress.quiet()  # -q: errors only
            if getattr(runner, "verbosity", 0) < 0
            else Progress.for_terminal(runner.log, sys.stderr)
        ),
    )
    for outcome in outcomes:
        if outcome.error is not None:
            raise _with_state(outcome.error, outcomes, skipped, repository)
    return UploadResult(
        **{
            **result.__dict__,
            "attempts": sum(o.attempts for o in outcomes),
            "files": tuple(outcomes),
        }
    )


# Files in flight at once when upload.jobs is "auto" and the index is elsewhere.
REMOTE_JOBS = 4


def upload_jobs(config: ReleaseConfig, repository: Repository) -> int:
    """How many files go up at once: ``upload.jobs``; when "auto", 4, or 1 for an index on
    this machine. A remote index answers each file after network time and its own work,
    which parallel files overlap; a local Python index (pypiserver, devpi) does the work
    under one interpreter lock on the CPUs the uploader uses, so parallel files only make
    it slower (benchmarks/RESULTS.md, section 5)."""
    if config.upload_jobs != "auto":
        return config.upload_jobs
    return 1 if repository.on_this_machine else REMOTE_JOBS


def _dist_file(artifact: Artifact) -> DistFile:
    attestation = attestation_path(artifact.path)
    if not attestation.is_file():
        return DistFile(artifact.path, artifact.sha256)
    loaded = load_attestation(attestation, artifact.filename, artifact.sha256)
    return DistFile(artifact.path, artifact.sha256, (loaded,))


def _auth(
    credentials: Credentials,
    repository: Repository,
    url_auth: tuple[str, str] | None,
    env: Mapping[str, str],
    runner: Runner,
) -> Callable[[], tuple[str, str] | None]:
    """What each request authenticates with: the resolved credentials, else those in the
    upload URL; with trusted publishing a token minted (and re-minted) on demand."""
    if credentials.trusted_publishing:
        minter = TrustedPublishingToken(repository.upload_url, env, log=runner.log)
        return lambda: ("__token__", minter.current().reveal())
    if credentials.password and credentials.username != ANONYMOUS:
        pair = (credentials.username, credentials.password.reveal())
        return lambda: pair
    return lambda: url_auth


def _with_state(
    error: ReleaseError,
    outcomes: Sequence[FileOutcome],
    skipped: Sequence[str],
    repository: Repository,
) -> ReleaseError:
    """The first failure, completed with which files are on the index now and which not."""
    there = [*skipped, *(o.filename for o in outcomes if o.state in ("uploaded", "already there"))]
    missing = [o.filename for o in outcomes if o.state in ("failed", "not attempted")]
    state = (
        f" On {repository.name} now: {', '.join(there) or 'none of the files'}; "
        f"not uploaded: {', '.join(missing) or 'none'}."
    )
    completed = type(error)(error.message + state, error.hint)
    completed.details = {"files": [o.to_json() for o in outcomes]}
    return completed


def _confirm_production(
    check: CheckResult,
    repository: Repository,
    files: list[str],
    confirm: Callable[[str], bool] | None,
) -> None:
    question = (
        f"Upload {check.project} {check.version} to {repository.name} "
        f"({redact_url(repository.upload_url)})?\n"
        + "".join(f"  {name}\n" for name in files)
        + "This cannot be undone: a filename can never be reused. [y/N] "
    )
    if confirm is None:
        if not can_prompt():  # no terminal, or TWINE_NON_INTERACTIVE
            raise UploadError(
                f"Uploading to {repository.name} needs a confirmation, and there is no terminal "
                "to ask (or TWINE_NON_INTERACTIVE forbids asking).",
                "Pass --yes (or run in CI, where the CI variable is set) to confirm.",
            )
        confirm = _ask
    if not confirm(question):
        raise UploadError(f"Upload to {repository.name} cancelled; nothing was uploaded.", "")


def _ask(question: str) -> bool:
    return input(question).strip().lower() in {"y", "yes"}
