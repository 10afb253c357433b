"""``releasekit trusted-publisher --check``: run inside the publishing job, it reads the
job's OIDC token, decodes its claims (no signature check: only PyPI can judge that; nothing
is sent anywhere) and names every way they would not match the trusted publisher, before an
upload fails with PyPI's terse ``invalid-publisher``. The token itself is never shown.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit.config import ReleaseConfig
from releasekit.errors import CheckError, ConfigError
from releasekit.repositories import PYPI_AUDIENCES
from releasekit.runner import Runner
from releasekit.trust.identity import JobClaims
from releasekit.trust.oidc import ci_identity_token
from releasekit.trust.publisher import check_trusted_publishing

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"


class PublisherMismatchError(CheckError):
    """The job's token would not match the trusted publisher (exit code 9, CHECK)."""


@dataclass(frozen=True)
class ExpectedIdentity:
    """What the trusted publisher registered on PyPI says (``""``: not constrained)."""

    provider: str  # github or gitlab
    repository: str  # OWNER/NAME, GROUP/[SUBGROUP/]NAME
    workflow: str  # GitHub: workflow file name; GitLab: CI file path
    environment: str = ""
    audience: str = "pypi"


@dataclass(frozen=True)
class TokenCheck:
    """The claims that matter, and what is wrong with them (nothing: ready)."""

    provider: str
    claims: Mapping[str, str]
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "step": "trusted-publisher",
            "ok": not self.problems,
            "provider": self.provider,
            "claims": dict(self.claims),
            "problems": list(self.problems),
            "notes": list(self.notes),
        }


def check_job_token(claims: JobClaims, expected: ExpectedIdentity) -> TokenCheck:
    """Compare a token's claims with the trusted publisher, the way PyPI matches them."""
    issuer = claims.issuer
    if issuer == GITHUB_ISSUER:
        return _check_github(claims, expected)
    if issuer == GITLAB_ISSUER:
        return _check_gitlab(claims, expected)
    return TokenCheck(
        "unknown",
        {"iss": issuer},
        (f"the token was issued by {issuer or 'nobody'}, which is not GitHub Actions or GitLab",),
    )


def _audience(claims: JobClaims, expected: ExpectedIdentity) -> list[str]:
    audience = claims.audience
    audiences = audience if isinstance(audience, tuple) else (audience,)
    if expected.audience not in audiences:
        shown = list(audience) if isinstance(audience, tuple) else audience
        return [f"the token's audience is {shown!r}, PyPI wants {expected.audience!r}"]
    return []


def _check_github(claims: JobClaims, expected: ExpectedIdentity) -> TokenCheck:
    names = ("repository", "workflow_ref", "job_workflow_ref", "environment", "event_name", "ref")
    shown = {name: claims.text(name) for name in names}
    problems = _audience(claims, expected)
    if expected.provider != "github":
        problems.append(
            f"the token comes from GitHub Actions, the publisher is {expected.provider}"
        )
    repository = shown["repository"]
    if repository.lower() != expected.repository.lower():
        problems.append(
            f"repository: the job runs in {repository or '(none)'}, the trusted publisher "
            f"names {expected.repository}"
        )
    # PyPI matches the workflow that runs the job: job_workflow_ref. When it is not the
    # workflow that was triggered (workflow_ref), the job is in a reusable workflow.
    job_workflow = shown["job_workflow_ref"]
    if job_workflow and shown["workflow_ref"] and job_workflow != shown["workflow_ref"]:
        problems.append(
            f"the job runs in a reusable workflow ({job_workflow}, called from "
            f"{shown['workflow_ref']}); PyPI does not support reusable workflows: publish "
            "from a job of the calling workflow"
        )
    workflow = job_workflow.partition("@")[0].rpartition("/")[2]
    if workflow != expected.workflow:
        problems.append(
            f"workflow: the job runs in {workflow or '(none)'}, the trusted publisher "
            f"names {expected.workflow}"
        )
    problems += _environment(shown["environment"], expected)
    if shown["event_name"] == "pull_request_target":
        problems.append(
            "the run was triggered by pull_request_target, which PyPI refuses for trusted "
            "publishing (it runs with the base repository's privileges on outside code)"
        )
    return TokenCheck("github", shown, tuple(problems))


def _check_gitlab(claims: JobClaims, expected: ExpectedIdentity) -> TokenCheck:
    names = ("project_path", "ci_config_ref_uri", "environment", "pipeline_source", "ref")
    shown = {name: claims.text(name) for name in names}
    problems = _audience(claims, expected)
    if expected.provider != "gitlab":
        problems.append(f"the token comes from GitLab CI, the publisher is {expected.provider}")
    project = shown["project_path"]
    if project.lower() != expected.repository.lower():
        problems.append(
            f"repository: the job runs in {project or '(none)'}, the trusted publisher "
            f"names {expected.repository}"
        )
    # gitlab.com/GROUP/PROJECT//PATH@REF: the CI file of the pipeline.
    config_project, _, rest = shown["ci_config_ref_uri"].partition("//")
    path = rest.partition("@")[0]
    if config_project and config_project.partition("/")[2].lower() != project.lower():
        problems.append(
            f"the pipeline's CI file comes from another project ({config_project}); PyPI "
            "matches only the project's own top-level CI file"
        )
    if path != expected.workflow:
        problems.append(
            f"workflow: the pipeline runs {path or '(none)'}, the trusted publisher "
            f"names {expected.workflow}"
        )
    problems += _environment(shown["environment"], expected)
    return TokenCheck("gitlab", shown, tuple(problems))


def _environment(found: str, expected: ExpectedIdentity) -> list[str]:
    if expected.environment and found.lower() != expected.environment.lower():
        return [
            f"environment: the job runs in {found or 'no environment'}, the trusted "
            f"publisher requires {expected.environment}"
        ]
    return []


def expected_identity(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    env: Mapping[str, str],
    audience: str,
    *,
    workflow: Path | None = None,
    repository: str | None = None,
) -> ExpectedIdentity:
    """The trusted publisher the token must match: ``[tool.releasekit.provenance]`` when it
    names a repository; else, on GitHub, the release workflow releasekit reads for
    ``trusted-publisher`` (its file name, the git remote's repository, the environment of
    the job that publishes to that index)."""
    if config.provenance_repository:
        provider = config.provenance_provider
        return ExpectedIdentity(
            provider=provider,
            repository=config.provenance_repository,
            workflow=config.provenance_workflow
            or (".gitlab-ci.yml" if provider == "gitlab" else "release.yml"),
            environment=config.provenance_environment,
            audience=audience,
        )
    if not (env.get("GITHUB_ACTIONS") or env.get("ACTIONS_ID_TOKEN_REQUEST_URL")):
        raise ConfigError(
            "releasekit cannot tell which trusted publisher to compare the token with.",
            "Name it in [tool.releasekit.provenance]: provider = 'gitlab', repository = "
            "'GROUP/PROJECT', workflow = '.gitlab-ci.yml', environment if PyPI has one.",
        )
    report = check_trusted_publishing(
        root, config, runner, workflow=workflow, repository=repository
    )
    host = next(h for h, a in PYPI_AUDIENCES.items() if a == audience)
    chosen = next((p for p in report.publishers if p.host == host), report.publishers[0])
    return ExpectedIdentity(
        provider="github",
        repository=f"{chosen.owner}/{chosen.repository}",
        workflow=chosen.workflow,
        environment=chosen.environment,
        audience=audience,
    )


def check_trusted_publisher_token(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    *,
    audience: str = "pypi",
    env: Mapping[str, str] | None = None,
    workflow: Path | None = None,
    repository: str | None = None,
) -> TokenCheck:
    """``releasekit trusted-publisher --check``: the job's token against the publisher;
    :class:`PublisherMismatchError` (exit code 9) naming every mismatch."""
    env = os.environ if env is None else env
    expected = expected_identity(
        root, config, runner, env, audience, workflow=workflow, repository=repository
    )
    token = ci_identity_token(env, audience, failed="The trusted-publisher check failed")
    check = check_job_token(token.readable_claims(), expected)
    if check.problems:
        error = PublisherMismatchError(
            f"This job's OIDC token would not match the trusted publisher ({expected.provider} "
            f"{expected.repository}, workflow {expected.workflow}"
            + (f", environment {expected.environment}" if expected.environment else "")
            + "):\n"
            + "\n".join(f"  - {problem}" for problem in check.problems),
            "Fix the workflow (or the publisher registered on PyPI's Publishing page) so that "
            "they agree; the token itself was not printed.",
        )
        error.details = check.to_json()
        raise error
    return check
