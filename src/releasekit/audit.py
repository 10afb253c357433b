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
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import product
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from releasekit import __version__
from releasekit.changelog import KEEP_A_CHANGELOG, OTHER, has_version_heading
from releasekit.ci import DEFAULT_ENVIRONMENT, DEFAULT_PYTHON, DEFAULT_TEST_ENVIRONMENT
from releasekit.ci.github import github_matrix_workflow, github_workflow
from releasekit.ci.gitlab import TARGETS, gitlab_ci
from releasekit.ci.paths import workflow_path
from releasekit.ci.requirements import install_requirements, profile_distribution
from releasekit.ci.yaml_text import github_tag_pattern
from releasekit.commands import CI_TRIGGERS
from releasekit.config import LockedKeyError, ReleaseConfig, load_config
from releasekit.errors import ReleaseError
from releasekit.plan import release_tags
from releasekit.project import Project, load_project
from releasekit.runner import Runner
from releasekit.trust.workflow import WorkflowSyntaxError, read_workflow_text
from releasekit.workspace import find_packages

OK, FAIL, NOTE = "ok", "fail", "note"
GITHUB_FILE = Path(".github/workflows/release.yml")
GITLAB_FILES = (Path(".gitlab/releasekit.yml"), Path(".gitlab-ci.yml"))
_PINNED_ACTION = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
# A yes-or-no option of init-ci's, both values tried (ci.current).
_BOTH = (True, False)


@dataclass(frozen=True)
class Finding:
    repository: str
    check: str
    status: str  # ok, fail or note
    detail: str
    package: str = ""  # in a monorepo, the package's directory ("": the repository's)

    @property
    def where(self) -> str:
        return f"{self.repository}/{self.package}" if self.package else self.repository

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
        width = max((len(f.where) for f in self.findings), default=0)
        checks = max((len(f.check) for f in self.findings), default=0)
        lines = [
            f"{f.where:<{width}}  {f.check:<{checks}}  {f.status:<4}  {f.detail}"
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


Row = tuple[str, str, str]  # check, status, detail


def audit_repository(root: Path, name: str, runner: Runner) -> list[Finding]:
    if not (root / "pyproject.toml").is_file():
        return [Finding(name, "project", FAIL, f"no pyproject.toml in {root}")]
    # The repository's own configuration: not the auditor's RELEASEKIT_* variables.
    overridden: list[LockedKeyError] = []
    try:
        config = load_config(root, env={}, overridden=overridden)
    except ReleaseError as exc:
        return [Finding(name, "config", FAIL, exc.message)]
    if config.packages:
        return _monorepo(root, name, config, runner)
    rows, project, config = _conventions(root, config, overridden, runner)
    if project is not None:
        rows[-1:-1] = _ci(root, config, project.name)
    return [Finding(name, *row) for row in rows]


def _conventions(
    root: Path, config: ReleaseConfig, overridden: list[LockedKeyError], runner: Runner
) -> tuple[list[Row], Project | None, ReleaseConfig]:
    """The rows of a project's own conventions: its profile, its locked keys, its changelog
    (last); the project (None when it cannot be read: a row says why) and its configuration
    with the tag-format its tags follow."""
    rows: list[Row] = [("profile", *_profile(config))]
    if overridden:
        rows += [("locked", FAIL, error.message) for error in overridden]
    elif config.locked:
        held = ", ".join(sorted(config.locked))
        rows.append(("locked", OK, f"no locked key overridden ({held})"))
    else:
        rows.append(("locked", NOTE, "the profile locks no key"))
    try:
        project = load_project(root, config, runner)
        config = release_tags(root, config, project.name, runner).config
    except ReleaseError as exc:
        return [*rows, ("project", FAIL, exc.message)], None, config
    return [*rows, ("changelog", *_changelog(project, config))], project, config


def _monorepo(root: Path, name: str, config: ReleaseConfig, runner: Runner) -> list[Finding]:
    """A monorepo: each package's conventions in rows of its own (its profile, locked keys
    and changelog are its own); the pipeline in the repository's rows when one workflow
    releases every package, in a package's rows when the package has its own."""
    overridden: dict[Path, list[LockedKeyError]] = {}

    def load(directory: Path) -> ReleaseConfig:
        return load_config(
            directory, env={}, workspace=root, overridden=overridden.setdefault(directory, [])
        )

    try:
        packages = find_packages(root, config, load=load)
    except ReleaseError as exc:
        return [Finding(name, "packages", FAIL, exc.message)]
    listed = ", ".join(_relative(p.root, root) for p in packages)
    findings = [Finding(name, "packages", NOTE, f"a monorepo of {len(packages)}: {listed}")]
    read: list[tuple[Project, ReleaseConfig, str]] = []
    for package in packages:
        where = _relative(package.root, root)
        rows, project, package_config = _conventions(
            package.root, package.config, overridden.get(package.root, []), runner
        )
        if project is not None:
            read.append((project, package_config, where))
            own = workflow_path(root, package.root, project.name)
            if own.is_file():
                rows[-1:-1] = _github(own, package_config, _package_variants(project.name, where))
        findings += [Finding(name, *row, package=where) for row in rows]
    github = root / GITHUB_FILE
    gitlab = _gitlab_file(root)
    if github.is_file() and read:
        findings += [Finding(name, *row) for row in _github(github, read[0][1], _matrix(read))]
    elif gitlab is not None and read:
        rows = _gitlab(gitlab, read[0][1], _gitlab_packages(read))
        findings += [Finding(name, *row) for row in rows]
    else:
        covered = {f.package for f in findings if f.check.startswith("ci")}
        findings += [
            Finding(
                name,
                "ci",
                FAIL,
                "no release pipeline: neither the repository's (releasekit init-ci github at "
                "its root) nor the package's (init-ci github --package DIR)",
                package=where,
            )
            for _, _, where in read
            if where not in covered
        ]
    return findings


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


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
    if project.changelog_style == OTHER and config.changelog_from_commits:
        text = project.changelog.read_text(encoding="utf-8", errors="replace")
        if has_version_heading(text):
            return OK, (
                f"{file} (a heading per version: bump-version auto writes the new one "
                "from the commits, changelog-from-commits)"
            )
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


# What init-ci writes for a project, given its configuration and the options read back
# from the file (GitHub: the environments and the Python; GitLab: the Python).
GithubVariants = Callable[[ReleaseConfig, dict[str, str]], Iterator[str]]
GitlabVariants = Callable[[ReleaseConfig, str], Iterator[str]]


def _ci(root: Path, config: ReleaseConfig, name: str) -> list[Row]:
    github = root / GITHUB_FILE
    if github.is_file():
        return _github(github, config, lambda c, options: _github_variants(c, name, **options))
    gitlab = _gitlab_file(root)
    if gitlab is not None:
        return _gitlab(gitlab, config, lambda c, python: _gitlab_variants(c, name, python=python))
    return [("ci", FAIL, "no release pipeline (releasekit init-ci github, or gitlab, writes one)")]


def _gitlab_file(root: Path) -> Path | None:
    found = next((root / p for p in GITLAB_FILES if (root / p).is_file()), None)
    if found is None or "releasekit" not in found.read_text(encoding="utf-8", errors="replace"):
        return None
    return found


def _package_variants(name: str, where: str) -> GithubVariants:
    """A package's own workflow (``release-<name>.yml``), working in its directory."""

    def variants(config: ReleaseConfig, options: dict[str, str]) -> Iterator[str]:
        outdir = f"{where}/{config.build_outdir.strip('/')}/"
        return _github_variants(config, name, project_dir=where, outdir=outdir, **options)

    return variants


def _matrix(read: Sequence[tuple[Project, ReleaseConfig, str]]) -> GithubVariants:
    """The monorepo's one workflow, over the matrix of its packages (init-ci github at
    the repository's root)."""
    patterns = sorted({github_tag_pattern(c, project.name) for project, c, _ in read})

    def variants(config: ReleaseConfig, options: dict[str, str]) -> Iterator[str]:
        for trigger, test_first, release_page in product(CI_TRIGGERS, _BOTH, _BOTH):
            yield github_matrix_workflow(
                config,
                patterns,
                trigger=trigger,
                test_first=test_first,
                outdir=config.build_outdir.strip("/") + "/",
                release_page=release_page,
                **options,
            )

    return variants


def _gitlab_packages(read: Sequence[tuple[Project, ReleaseConfig, str]]) -> GitlabVariants:
    """A monorepo's GitLab pipeline: init-ci gitlab writes it for one package."""

    def variants(_: ReleaseConfig, python: str) -> Iterator[str]:
        for project, config, where in read:
            outdir = f"{where}/{config.build_outdir.strip('/')}/"
            yield from _gitlab_variants(
                config, project.name, python=python, project_dir=where, outdir=outdir
            )

    return variants


def _github(path: Path, config: ReleaseConfig, variants: GithubVariants) -> list[Row]:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        workflow = read_workflow_text(text)
    except WorkflowSyntaxError as exc:
        return [("ci", FAIL, f"{GITHUB_FILE} cannot be read: {exc}")]
    jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
    if not isinstance(jobs, dict):
        return [("ci", FAIL, f"{GITHUB_FILE} has no jobs")]
    steps = [(job, step) for job, body in jobs.items() for step in _steps(body)]
    options = _github_options(jobs)
    results: list[Row] = [("ci.current", *_current(text, variants(config, options), "github"))]
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


def _gitlab(path: Path, config: ReleaseConfig, variants: GitlabVariants) -> list[Row]:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = variants(config, _gitlab_python(text))
    results: list[Row] = [("ci.current", *_current(text, found, "gitlab"))]
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


def _github_options(jobs: dict[str, Any]) -> dict[str, str]:
    """What init-ci github was given, read back from the workflow: ``--environment``,
    ``--test-environment``, ``--python`` (absent: init-ci's defaults)."""
    options: dict[str, str] = {}
    for job, option in (("publish", "environment"), ("publish-test", "test_environment")):
        if isinstance(jobs.get(job), dict) and jobs[job].get("environment"):
            options[option] = _environment(jobs[job])
    python = next(
        (
            str(step["with"]["python-version"])
            for body in jobs.values()
            for step in _steps(body)
            if str(step.get("uses", "")).startswith("actions/setup-python@")
            and isinstance(step.get("with"), dict)
            and "python-version" in step["with"]
        ),
        None,
    )
    if python is not None:
        options["python"] = python
    return options


def _gitlab_python(text: str) -> str:
    """init-ci gitlab's ``--python``, read back from the image of its ``.releasekit`` job."""
    with contextlib.suppress(WorkflowSyntaxError):
        pipeline = read_workflow_text(text)
        template = pipeline.get(".releasekit") if isinstance(pipeline, dict) else None
        image = template.get("image") if isinstance(template, dict) else None
        if isinstance(image, str) and image.startswith("python:"):
            return image.removeprefix("python:")
    return DEFAULT_PYTHON


def _github_variants(
    config: ReleaseConfig,
    name: str,
    *,
    environment: str = DEFAULT_ENVIRONMENT,
    test_environment: str = DEFAULT_TEST_ENVIRONMENT,
    python: str = DEFAULT_PYTHON,
    project_dir: str = "",
    outdir: str = "",
) -> Iterator[str]:
    """Every workflow init-ci github writes for a project (at the top of its repository,
    or in ``project_dir``), with the environments and the Python the workflow names."""
    outdir = outdir or config.build_outdir.strip("/") + "/"
    install = install_requirements(config, attest=bool(config.repository("prod").pypi_host))
    for trigger, test_first, release_page, wheels in product(
        CI_TRIGGERS, _BOTH, _BOTH, ("", "cibuildwheel")
    ):
        yield github_workflow(
            config,
            name,
            install=install,
            trigger=trigger,
            environment=environment,
            test_environment=test_environment,
            test_first=test_first,
            python=python,
            project_dir=project_dir,
            outdir=outdir,
            wheels=wheels,
            release_page=release_page,
        )


def _gitlab_variants(
    config: ReleaseConfig, name: str, *, python: str, project_dir: str = "", outdir: str = ""
) -> Iterator[str]:
    outdir = outdir or config.build_outdir.strip("/") + "/"
    for target, trigger, include, release_page in product(TARGETS, CI_TRIGGERS, _BOTH, _BOTH):
        yield gitlab_ci(
            config,
            name,
            install=install_requirements(config, attest=target != "registry"),
            trigger=trigger,
            target=target,
            python=python,
            project_dir=project_dir,
            outdir=outdir,
            include=include,
            release_page=release_page,
        )
