"""``releasekit trusted-publisher``: is the release workflow ready for trusted publishing
(a publishing job with ``id-token: write`` and a GitHub environment), and what exactly to
enter on PyPI's Publishing page, where (PyPI has no API for registering a publisher).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from releasekit.ci.paths import git_top, workflow_path
from releasekit.config import ReleaseConfig
from releasekit.errors import CheckError, CommandError, UsageError, VcsError
from releasekit.project import load_project
from releasekit.repositories import PYPI_TITLES, pypi_host_of
from releasekit.runner import Runner
from releasekit.trust.workflow import WorkflowSyntaxError, read_workflow
from releasekit.vcs import Git

GITHUB_HOSTS = {"github.com", "www.github.com", "ssh.github.com"}


class WorkflowNotReadyError(CheckError):
    """The workflow cannot publish with a trusted publisher yet (exit code 9, CHECK)."""


# --- what the workflow does ------------------------------------------------------------


@dataclass(frozen=True)
class PublishingJob:
    """A job that uploads to PyPI or TestPyPI, and what trusted publishing needs of it."""

    job: str
    host: str  # pypi.org or test.pypi.org
    command: str  # the step that uploads, for messages
    environment: str  # "" when the job has none
    id_token: bool
    # Why id-token is not granted, when the job's permissions replace the workflow's.
    permissions_note: str = ""
    secrets: tuple[str, ...] = ()

    @property
    def index(self) -> str:
        return PYPI_TITLES[self.host]


_RELEASEKIT = re.compile(
    r"\breleasekit\s+(?P<command>upload-prod|upload-test|upload|publish|release)(?![\w-])"
    r"(?P<args>[^\n;&|]*)"
)
_ADAPTER = re.compile(
    r"\b(?:nox\b[^\n;&|]*?(?:-s|--session|-e)\s+|invoke\s+(?:[\w-]+\.)*)"
    r"(?P<command>upload-prod|upload-test|publish|release)(?![\w-])(?P<args>[^\n;&|]*)"
)
_TWINE = re.compile(r"\btwine\s+upload\b(?P<args>[^\n;&|]*)")
_UV_PUBLISH = re.compile(r"\buv\s+publish\b(?P<args>[^\n;&|]*)")
_SECRET = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)")


def _option(args: list[str], *names: str) -> str | None:
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.partition("=")[2]
    return None


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _host(url: str) -> str:
    """``pypi.org``/``test.pypi.org`` for PyPI's URLs, else the URL's host."""
    return pypi_host_of(url) or urlsplit(url).hostname or ""


def _repository_host(config: ReleaseConfig, name: str, args: list[str]) -> str:
    url = _option(args, "--repository-url")
    if url:
        return _host(url)
    repository = config.repositories.get(name)
    return _host(repository.upload_url) if repository else ""


def _uploads(step: Any, config: ReleaseConfig) -> Iterator[tuple[str, str]]:
    """(host, command) for every upload a step makes; host may be any index's."""
    if not isinstance(step, dict):
        return
    uses, run = step.get("uses"), step.get("run")
    if isinstance(uses, str) and uses.startswith("pypa/gh-action-pypi-publish"):
        options = step.get("with")
        options = options if isinstance(options, dict) else {}
        url = options.get("repository-url") or options.get("repository_url") or ""
        yield (_host(url) if isinstance(url, str) and url else "pypi.org"), uses
    if not isinstance(run, str):
        return
    run = run.replace("\\\n", " ")
    for match in (*_RELEASEKIT.finditer(run), *_ADAPTER.finditer(run)):
        command, args = match["command"], _split(match["args"])
        if command in ("upload-prod", "upload-test"):
            names = [command.removeprefix("upload-")]
        elif command == "upload":
            names = [_option(args, "--repository", "-r") or "test"]
        elif command == "publish":
            names = ["test" if "--test" in args else "prod"]
        else:  # release: the test index first, unless told otherwise
            test_first = config.release_test_first
            test_first = True if "--test-first" in args else test_first
            test_first = False if "--no-test-first" in args else test_first
            names = ["test", "prod"] if test_first else ["prod"]
        for name in names:
            yield _repository_host(config, name, args), match.group(0).strip()
    for match in _TWINE.finditer(run):
        args = _split(match["args"])
        url = _option(args, "--repository-url")
        name = _option(args, "--repository", "-r") or "pypi"
        known = {"pypi": "pypi.org", "testpypi": "test.pypi.org"}
        yield (_host(url) if url else known.get(name, "")), match[0].strip()
    for match in _UV_PUBLISH.finditer(run):
        args = _split(match["args"])
        url = _option(args, "--publish-url") or ""
        test = "test" in (_option(args, "--index") or "") or "test.pypi" in url
        yield ("test.pypi.org" if test else "pypi.org"), match[0].strip()


def _id_token(workflow: dict[str, Any], job: dict[str, Any]) -> tuple[bool, str]:
    def grants(permissions: Any) -> bool:
        if isinstance(permissions, str):
            return permissions.strip() == "write-all"
        return isinstance(permissions, dict) and permissions.get("id-token") == "write"

    if "permissions" in job:
        note = ""
        if not grants(job["permissions"]) and grants(workflow.get("permissions")):
            note = "its own permissions replace the workflow's, which grant id-token: write"
        return grants(job["permissions"]), note
    return grants(workflow.get("permissions")), ""


def _environment(job: dict[str, Any]) -> str:
    environment = job.get("environment")
    if isinstance(environment, dict):
        environment = environment.get("name")
    return environment.strip() if isinstance(environment, str) else ""


def _strings(value: Any, seen: set[int] | None = None) -> Iterator[str]:
    """Every string in ``value``. Aliases make a document a graph (even a cycle, or a
    "billion laughs"): each collection is walked once."""
    seen = set() if seen is None else seen
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list) and id(value) not in seen:
        seen.add(id(value))
        for item in value.values() if isinstance(value, dict) else value:
            yield from _strings(item, seen)


def publishing_jobs(
    workflow: dict[str, Any], config: ReleaseConfig
) -> tuple[list[PublishingJob], list[str]]:
    """Every (job, PyPI/TestPyPI) upload of the workflow; and notes on other uploads."""
    jobs = workflow.get("jobs")
    found: list[PublishingJob] = []
    notes: list[str] = []
    reusable: list[str] = []
    if not isinstance(jobs, dict):
        return found, notes
    for name, job in jobs.items():
        if not isinstance(job, dict):
            continue
        if isinstance(job.get("uses"), str):
            reusable.append(f"{name!r} ({job['uses']})")
        steps = job.get("steps")
        steps = steps if isinstance(steps, list) else []
        seen: set[str] = set()
        for step in steps:
            for host, command in _uploads(step, config):
                if host not in PYPI_TITLES:
                    notes.append(
                        f"job {name!r} uploads to {host or 'an index'} ({command}): not PyPI, "
                        "so trusted publishing does not apply"
                    )
                    continue
                if host in seen:
                    continue
                seen.add(host)
                granted, why = _id_token(workflow, job)
                secrets = sorted(
                    {s for text in _strings(job) for s in _SECRET.findall(text)} - {"GITHUB_TOKEN"}
                )
                found.append(
                    PublishingJob(
                        job=str(name),
                        host=host,
                        command=command,
                        environment=_environment(job),
                        id_token=granted,
                        permissions_note=why,
                        secrets=tuple(secrets),
                    )
                )
    if reusable and not found:
        notes.append(
            f"job {', '.join(reusable)} calls a reusable workflow, which releasekit does not "
            "read; PyPI's trusted publishing does not support uploading from one"
        )
    return found, notes


def workflow_problems(jobs: list[PublishingJob]) -> list[str]:
    """What keeps these jobs from publishing with a trusted publisher (empty: ready)."""
    problems = []
    for job in jobs:
        if not job.id_token:
            problems.append(
                f"job {job.job!r} ({job.index}) lacks `permissions: id-token: write`"
                + (f" ({job.permissions_note})" if job.permissions_note else "")
                + ": without it GitHub gives the job no OIDC token to trade with PyPI"
            )
        if not job.environment:
            problems.append(
                f"job {job.job!r} ({job.index}) runs in no GitHub environment: add "
                "`environment: pypi` (or testpypi) to the job, and enter the same name on PyPI"
            )
        elif "${{" in job.environment:
            problems.append(
                f"job {job.job!r} ({job.index}) takes its environment from an expression "
                f"({job.environment}): PyPI needs the name itself; write it out"
            )
    return problems


# --- where the repository is -----------------------------------------------------------

_SCP_LIKE = re.compile(r"(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>(?!/).+)")
_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def parse_github_remote(url: str) -> tuple[str, str]:
    """``(owner, repository)`` of a github.com remote URL (https, ssh, scp-like, git)."""
    url = url.strip()
    shown = re.sub(r"//[^@/]*@", "//", url)  # never show credentials of an https remote
    if "://" in url:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    elif match := _SCP_LIKE.fullmatch(url):
        host, path = match["host"], match["path"]
    else:
        host, path = "", ""
    segments = [s for s in path.strip("/").split("/") if s]
    if len(segments) == 2 and segments[1].endswith(".git"):
        segments[1] = segments[1][: -len(".git")]
    if host.lower() not in GITHUB_HOSTS or len(segments) != 2:
        raise UsageError(
            f"The git remote {shown!r} is not a github.com repository.",
            "PyPI's GitHub trusted publishers are for github.com; pass "
            "--github-repository OWNER/NAME if the remote has another name (an ssh host "
            "alias, a mirror).",
        )
    owner, name = segments
    if not (_NAME.fullmatch(owner) and _NAME.fullmatch(name)):
        raise UsageError(f"Cannot read owner and repository from {shown!r}.", "")
    return owner, name


def github_repository(
    runner: Runner, top: Path, remote: str, given: str | None = None
) -> tuple[str, str]:
    """``(owner, repository)``: from ``given`` (OWNER/NAME) or ``git remote get-url``."""
    if given:
        owner, _, name = given.strip().removesuffix(".git").partition("/")
        if not (_NAME.fullmatch(owner) and _NAME.fullmatch(name)):
            raise UsageError(f"--repository {given!r} is not OWNER/NAME.", "E.g. acme/widgets.")
        return owner, name
    try:
        url = Git(runner, top).remote_url(remote)
    except CommandError:
        raise VcsError(
            f"Cannot read the URL of the git remote {remote!r} in {top}.",
            "Add the GitHub remote (git remote add origin https://github.com/OWNER/NAME), "
            "set release.remote, or pass --github-repository OWNER/NAME.",
        ) from None
    return parse_github_remote(url)


# --- the report ------------------------------------------------------------------------


@dataclass(frozen=True)
class Publisher:
    """One trusted publisher to register: the values of PyPI's form, and where."""

    index: str  # PyPI or TestPyPI
    host: str
    project: str  # PEP 503 normalised
    owner: str
    repository: str
    workflow: str  # the file name, as PyPI asks for it
    environment: str
    jobs: tuple[str, ...]

    @property
    def existing_project_url(self) -> str:
        return f"https://{self.host}/manage/project/{self.project}/settings/publishing/"

    @property
    def pending_publisher_url(self) -> str:
        return f"https://{self.host}/manage/account/publishing/"

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "project": self.project,
            "owner": self.owner,
            "repository": self.repository,
            "workflow": self.workflow,
            "environment": self.environment,
            "jobs": list(self.jobs),
            "existing_project_url": self.existing_project_url,
            "pending_publisher_url": self.pending_publisher_url,
        }


@dataclass(frozen=True)
class TrustedPublisherReport:
    """A workflow that is ready for trusted publishing, and what to register for it."""

    project: str
    workflow_path: Path
    publishers: tuple[Publisher, ...]
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "step": "trusted-publisher",
            "ok": True,
            "ready": True,
            "project": self.project,
            "workflow_path": str(self.workflow_path),
            "publishers": [p.to_json() for p in self.publishers],
            "notes": list(self.notes),
        }

    def describe(self) -> str:
        lines = [
            f"{self.workflow_path} is ready for trusted publishing of {self.project}.",
            "PyPI has no API for this: register each publisher once, in a browser, as a "
            "GitHub publisher with these values.",
        ]
        for p in self.publishers:
            lines += [
                "",
                f"{p.index} (job {', '.join(p.jobs)}):",
                f"  PyPI Project Name:  {p.project}",
                f"  Owner:              {p.owner}",
                f"  Repository name:    {p.repository}",
                f"  Workflow name:      {p.workflow}",
                f"  Environment name:   {p.environment}",
                f"  if {p.project} exists on {p.host}: {p.existing_project_url}",
                f"  if not yet (a pending publisher): {p.pending_publisher_url}",
            ]
        owner, repository = self.publishers[0].owner, self.publishers[0].repository
        environments = ", ".join(sorted({p.environment for p in self.publishers}))
        lines += [
            "",
            f"GitHub creates the environment(s) {environments} on the first run; to require "
            "an approval before each upload, add reviewers at "
            f"https://github.com/{owner}/{repository}/settings/environments",
            "Then the workflow uploads without any stored token.",
        ]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def check_trusted_publishing(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    *,
    workflow: Path | None = None,
    repository: str | None = None,
) -> TrustedPublisherReport:
    """Check the release workflow of the project in ``root``; the publishers to register.

    Raises :class:`WorkflowNotReadyError` (exit code 9) listing everything that is missing
    when the workflow is absent, unreadable, uploads to neither PyPI nor TestPyPI, or has
    a publishing job without ``id-token: write`` or a GitHub environment.
    """
    project = load_project(root, config, runner)
    name = project.normalized_name
    top = git_top(runner, root) or root
    path = workflow or workflow_path(top, root, project.name)
    fix = (
        "Fix the workflow by hand, or write it anew with `releasekit init-ci github --force`; "
        "then run `releasekit trusted-publisher` again."
        if path.is_file()
        else "Write one with `releasekit init-ci github` (or pass --workflow FILE); then run "
        "`releasekit trusted-publisher` again."
    )
    details: dict[str, Any] = {"ready": False, "project": name, "workflow_path": str(path)}
    notes: list[str] = []

    def not_ready(problems: list[str]) -> WorkflowNotReadyError:
        error = WorkflowNotReadyError(
            f"{path} is not ready for trusted publishing: "
            + "; ".join(problems)
            + "."
            + "".join(f" Note: {note}." for note in notes),
            fix,
        )
        error.details = {**details, "problems": problems, "notes": list(notes)}
        return error

    if not path.is_file():
        raise not_ready(["the file does not exist"])
    try:
        document = read_workflow(path)
    except WorkflowSyntaxError as exc:
        raise not_ready([f"releasekit cannot read it ({exc})"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("jobs"), dict):
        raise not_ready(["it has no jobs"])
    jobs, job_notes = publishing_jobs(document, config)
    notes += job_notes
    if path.parent.name != "workflows" or path.parent.parent.name != ".github":
        notes.append("GitHub runs only workflows in .github/workflows/ at the repository's top")
    if not jobs:
        raise not_ready(
            [
                "no job uploads to PyPI or TestPyPI (releasekit upload-prod, upload-test, "
                "publish or release; twine upload; uv publish; pypa/gh-action-pypi-publish)"
            ]
        )
    problems = workflow_problems(jobs)
    if problems:
        raise not_ready(problems)
    for job in jobs:
        if job.secrets:
            notes.append(
                f"job {job.job!r} also passes {', '.join(job.secrets)}: a token found there is "
                "used before trusted publishing; remove it from the job and delete the secret"
            )
    owner, repo = github_repository(runner, top, config.release_remote, repository)
    publishers = _publishers(jobs, name, owner, repo, path.name)
    return TrustedPublisherReport(name, path, publishers, tuple(notes))


def _publishers(
    jobs: Sequence[PublishingJob], name: str, owner: str, repo: str, workflow: str
) -> tuple[Publisher, ...]:
    """One publisher per (index, environment) the jobs upload to; PyPI's first."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for job in jobs:
        grouped.setdefault((job.host, job.environment), []).append(job.job)
    return tuple(
        Publisher(
            index=PYPI_TITLES[host],
            host=host,
            project=name,
            owner=owner,
            repository=repo,
            workflow=workflow,
            environment=environment,
            jobs=tuple(job_names),
        )
        for (host, environment), job_names in sorted(
            grouped.items(), key=lambda item: item[0][0] != "pypi.org"
        )
    )
