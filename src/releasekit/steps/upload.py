"""upload-test / upload-prod: twine upload, resumable on every index.

Before uploading, the index is asked what it already has: identical files are skipped,
a different file under the same name stops everything. So an interrupted upload is
finished by running the same command again, on PyPI, devpi, pypiserver or GitLab alike.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit.artifacts import Artifact
from releasekit.comparison import CheckResult, compare_with_index
from releasekit.config import Repository
from releasekit.credentials import (
    ANONYMOUS,
    Credentials,
    check_token_scope,
    resolve_credentials,
)
from releasekit.errors import CommandError, CredentialsError, UploadError
from releasekit.index import redact_url
from releasekit.plan import ReleasePlan
from releasekit.provenance import SignerFactory, attest_for_upload
from releasekit.repositories import index_client
from releasekit.runner import Runner

RETRYABLE = "retryable"


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

    def to_json(self) -> dict[str, Any]:
        return {
            "step": "upload",
            "ok": True,
            "dry_run": self.dry_run,
            "project": self.project,
            "version": self.version,
            "repository": self.repository,
            "upload_url": self.upload_url,
            "uploaded": list(self.uploaded),
            "skipped_identical": list(self.skipped),
            "credentials": self.credentials,
            "attempts": self.attempts,
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
    credentials: Credentials | None = None,
    confirm: Callable[[str], bool] | None = None,
    retries: int = 3,
    backoff: float = 2.0,
    sleep: Callable[[float], object] = time.sleep,
    signer: SignerFactory | None = None,
) -> UploadResult:
    """Upload the built artifacts to ``repository`` (wheels first), skipping what is there.

    ``check`` is check's verdict on the same artifacts against ``repository``: upload starts
    from what it found on the index. A production repository asks ``confirm`` unless
    ``yes`` or the ``CI`` variable is set.
    """
    import os

    env = os.environ if env is None else env
    if credentials is None:
        credentials = resolve_credentials(repository, env=env)
    for warning in credentials.warnings:
        runner.log(f"warning: {warning}")
    index = index_client(repository, credentials, log=runner.log)
    check.raise_for_failures()
    check_token_scope(credentials, repository, check.project)

    skipped = check.already_uploaded
    pending = [a for a in check.artifacts if a.filename not in skipped]
    # PEP 740 (releasekit.provenance): sign before anything is sent; writes
    # <file>.publish.attestation next to each pending file.
    _, attest_note = attest_for_upload(
        plan.config,
        repository,
        [a.path for a in pending],
        trusted_publishing=credentials.trusted_publishing,
        dry_run=dry_run or not pending,
        signer=signer,
        log=runner.log,
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
        # The warnings again: with --json, the log above is silent.
        notes=(
            *(f"warning: {warning}" for warning in credentials.warnings),
            *(f"{name} is already on {repository.name} (same sha256): skipped" for name in skipped),
            *((attest_note,) if attest_note else ()),
        ),
    )
    if dry_run or not pending:
        return result
    if repository.production and not yes and not env.get("CI"):
        _confirm_production(check, repository, [a.filename for a in pending], confirm)

    attempts = _upload_until_done(
        runner,
        repository,
        credentials,
        index,
        check,
        pending,
        allow_other_files=plan.config.allow_other_files,
        retries=retries,
        backoff=backoff,
        sleep=sleep,
    )
    return UploadResult(**{**result.__dict__, "attempts": attempts})


def _upload_until_done(
    runner: Runner,
    repository: Repository,
    credentials: Credentials,
    index: Any,
    check: CheckResult,
    pending: list[Artifact],
    *,
    allow_other_files: Sequence[str],
    retries: int,
    backoff: float,
    sleep: Callable[[float], object],
) -> int:
    """Upload ``pending``, retrying what the index failed to take; the number of attempts.

    Before each retry the index is asked again what it has, so a file that landed despite
    an error is not sent twice.
    """
    attempts = retried = 0
    while True:
        attempts += 1
        try:
            _twine_upload(runner, repository, credentials, [a.path for a in pending])
            return attempts
        except CommandError as exc:
            failure = _classify(exc, repository, credentials)
            if failure is not RETRYABLE and _already_exists(exc, credentials):
                # twine retries a 5xx at once: when the index stored the file before
                # answering 500, the retry meets "File already exists". If what is there
                # is this very file, that is progress, not a conflict.
                remaining = _still_pending(index, repository, check, pending, allow_other_files)
                if len(remaining) < len(pending):
                    pending = remaining
                    if not pending:
                        return attempts
                    continue
            if failure is not RETRYABLE or retried >= retries:
                raise _with_state(failure, index, repository, check) from None
            retried += 1
            runner.log(
                f"upload to {repository.name} failed ({_last_line(exc, credentials)}); "
                f"retrying in {backoff * 2 ** (retried - 1):g} s"
            )
            sleep(backoff * 2 ** (retried - 1))
            # Some files may have landed (a 500 after storing, a dropped answer): ask again.
            pending = _still_pending(index, repository, check, pending, allow_other_files)
            if not pending:
                return attempts


def _still_pending(
    index: Any,
    repository: Repository,
    check: CheckResult,
    pending: list[Artifact],
    allow_other_files: Sequence[str],
) -> list[Artifact]:
    """The ``pending`` artifacts the index does not have yet; a conflict stops everything."""
    on_index = compare_with_index(
        index, repository, check.project, check.version, check.artifacts, allow_other_files
    )
    if on_index.problems:
        raise UploadError("After a failed attempt: " + "; ".join(on_index.problems), "")
    there = {s.filename for s in on_index.statuses if s.state == "identical"}
    return [a for a in pending if a.filename not in there]


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
        if not sys.stdin.isatty():
            raise UploadError(
                f"Uploading to {repository.name} needs a confirmation, and there is no terminal "
                "to ask.",
                "Pass --yes (or run in CI, where the CI variable is set) to confirm.",
            )
        confirm = _ask
    if not confirm(question):
        raise UploadError(f"Upload to {repository.name} cancelled; nothing was uploaded.", "")


def _ask(question: str) -> bool:
    return input(question).strip().lower() in {"y", "yes"}


def _twine_upload(
    runner: Runner, repository: Repository, credentials: Credentials, files: list[Path]
) -> None:
    argv = [
        runner.python,
        "-m",
        "twine",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        redact_url(repository.upload_url),
        *(str(f) for f in files),
    ]
    # A wide console: twine's messages stay one line each, as _classify reads them.
    runner.run(argv, env={**credentials.twine_env(), "COLUMNS": "1000"})


_STATUS = re.compile(r"HTTPError: (\d{3})")
_REDIRECT_TARGET = re.compile(r"attempted to redirect to\s+(\S+?)\.?(?:\s|$)")
# twine colours its messages even into a pipe.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _classify(
    exc: CommandError, repository: Repository, credentials: Credentials
) -> UploadError | CredentialsError | str:
    output = _scrub(exc.output, credentials)
    match = _STATUS.search(output)
    status = int(match.group(1)) if match else None
    where = f"{repository.name} ({redact_url(repository.upload_url)})"
    if _already_exists(exc, credentials):
        return UploadError(
            f"{where} refused the upload: a file with that name already exists or was used "
            "before (deleted files' names can never be reused).",
            "Bump the version (releasekit bump-version patch), build and upload again.",
        )
    if status in (401, 403) and credentials.username == ANONYMOUS:
        return CredentialsError(
            f"{where} answered {status}: it needs credentials to upload, and none were "
            f"found for the repository {repository.name!r}.",
            f"Set {repository.token_env or 'TWINE_PASSWORD'} (and the repository's username "
            "if the index wants one) in the environment, or add them to keyring or .pypirc.",
        )
    if status in (401, 403):
        return CredentialsError(
            f"{where} answered {status}: the credentials from {credentials.source} are "
            "invalid, for another index, or not allowed to upload this project.",
            "Check the token's scope and which index it was created on.",
        )
    if (
        "RedirectDetected" in output
        or "redirect" in output.lower()
        or status in (301, 302, 307, 308)
    ):
        target = _REDIRECT_TARGET.search(output)
        # twine masks a password in the target as ********@; show no user part at all.
        to = f" to {redact_url(target.group(1))}" if target else ""
        return UploadError(
            f"{where} redirected the upload{to}; releasekit does not follow upload redirects.",
            "If that is where the index takes uploads, set the repository's upload-url to "
            "it; otherwise check the upload-url (a missing trailing slash, http instead of "
            "https).",
        )
    if status is None or status >= 500:
        return RETRYABLE
    return UploadError(f"{where} refused the upload: {_last_line(exc, credentials)}.", "")


def _already_exists(exc: CommandError, credentials: Credentials) -> bool:
    output = _scrub(exc.output, credentials)
    match = _STATUS.search(output)
    return (
        (match is not None and int(match.group(1)) in (400, 409))
        or "File already exists" in output
        or "previously used" in output
    )


def _last_line(exc: CommandError, credentials: Credentials) -> str:
    lines = [line.strip() for line in _scrub(exc.output, credentials).splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line or "Error" in line]
    # twine's log lines start with their level: "ERROR    HTTPError: 413 ...".
    return (errors or lines or [f"exit code {exc.returncode}"])[-1].removeprefix("ERROR").strip()


def _scrub(text: str, credentials: Credentials) -> str:
    text = _ANSI_ESCAPE.sub("", text)
    for secret in credentials.secrets():
        text = text.replace(secret, "********")
    return text


def _with_state(
    failure: UploadError | CredentialsError | str,
    index: Any,
    repository: Repository,
    check: CheckResult,
) -> UploadError | CredentialsError:
    """The failure, completed with which files are and are not on the index now."""
    if isinstance(failure, CredentialsError):
        return failure
    try:
        statuses = compare_with_index(
            index, repository, check.project, check.version, check.artifacts
        ).statuses
        there = [s.filename for s in statuses if s.state == "identical"]
        missing = [s.filename for s in statuses if s.state != "identical"]
        state = (
            f" On {repository.name} now: {', '.join(there) or 'none of the files'}; "
            f"not uploaded: {', '.join(missing) or 'none'}."
        )
    except Exception:
        state = f" Could not ask {repository.name} which files landed."
    if isinstance(failure, UploadError):
        return UploadError(failure.message + state, failure.hint)
    return UploadError(
        f"Uploading to {repository.name} kept failing (5xx answers or dropped connections)."
        + state,
        "Run the same command again when the index is healthy: files already there are "
        "skipped, so the upload resumes where it stopped.",
    )
