"""``releasekit init-ci``: CI pipelines that release with the commands a developer runs.

``github`` writes ``.github/workflows/release.yml`` (:mod:`releasekit.ci.github`),
``gitlab`` writes ``.gitlab-ci.yml`` (:mod:`releasekit.ci.gitlab`); both from text
templates (:mod:`releasekit.ci.yaml_text`), trusted publishing's parts from
:mod:`releasekit.ci.trusted_publishing`. This module decides where the file goes, what
releasekit the jobs install, what to warn about, and writes it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from releasekit.ci.github import github_jobs, github_matrix_workflow, github_workflow
from releasekit.ci.gitlab import TARGETS, add_include, gitlab_ci, gitlab_jobs
from releasekit.ci.paths import GITHUB_WORKFLOW, git_top, workflow_path
from releasekit.ci.requirements import source_note
from releasekit.ci.spec import DEFAULT_ENVIRONMENT, DEFAULT_TEST_ENVIRONMENT, PipelineSpec
from releasekit.ci.yaml_text import github_tag_pattern, gitlab_tag_regex, yaml_scalar
from releasekit.commands import CI_PROVIDERS, CI_PYTHON, CI_TRIGGERS, CI_WHEELS
from releasekit.errors import ConfigError, UsageError
from releasekit.files import write_atomic
from releasekit.project import load_project
from releasekit.vcs import Git

if TYPE_CHECKING:
    from collections.abc import Sequence

    from releasekit.config import ReleaseConfig
    from releasekit.project import Project
    from releasekit.runner import Runner
    from releasekit.tags import ReleaseTags

__all__ = [
    "DEFAULT_ENVIRONMENT",
    "DEFAULT_TEST_ENVIRONMENT",
    "CiFile",
    "CiFileExistsError",
    "CiOptions",
    "PipelineSpec",
    "git_top",
    "github_tag_pattern",
    "github_workflow",
    "gitlab_ci",
    "gitlab_tag_regex",
    "init_ci",
    "init_ci_workspace",
    "workflow_path",
    "yaml_scalar",
]

PROVIDERS, TRIGGERS, WHEELS = CI_PROVIDERS, CI_TRIGGERS, CI_WHEELS
GITLAB_CI = Path(".gitlab-ci.yml")
GITLAB_INCLUDED = Path(".gitlab/releasekit.yml")
DEFAULT_PYTHON = CI_PYTHON
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def _release_page_possible(wanted: bool, projects: Sequence[Project]) -> tuple[bool, list[str]]:
    """Whether the release page goes in, and why not: its notes come from the changelog,
    and without one the job would fail after every publish."""
    without = [project.name for project in projects if project.changelog is None]
    if not wanted or not without:
        return wanted, []
    return False, [
        f"no release page: {', '.join(without)} has no changelog for `releasekit notes` to "
        "read (add CHANGELOG.md, then run init-ci again with --force)"
    ]


class CiFileExistsError(UsageError):
    """init-ci would replace a file that exists and differs; ``--force`` says it is meant."""


@dataclass(frozen=True)
class CiOptions:
    """init-ci's choices (its command-line flags); checked when made. ``wheels``,
    ``target`` and ``include`` serve one provider each (see README, init-ci). What they
    write is :meth:`pipeline`."""

    trigger: str = "tag"
    environment: str = DEFAULT_ENVIRONMENT
    test_environment: str = DEFAULT_TEST_ENVIRONMENT
    test_first: bool | None = None  # None: the project's release.test-first
    python: str = DEFAULT_PYTHON
    output: Path | None = None
    force: bool = False
    dry_run: bool = False
    release_page: bool = True
    wheels: str = ""  # GitHub
    target: str = "registry"  # GitLab
    include: bool = False  # GitLab

    def __post_init__(self) -> None:
        if self.trigger not in TRIGGERS:
            raise UsageError(f"Unknown trigger {self.trigger!r}.", "Use tag or branch.")
        if not re.fullmatch(r"\d+\.\d+", self.python):
            raise UsageError(
                f"--python {self.python!r} is not a Python version.", "Give X.Y, e.g. 3.12."
            )
        for what, value in (
            ("--environment", self.environment),
            ("--test-environment", self.test_environment),
        ):
            if not value.strip():
                raise UsageError(f"{what} must not be empty.", "Give an environment name.")
        if self.wheels and self.wheels not in WHEELS:
            raise UsageError(f"Unknown --wheels {self.wheels!r}.", "Use --wheels cibuildwheel.")
        if self.target not in TARGETS:
            raise UsageError(
                f"Unknown --target {self.target!r}.", "Use registry, pypi or testpypi."
            )

    def pipeline(
        self, config: ReleaseConfig, *, release_page: bool, project_dir: str = "", outdir: str
    ) -> PipelineSpec:
        """The pipeline these options write for a project configured by ``config``, in
        ``project_dir`` with its artifacts in ``outdir`` (both relative to the repository's
        top); ``release_page`` says whether the page is possible (a changelog to read)."""
        return PipelineSpec(
            trigger=self.trigger,
            python=self.python,
            project_dir=project_dir,
            outdir=outdir,
            release_page=release_page,
            environment=self.environment,
            test_environment=self.test_environment,
            test_first=config.release_test_first if self.test_first is None else self.test_first,
            wheels=self.wheels,
            target=self.target,
            include=self.include,
        )


@dataclass(frozen=True)
class CiFile:
    """What init-ci wrote (or would write): the file, its text, and what happened."""

    provider: str
    path: Path
    content: str
    trigger: str
    jobs: tuple[str, ...]
    written: bool = False
    replaced: bool = False
    unchanged: bool = False
    dry_run: bool = False
    notes: tuple[str, ...] = field(default=())
    # --include: the existing .gitlab-ci.yml, with the include added (None: left alone).
    including: Path | None = None
    including_content: str | None = None

    def to_json(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "step": "init-ci",
            "ok": True,
            "provider": self.provider,
            "path": str(self.path),
            "trigger": self.trigger,
            "jobs": list(self.jobs),
            "written": self.written,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "included_from": str(self.including) if self.including else None,
            "notes": list(self.notes),
        }
        if self.dry_run:
            summary["content"] = self.content
        return summary

    def describe(self) -> str:
        """What happened, for a person: the file (or its text, in a dry run) and the notes."""
        if self.dry_run and not self.unchanged:
            lines = [self.content.rstrip("\n"), f"# dry run: {self.path} was not written"]
        elif self.unchanged:
            lines = [f"{self.path} is already what init-ci writes; nothing changed"]
        else:
            verb = "replaced" if self.replaced else "wrote"
            lines = [f"{verb} {self.path} (jobs: {', '.join(self.jobs)})"]
            if self.including is not None:
                lines.append(f"added it to the include: of {self.including}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _layout(root: Path, top: Path, config: ReleaseConfig) -> tuple[str, str]:
    """Where the project sits in the repository (``""``: at its top) and where its
    artifacts go, relative to the top (a trailing ``/``): the CI's paths start there."""
    project_dir = Path(os.path.relpath(root, top)).as_posix()
    outdir = Path(os.path.relpath((root / config.build_outdir).resolve(), top)).as_posix()
    if outdir.startswith("..") or outdir == ".":
        raise ConfigError(
            f"build.outdir ({config.build_outdir}) is not a directory inside the repository, "
            "so CI jobs cannot hand the artifacts on.",
            'Set [tool.releasekit.build] outdir to a directory in the project (e.g. "dist").',
        )
    return ("" if project_dir == "." else project_dir), outdir + "/"


def _local_repositories(config: ReleaseConfig, names: tuple[str, ...]) -> list[str]:
    found = []
    for name in names:
        repository = config.repositories.get(name)
        if repository is None:
            continue
        for url in (repository.upload_url, repository.index_url):
            if urlsplit(url).hostname in _LOCAL_HOSTS:
                found.append(
                    f"the repository {name!r} is on this machine ({urlsplit(url).hostname}): "
                    "a CI job cannot reach it; point it at a real index for CI"
                )
                break
    return found


# --- writing ---------------------------------------------------------------------------


def _unignored_outdir(runner: Runner, top: Path, outdir: str) -> bool:
    """True when git would see built artifacts as untracked files (check then fails)."""

    git = Git(runner, top)
    return not all(
        git.is_ignored(outdir + probe)
        for probe in ("probe-0.0.0-py3-none-any.whl", "probe-0.0.0.tar.gz")
    )


def init_ci(
    root: Path,
    project: Project,
    tags: ReleaseTags,
    runner: Runner,
    provider: str,
    options: CiOptions,
) -> CiFile:
    """Write (or, with ``options.dry_run``, only render) the CI pipeline for ``project``
    in ``root``; its ``tags`` (:func:`releasekit.plan.release_tags`) give the configuration
    as used: a project that tags bare versions (1.2.3) gets a pipeline triggered by those.

    The file goes to the top of the git repository that holds ``root`` (GitHub and GitLab
    read it only there), or to ``output``. An existing file that differs is replaced only
    with ``force``; one with the same text is left alone. With ``include`` (GitLab), the
    jobs go to ``.gitlab/releasekit.yml`` and the existing ``.gitlab-ci.yml`` gains an
    ``include:`` of it.
    """
    if provider not in PROVIDERS:
        raise UsageError(f"Unknown CI provider {provider!r}.", "Use github or gitlab.")
    output, config = options.output, tags.config
    notes: list[str] = [tags.note] if tags.note else []
    release_page, said = _release_page_possible(options.release_page, [project])
    notes += said
    top = git_top(runner, root)
    in_git = top is not None
    if top is None:
        top = root
        notes.append(f"{root} is not in a git repository: the file is written there")
    project_dir, outdir = _layout(root.resolve(), top.resolve(), config)
    spec = options.pipeline(
        config, release_page=release_page, project_dir=project_dir, outdir=outdir
    )
    including: Path | None = None
    including_content: str | None = None
    if provider == "github":
        content, jobs = github_workflow(config, project.name, spec), github_jobs(spec)
        path = output or workflow_path(top, root, project.name)
        if output is not None and output.resolve().parent != (top / GITHUB_WORKFLOW).parent:
            notes.append(f"GitHub runs only workflows in {top / GITHUB_WORKFLOW.parent}")
        if config.repository("prod").pypi_host:
            notes.append(
                "next: register the trusted publisher on PyPI; `releasekit trusted-publisher` "
                "prints the values to enter"
            )
        notes += _local_repositories(config, _published(spec))
    else:
        content, jobs = gitlab_ci(config, project.name, spec), gitlab_jobs(spec)
        if spec.include:
            path = output or top / GITLAB_INCLUDED
            including = top / GITLAB_CI
            including_content, note = _including(including, path, top)
            notes += [note] if note else []
        else:
            path = output or top / GITLAB_CI
        if spec.target != "registry":
            names = ("prod",) if spec.target == "pypi" else ("test",)
            notes += _local_repositories(config, names)
    notes += source_note(config)
    if spec.trigger == "branch" and len(config.release_branches) > 1:
        notes.append(
            f"only the first release branch ({config.release_branches[0]}) triggers a release"
        )
    if in_git and _unignored_outdir(runner, top, outdir):
        notes.append(
            f"warning: git does not ignore {outdir}: in CI, check will find the built "
            f"files as uncommitted changes; add {outdir} to .gitignore"
        )
    result = CiFile(
        provider=provider,
        path=path,
        content=content,
        trigger=spec.trigger,
        jobs=jobs,
        dry_run=options.dry_run,
        notes=tuple(notes),
        including=including if including_content is not None else None,
        including_content=including_content,
    )
    return _write(result, force=options.force)


def _including(gitlab_ci_path: Path, included: Path, top: Path) -> tuple[str | None, str]:
    """The new text of ``.gitlab-ci.yml`` with an ``include:`` of ``included`` (None when
    it cannot be added safely), and a note for the user."""
    relative = included.resolve().relative_to(top.resolve()).as_posix()
    if not gitlab_ci_path.is_file():
        return None, (
            f"there is no {GITLAB_CI} to include {relative} from: create one with "
            f"include: - local: /{relative}"
        )
    existing = gitlab_ci_path.read_text(encoding="utf-8")
    if f"/{relative}" in existing:
        return None, ""
    updated = add_include(existing, relative)
    if updated is None:
        return None, (
            f"{GITLAB_CI} has an include: already; add - local: /{relative} to it by hand"
        )
    return updated, ""


def _published(spec: PipelineSpec) -> tuple[str, ...]:
    """The repositories a GitHub workflow uploads to, in order."""
    return ("test", "prod") if spec.test_first else ("prod",)


def _write(result: CiFile, *, force: bool) -> CiFile:
    """Write ``result.content`` unless the file differs (and no ``force``) or dry run;
    then, for --include, the existing ``.gitlab-ci.yml`` with its new include."""
    path = result.path
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    if existing == result.content:
        return CiFile(**{**result.__dict__, "unchanged": True})
    if existing is not None and not force:
        if result.dry_run:
            note = f"{path} exists and differs: writing it needs --force"
            return CiFile(**{**result.__dict__, "notes": (*result.notes, note)})
        raise CiFileExistsError(
            f"{path} already exists and is not what init-ci would write; it was left as it is.",
            f"See what it would write with `releasekit init-ci {result.provider} --dry-run`, "
            "then pass --force to replace it (or merge the jobs by hand).",
        )
    if result.dry_run:
        return result

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, result.content.encode("utf-8"))
    if result.including is not None and result.including_content is not None:
        write_atomic(result.including, result.including_content.encode("utf-8"))
    return CiFile(**{**result.__dict__, "written": True, "replaced": existing is not None})


def init_ci_workspace(
    workspace: Path,
    packages: Sequence[tuple[Path, ReleaseConfig]],
    runner: Runner,
    options: CiOptions,
) -> CiFile:
    """The GitHub release workflow of a monorepo: one file, its jobs over the matrix of
    packages ``releasekit plan --json`` finds with a new version."""

    if options.wheels:
        raise UsageError(
            "--wheels is for a single project; a monorepo's workflow builds each package "
            "with releasekit build.",
            "Write a workflow for the package with compiled code: init-ci github --wheels "
            "cibuildwheel --package DIR.",
        )
    top = git_top(runner, workspace) or workspace
    config = packages[0][1]
    outdirs = {c.build_outdir for _, c in packages}
    if len(outdirs) != 1:
        raise ConfigError(
            f"The packages build into different directories ({', '.join(sorted(outdirs))}); "
            "one workflow hands them on under one name.",
            "Give every package the same build.outdir (the default, dist, is simplest).",
        )
    projects = [(load_project(root, c, runner), c) for root, c in packages]
    patterns = sorted({github_tag_pattern(c, project.name) for project, c in projects})
    release_page, notes = _release_page_possible(options.release_page, [p for p, _ in projects])
    spec = options.pipeline(
        config, release_page=release_page, outdir=config.build_outdir.strip("/") + "/"
    )
    content = github_matrix_workflow(config, patterns, spec)
    notes.append(f"the jobs run over the packages `releasekit plan` lists ({len(packages)} now)")
    notes += _local_repositories(config, _published(spec))
    notes += source_note(config)
    first = Path(os.path.relpath(packages[0][0] / config.build_outdir, top)).as_posix()
    if _unignored_outdir(runner, top, first + "/"):
        notes.append(
            "warning: git does not ignore the packages' build directories: add dist/ to .gitignore"
        )
    result = CiFile(
        provider="github",
        path=options.output or top / GITHUB_WORKFLOW,
        content=content,
        trigger=spec.trigger,
        jobs=github_jobs(spec, matrix=True),
        dry_run=options.dry_run,
        notes=tuple(notes),
    )
    return _write(result, force=options.force)
