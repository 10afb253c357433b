"""``releasekit audit``: how far repositories are from their organisation's conventions.

For a platform team with many checkouts: each repository is read where it lies (its
pyproject.toml, its CI file, its changelog, its tags; nothing is fetched, nothing run but
``git tag``) and gives one finding per check — the profile it extends, no locked key
overridden, a release pipeline as ``init-ci`` writes it today (actions pinned by commit,
releasekit and the profile pinned, trusted publishing, attestations, an environment for
production), a changelog releasekit can write. Any ``fail`` makes the audit exit 9.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from releasekit import __version__
from releasekit.changelog import KEEP_A_CHANGELOG, OTHER
from releasekit.ci.github import github_workflow
from releasekit.ci.gitlab import gitlab_ci
from releasekit.ci.requirements import install_requirements, profile_distribution
from releasekit.config import LockedKeyError, ReleaseConfig, load_config
from releasekit.errors import ReleaseError
from releasekit.plan import release_tags
from releasekit.project import Project, load_project
from releasekit.runner import Runner
from releasekit.trust.workflow import WorkflowSyntaxError, read_workflow_text

OK, FAIL, NOTE = "ok", "fail", "note"
GITHUB_FILE = Path(".github/workflows/release.yml")
GITLAB_FILES = (Path(".gitlab/releasekit.yml"), Path(".gitlab-ci.yml"))
_PINNED_ACTION = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")


@dataclass(frozen=True)
class Finding:
    repository: str
    check: str
    status: str  # ok, fail or note
    detail: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AuditReport:
    repositories: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def falling_short(self) -> tuple[str, ...]:
        return tuple(
            r
            for r in self.repositories
            if any(f.repository == r and f.status == FAIL for f in self.findings)
        )

    @property
    def ok(self) -> bool:
        return not self.falling_short

    def to_json(self) -> dict[str, Any]:
        return {
            "step": "audit",
            "ok": self.ok,
            "repositories": list(self.repositories),
            "falling_short": list(self.falling_short),
            "findings": [f.to_json() for f in self.findings],
        }

    def describe(self) -> str:
        width = max((len(f.repository) for f in self.findings), default=0)
        checks = max((len(f.check) for f in self.findings), default=0)
        lines = [
            f"{f.repository:<{width}}  {f.check:<{checks}}  {f.status:<4}  {f.detail}"
            for f in self.findings
        ]
        short = len(self.falling_short)
        lines.append(
            f"{len(self.repositories)} repositories audited; "
            + (f"{short} fall short" if short else "every one keeps the conventions")
        )
        return "\n".join(lines)


def audit(directories: Sequence[Path], runner: Runner) -> AuditReport:
    """Audit each checkout in ``directories`` (its top: where pyproject.toml and the CI
    file are)."""
    names = tuple(str(d) for d in directories)
    findings = [
        f
        for d, name in zip(directories, names, strict=True)
        for f in audit_repository(d, name, runner)
    ]
    return AuditReport(names, tuple(findings))


def audit_repository(root: Path, name: str, runner: Runner) -> list[Finding]:
    def finding(check: str, status: str, detail: str) -> Finding:
        return Finding(name, check, status, detail)

    if not (root / "pyproject.toml").is_file():
        return [finding("project", FAIL, f"no pyproject.toml in {root}")]
    # The repository's own configuration: not the auditor's RELEASEKIT_* variables.
    overridden: list[LockedKeyError] = []
    try:
        config = load_config(root, env={}, overridden=overridden)
    except ReleaseError as exc:
        return [finding("config", FAIL, exc.message)]
    findings = [finding("profile", *_profile(config))]
    if overridden:
        findings += [finding("locked", FAIL, error.message) for error in overridden]
    elif config.locked:
        held = ", ".join(sorted(config.locked))
        findings.append(finding("locked", OK, f"no locked key overridden ({held})"))
    else:
        findings.append(finding("locked", NOTE, "the profile locks no key"))
    try:
        project = load_project(root, config, runner)
        config = release_tags(root, config, project.name, runner).config
    except ReleaseError as exc:
        return [*findings, finding("project", FAIL, exc.message)]
    findings += [
        finding(check, status, detail) for check, status, detail in _ci(root, config, project.name)
    ]
    findings.append(finding("changelog", *_changelog(project, config)))
    return findings


def _profile(config: ReleaseConfig) -> tuple[str, str]:
    if not config.extends:
        return FAIL, 'extends no organisation profile (extends = "..." in [tool.releasekit])'
    try:
        distribution = profile_distribution(config.extends)
    except ReleaseError as exc:
        return FAIL, exc.message
    if distribution is None:
        return OK, f"extends {config.extends} (a file in the repository)"
    return OK, f"extends {config.extends} ({distribution[0]} {distribution[1]})"


def _changelog(project: Project, config: ReleaseConfig) -> tuple[str, str]:
    if config.changelog is False:
        return FAIL, "changelog = false: releases have no changelog"
    if project.changelog is None:
        return FAIL, "no changelog (CHANGELOG.md with an Unreleased section, towncrier or scriv)"
    file = project.changelog.name
    if project.changelog_style == OTHER:
        return FAIL, (
            f"{file} has no Unreleased section and no towncrier or scriv configuration: "
            "releasekit cannot write it"
        )
    style = (
        "Keep a Changelog"
        if project.changelog_style == KEEP_A_CHANGELOG
        else project.changelog_style
    )
    return OK, f"{file} ({style})"


# --- the CI pipeline -----------------------------------------------------------------


def _ci(root: Path, config: ReleaseConfig, name: str) -> list[tuple[str, str, str]]:
    github = root / GITHUB_FILE
    if github.is_file():
        return _github(github, config, name)
    gitlab = next((root / p for p in GITLAB_FILES if (root / p).is_file()), None)
    if gitlab is not None and "releasekit" in gitlab.read_text(encoding="utf-8", errors="replace"):
        return _gitlab(gitlab, config, name)
    return [("ci", FAIL, "no release pipeline (releasekit init-ci github, or gitlab, writes one)")]


def _github(path: Path, config: ReleaseConfig, name: str) -> list[tuple[str, str, str]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        workflow = read_workflow_text(text)
    except WorkflowSyntaxError as exc:
        return [("ci", FAIL, f"{GITHUB_FILE} cannot be read: {exc}")]
    jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
    if not isinstance(jobs, dict):
        return [("ci", FAIL, f"{GITHUB_FILE} has no jobs")]
    steps = [(job, step) for job, body in jobs.items() for step in _steps(body)]
    results = [("ci.current", *_current(text, _github_variants(config, name), "github"))]
    unpinned = sorted(
        {
            s["uses"]
            for _, s in steps
            if isinstance(s.get("uses"), str)
            and not s["uses"].startswith("./")
            and not _PINNED_ACTION.match(s["uses"])
        }
    )
    results.append(
        ("ci.actions-pinned", FAIL, "not pinned to a commit: " + ", ".join(unpinned))
        if unpinned
        else ("ci.actions-pinned", OK, "every action pinned to a commit")
    )
    runs = "\n".join(str(s.get("run", "")) for _, s in steps)
    results += _pins(runs, config)
    uploading = {
        job: body
        for job, body in jobs.items()
        if any("releasekit upload" in str(s.get("run", "")) for s in _steps(body))
    }
    prod = [
        job
        for job, body in uploading.items()
        if any(
            re.search(r"releasekit upload(-prod| --repository prod)", str(s.get("run", "")))
            for s in _steps(body)
        )
    ]
    stored = sorted(job for job, body in uploading.items() if "secrets." in _flat(body.get("env")))
    no_oidc = sorted(
        job
        for job, body in uploading.items()
        if _flat(body.get("permissions")).find("id-token: write") < 0
    )
    if not uploading:
        results.append(("ci.trusted-publishing", FAIL, "no job runs releasekit upload"))
    elif stored or no_oidc:
        results.append(
            (
                "ci.trusted-publishing",
                FAIL,
                "a stored token instead of trusted publishing in: "
                + ", ".join(sorted({*stored, *no_oidc})),
            )
        )
    else:
        results.append(("ci.trusted-publishing", OK, "id-token: write, no stored token"))
    results.append(("ci.attestations", *_attestations(runs, config)))
    without = sorted(job for job in prod if not jobs[job].get("environment"))
    if not prod:
        results.append(("ci.environment", FAIL, "no job uploads to production"))
    elif without:
        results.append(
            (
                "ci.environment",
                FAIL,
                "production upload without an environment: " + ", ".join(without),
            )
        )
    else:
        names = ", ".join(sorted({_environment(jobs[job]) for job in prod}))
        results.append(
            (
                "ci.environment",
                OK,
                f"production uploads in environment {names} "
                "(its protection rules are on GitHub, not in the checkout)",
            )
        )
    return results


def _gitlab(path: Path, config: ReleaseConfig, name: str) -> list[tuple[str, str, str]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    results = [("ci.current", *_current(text, _gitlab_variants(config, name), "gitlab"))]
    results += _pins(text, config)
    trusted = "id_tokens:" in text or "CI_JOB_TOKEN" in text or "${CI_API_V4_URL}" in text
    results.append(
        ("ci.trusted-publishing", OK, "id_tokens or the CI job token, no stored token")
        if trusted and "secrets" not in text
        else ("ci.trusted-publishing", FAIL, "no id_tokens and no CI job token")
    )
    if "id_tokens:" in text:
        results.append(("ci.attestations", *_attestations(text, config)))
    else:
        results.append(("ci.attestations", NOTE, "the project's registry takes no attestations"))
    environment = re.search(r"^  environment:\n    name: (\S+)", text, re.MULTILINE)
    results.append(
        (
            "ci.environment",
            OK,
            f"the upload job runs in environment {environment[1]} (its protection is set "
            "on GitLab, not in the checkout)",
        )
        if environment
        else ("ci.environment", FAIL, "the upload job has no GitLab environment")
    )
    return results


def _steps(job: Any) -> Iterator[dict[str, Any]]:
    steps = job.get("steps") if isinstance(job, dict) else None
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict):
            yield step


def _flat(value: Any) -> str:
    """A mapping as ``key: value`` lines, to look for one entry."""
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_flat(v)}" for k, v in value.items())
    return str(value or "")


def _environment(job: dict[str, Any]) -> str:
    environment = job.get("environment")
    return str(environment.get("name") if isinstance(environment, dict) else environment)


def _installed(text: str) -> list[Requirement]:
    """The requirements of every ``pip install`` in ``text``."""
    found = []
    for line in text.splitlines():
        words = line.split()
        if "pip" not in words or "install" not in words:
            continue
        for word in words[words.index("install") + 1 :]:
            with contextlib.suppress(InvalidRequirement):
                found.append(Requirement(word.strip("\"'")))
    return found


def _pins(text: str, config: ReleaseConfig) -> list[tuple[str, str, str]]:
    """releasekit pinned (to the version auditing), the profile's package pinned."""
    installed = _installed(text)
    found = [r for r in installed if canonicalize_name(r.name) == "releasekit"]
    pins = sorted({str(r.specifier)[2:] for r in found if _pinned(r)})
    if not found:
        results = [("ci.releasekit-pinned", FAIL, "releasekit is not installed with pip")]
    elif len(pins) != 1 or not all(_pinned(r) for r in found):
        results = [("ci.releasekit-pinned", FAIL, "releasekit installed without ==VERSION")]
    elif pins[0] != __version__:
        results = [
            (
                "ci.releasekit-pinned",
                FAIL,
                f"releasekit=={pins[0]}; init-ci writes {__version__} today",
            )
        ]
    else:
        results = [("ci.releasekit-pinned", OK, f"releasekit=={pins[0]}")]
    try:
        distribution = profile_distribution(config.extends)
    except ReleaseError:
        distribution = None
    if distribution is not None:
        profile = canonicalize_name(distribution[0])
        pinned = [r for r in installed if canonicalize_name(r.name) == profile and _pinned(r)]
        results.append(
            ("ci.profile-pinned", OK, f"{distribution[0]}{pinned[0].specifier}")
            if pinned
            else ("ci.profile-pinned", FAIL, f"{distribution[0]} is not installed ==VERSION")
        )
    return results


def _pinned(requirement: Requirement) -> bool:
    specifiers = list(requirement.specifier)
    return len(specifiers) == 1 and specifiers[0].operator == "=="


def _attestations(text: str, config: ReleaseConfig) -> tuple[str, str]:
    if not config.attest:
        return FAIL, "attest = false"
    extras = {
        e for r in _installed(text) if canonicalize_name(r.name) == "releasekit" for e in r.extras
    }
    if "attest" not in extras:
        return FAIL, "releasekit is installed without the attest extra: nothing is signed"
    return OK, "PEP 740 attestations signed at the upload"


def _current(text: str, variants: Iterator[str], provider: str) -> tuple[str, str]:
    if any(text == variant for variant in variants):
        return OK, f"what init-ci {provider} writes today (releasekit {__version__})"
    return FAIL, (
        f"not what init-ci {provider} writes today (releasekit {__version__}): "
        f"see releasekit init-ci {provider} --dry-run, --force rewrites it"
    )


def _github_variants(config: ReleaseConfig, name: str) -> Iterator[str]:
    """Every workflow init-ci github writes for a project at the top of its repository,
    with its default environments and Python."""
    outdir = config.build_outdir.strip("/") + "/"
    install = install_requirements(config, attest=bool(config.repository("prod").pypi_host))
    for trigger in ("tag", "branch"):
        for test_first in (True, False):
            for release_page in (True, False):
                for wheels in ("", "cibuildwheel"):
                    yield github_workflow(
                        config,
                        name,
                        install=install,
                        trigger=trigger,
                        test_first=test_first,
                        outdir=outdir,
                        wheels=wheels,
                        release_page=release_page,
                    )


def _gitlab_variants(config: ReleaseConfig, name: str) -> Iterator[str]:
    outdir = config.build_outdir.strip("/") + "/"
    for target in ("registry", "pypi", "testpypi"):
        install = install_requirements(config, attest=target != "registry")
        for trigger in ("tag", "branch"):
            for include in (False, True):
                for release_page in (True, False):
                    yield gitlab_ci(
                        config,
                        name,
                        install=install,
                        trigger=trigger,
                        target=target,
                        outdir=outdir,
                        include=include,
                        release_page=release_page,
                    )
