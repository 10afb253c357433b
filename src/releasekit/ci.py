"""``releasekit init-ci``: CI pipelines that release with the commands a developer runs.

``github`` writes ``.github/workflows/release.yml``: build and check, then (where
configured) TestPyPI and verify, then PyPI and verify, each upload in a GitHub
environment with ``id-token: write`` so that PyPI's trusted publishing mints the token.
``gitlab`` writes ``.gitlab-ci.yml``: build and check, then upload to the project's own
package registry with the CI job token, and verify. The YAML is written from text
templates (no YAML library at run time); every value that comes from the configuration
or the command line goes through :func:`yaml_scalar`.
"""

from __future__ import annotations

import argparse
import os
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.errors import CommandError, ConfigError, UsageError

if TYPE_CHECKING:
    from releasekit.config import ReleaseConfig, Repository
    from releasekit.runner import Runner

PROVIDERS = ("github", "gitlab")
TRIGGERS = ("tag", "branch")
GITHUB_WORKFLOW = Path(".github/workflows/release.yml")
GITLAB_CI = Path(".gitlab-ci.yml")
DEFAULT_PYTHON = "3.12"
DEFAULT_ENVIRONMENT = "pypi"
DEFAULT_TEST_ENVIRONMENT = "testpypi"
# The project's GitLab package registry, as the job sees it (CI_API_V4_URL has no slash
# at the end). Job variables, expanded by GitLab; not RELEASEKIT_*: those are settings.
GITLAB_UPLOAD_URL = "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi"
GITLAB_INDEX_URL = GITLAB_UPLOAD_URL + "/simple"
GITLAB_REPOSITORY = "gitlab"


class CiFileExistsError(UsageError):
    """init-ci would replace a file that exists and differs; ``--force`` says it is meant."""


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
            "notes": list(self.notes),
        }
        if self.dry_run:
            summary["content"] = self.content
        return summary


# --- YAML text -------------------------------------------------------------------------

# Plain scalars that every YAML 1.1 and 1.2 reader takes as this very string: no leading
# indicator or digit (numbers, dates: "3.10" would be the float 3.1), no ": " or "#".
_PLAIN = re.compile(r"[A-Za-z_/$][A-Za-z0-9_./@=\"\[\]$:+ -]*")
_RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}


def _check_text(value: str) -> None:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise UsageError(
            f"{value!r} contains a control character and cannot be written into CI YAML.",
            "Fix the value in the configuration or on the command line.",
        )


def yaml_scalar(value: str) -> str:
    """``value`` as a YAML scalar: plain when that is unambiguous, else single-quoted."""
    _check_text(value)
    if (
        _PLAIN.fullmatch(value)
        and value.lower() not in _RESERVED
        and ": " not in value
        and "  " not in value
        and not value.endswith((":", " "))
    ):
        return value
    return "'" + value.replace("'", "''") + "'"


def _comment(text: str) -> str:
    """``text`` as YAML comment lines."""
    _check_text(text)
    return textwrap.fill(
        text,
        width=88,
        initial_indent="# ",
        subsequent_indent="# ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _github_glob(literal: str) -> str:
    """``literal`` as a GitHub filter pattern (its special characters escaped)."""
    return re.sub(r"([*?+\[\]!\\])", r"\\\1", literal)


def _re2(literal: str) -> str:
    """``literal`` escaped for a GitLab ``/regex/`` (RE2: any punctuation may be escaped)."""
    return "".join(c if c.isalnum() or c in "_-" else "\\" + c for c in literal)


def tag_parts(config: ReleaseConfig, name: str) -> tuple[str, str]:
    """What comes before and after the version in a release tag (``v`` and ``""``)."""
    before, _, after = config.format_tag("\0", name).partition("\0")
    return before, after


def github_tag_pattern(config: ReleaseConfig, name: str) -> str:
    """The push filter for release tags: ``v{version}`` -> ``v[0-9]*``."""
    before, after = tag_parts(config, name)
    return _github_glob(before) + "[0-9]*" + _github_glob(after)


def gitlab_tag_regex(config: ReleaseConfig, name: str) -> str:
    """The rule's regex for release tags: ``v{version}`` -> ``/^v[0-9]/``."""
    before, after = tag_parts(config, name)
    tail = ".*" + _re2(after) + "$" if after else ""
    return "/^" + _re2(before) + "[0-9]" + tail + "/"


def _glob_re2(pattern: str) -> str:
    """An fnmatch-style glob (release-branches) as a GitLab regex body."""
    parts, i = [], 0
    while i < len(pattern):
        char, end = pattern[i], pattern.find("]", i + 2)
        if char == "[" and end != -1:
            body = pattern[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            parts.append("[" + body.replace("\\", "\\\\").replace("/", "\\/") + "]")
            i = end
        else:
            parts.append({"*": ".*", "?": "."}.get(char) or _re2(char))
        i += 1
    return "".join(parts)


def _gitlab_branch_rule(pattern: str) -> str:
    if not any(c in pattern for c in '*?["\\'):
        return f'$CI_COMMIT_BRANCH == "{pattern}"'
    return f"$CI_COMMIT_BRANCH =~ /^{_glob_re2(pattern)}$/"


def _release_branch(config: ReleaseConfig) -> str:
    if not config.release_branches:
        raise ConfigError(
            "--trigger branch needs a release branch, and release-branches is empty.",
            'Set release-branches = ["main"] in [tool.releasekit], or use --trigger tag.',
        )
    return config.release_branches[0]


@dataclass(frozen=True)
class _Layout:
    """Where the project sits in the repository: the CI's paths are relative to its top."""

    project_dir: str  # "" when the project is the repository's top level
    outdir: str  # the artifacts' directory, relative to the top, with a trailing "/"


def _layout(root: Path, top: Path, config: ReleaseConfig) -> _Layout:
    project_dir = Path(os.path.relpath(root, top)).as_posix()
    outdir = Path(os.path.relpath((root / config.build_outdir).resolve(), top)).as_posix()
    if outdir.startswith("..") or outdir == ".":
        raise ConfigError(
            f"build.outdir ({config.build_outdir}) is not a directory inside the repository, "
            "so CI jobs cannot hand the artifacts on.",
            'Set [tool.releasekit.build] outdir to a directory in the project (e.g. "dist").',
        )
    return _Layout("" if project_dir == "." else project_dir, outdir + "/")


# --- GitHub Actions --------------------------------------------------------------------

_GITHUB_HEADER = """\
# Written by `releasekit init-ci github`.
{about}
name: Release

on:
  push:
{trigger}
permissions:
  contents: read
{defaults}
jobs:
"""

_GITHUB_SETUP = """\
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # every tag and commit: the tag check and SOURCE_DATE_EPOCH
          persist-credentials: false
      - uses: actions/setup-python@v5
        with:
          python-version: {python}
      - run: python -m pip install "releasekit[uv]"
"""

_GITHUB_BUILD = """\
  build:
    name: Build and check
    runs-on: ubuntu-latest
    steps:
{setup}\
      - run: releasekit build
{checks}\
      - uses: actions/upload-artifact@v4
        with:
          name: dist
          path: {outdir}
          if-no-files-found: error
"""

_GITHUB_PUBLISH = """\

  {job}:
    name: {title}
    needs: {needs}
    runs-on: ubuntu-latest
    environment:
      name: {environment}{url}
{permissions}\
    steps:
{setup}\
      - uses: actions/download-artifact@v4
        with:
          name: dist
          path: {outdir}
      - run: releasekit {upload} --yes
      - run: releasekit verify --repository {repository}{install}
"""

_TRUSTED_PUBLISHING = """\
    permissions:
      contents: read
      id-token: write  # trusted publishing: no stored token
"""


def _pypi_host(repository: Repository) -> str:
    return repository.pypi_host


def _title(repository: Repository) -> str:
    """PyPI, TestPyPI, or the repository's name."""
    return {"pypi.org": "PyPI", "test.pypi.org": "TestPyPI"}.get(
        _pypi_host(repository), repository.name
    )


def _publish_job(
    job: str,
    needs: str,
    repository: Repository,
    environment: str,
    *,
    project: str,
    setup: str,
    outdir: str,
    install: bool,
) -> str:
    from releasekit.project import normalize_name

    host = _pypi_host(repository)
    url = f"\n      url: https://{host}/project/{normalize_name(project)}/" if host else ""
    if host:
        permissions = _TRUSTED_PUBLISHING
    elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", repository.token_env):
        secret = yaml_scalar("${{ secrets." + repository.token_env + " }}")
        permissions = f"    env:\n      {repository.token_env}: {secret}\n"
    else:
        permissions = ""
    return _GITHUB_PUBLISH.format(
        job=job,
        title=f"Publish to {_title(repository)}",
        needs=needs,
        environment=yaml_scalar(environment),
        url=url,
        permissions=permissions,
        setup=setup,
        outdir=yaml_scalar(outdir),
        upload=f"upload-{repository.name}",
        repository=repository.name,
        install=" --install" if install else "",
    )


def github_workflow(
    config: ReleaseConfig,
    project: str,
    *,
    trigger: str = "tag",
    environment: str = DEFAULT_ENVIRONMENT,
    test_environment: str = DEFAULT_TEST_ENVIRONMENT,
    test_first: bool = True,
    python: str = DEFAULT_PYTHON,
    project_dir: str = "",
    outdir: str = "dist/",
) -> str:
    """The text of a GitHub Actions release workflow for ``project``."""
    if trigger == "tag":
        pattern = github_tag_pattern(config, project)
        about = f"It runs when a release tag ({config.format_tag('1.2.3', project)}) is pushed."
        on = f"    tags:\n      - {yaml_scalar(pattern)}\n"
    else:
        branch = _release_branch(config)
        about = (
            f"It runs on every push to {branch}; a push that does not change the version "
            "stops at `releasekit check` (that version is already on the index)."
        )
        on = f"    branches:\n      - {yaml_scalar(branch)}\n"
    uploads = [("publish-test", "test", test_environment)] if test_first else []
    uploads.append(("publish", "prod", environment))
    repositories = [config.repository(name) for _, name, _ in uploads]
    about += f" Jobs: build and check, then {' and verify, then '.join(map(_title, repositories))}"
    about += " and verify. Every step is a releasekit command you can run locally."
    trusted = [_title(r) for r in repositories if _pypi_host(r)]
    if trusted:
        about += (
            f" The uploads to {' and '.join(trusted)} use trusted publishing: GitHub hands the "
            "job an OIDC token (id-token: write) that the index trades for a short-lived upload "
            "token, so no API token is stored anywhere. Register the publisher once: "
            "`releasekit trusted-publisher` prints the exact values and the page."
        )
    defaults = (
        f"\ndefaults:\n  run:\n    working-directory: {yaml_scalar(project_dir)}\n"
        if project_dir
        else ""
    )
    text = _GITHUB_HEADER.format(about=_comment(about), trigger=on, defaults=defaults)
    setup = _GITHUB_SETUP.format(python=yaml_scalar(python))
    checks = "".join(f"      - run: releasekit check --repository {n}\n" for _, n, _ in uploads)
    text += _GITHUB_BUILD.format(setup=setup, checks=checks, outdir=yaml_scalar(outdir))
    needs = "build"
    for (job, _, job_environment), repository in zip(uploads, repositories, strict=True):
        text += _publish_job(
            job,
            needs,
            repository,
            job_environment,
            project=project,
            setup=setup,
            outdir=outdir,
            install=repository.name == "prod",
        )
        needs = job
    return text


# --- GitLab CI -------------------------------------------------------------------------

_GITLAB = """\
# Written by `releasekit init-ci gitlab`.
{when}
stages:
  - build
  - publish

variables:
  RELEASE_UPLOAD_URL: {upload_url}
  RELEASE_INDEX_URL: {index_url}
  GIT_DEPTH: '0'  # every tag and commit: the tag check and SOURCE_DATE_EPOCH

.releasekit:
  image: {image}
  rules:
    - if: {rule}
  before_script:
{before}\
    - python -m pip install "releasekit[uv]"

release-build:
  extends: .releasekit
  stage: build
  script:
    - releasekit build
    - releasekit check {repository}
  artifacts:
    paths:
      - {outdir}
    expire_in: 1 week

release-publish:
  extends: .releasekit
  stage: publish
  needs:
    - release-build
  script:
    - releasekit upload {repository}
    - releasekit verify {repository} --install
"""


def gitlab_ci(
    config: ReleaseConfig,
    project: str,
    *,
    trigger: str = "tag",
    python: str = DEFAULT_PYTHON,
    project_dir: str = "",
    outdir: str = "dist/",
) -> str:
    """The text of a ``.gitlab-ci.yml`` that releases ``project`` to its GitLab registry."""
    before = f"    - cd {yaml_scalar(project_dir)}\n" if project_dir else ""
    if trigger == "tag":
        rule = f"$CI_COMMIT_TAG =~ {gitlab_tag_regex(config, project)}"
        when = f"It runs when a release tag ({config.format_tag('1.2.3', project)}) is pushed."
    else:
        branch = _release_branch(config)
        rule = _gitlab_branch_rule(branch)
        when = (
            f"It runs on every push to {branch}; a push that does not change the version "
            "stops at `releasekit check`."
        )
        # GitLab checks out a detached HEAD; releasekit's check wants the release branch.
        before += '    - git checkout -B "$CI_COMMIT_BRANCH"\n'
    repository = (
        f'--repository {GITLAB_REPOSITORY} --repository-url "$RELEASE_UPLOAD_URL" '
        '--index-url "$RELEASE_INDEX_URL"'
    )
    when += (
        " Jobs: build and check, then upload to this project's package registry with the "
        "CI job token (no stored secret) and verify it there. Every step is a releasekit "
        "command you can run locally."
    )
    return _GITLAB.format(
        when=_comment(when),
        upload_url=GITLAB_UPLOAD_URL,
        index_url=GITLAB_INDEX_URL,
        image=yaml_scalar(f"python:{python}"),
        rule=yaml_scalar(rule),
        before=before,
        repository=repository,
        outdir=yaml_scalar(outdir),
    )


# --- writing ---------------------------------------------------------------------------


def workflow_path(top: Path, root: Path, name: str) -> Path:
    """Where the GitHub release workflow of the project in ``root`` lives.

    A project in a subdirectory (one package of a monorepo) gets a workflow of its own,
    ``release-<name>.yml``, so that every package can have one.
    """
    from releasekit.project import normalize_name

    if root.resolve() == top.resolve():
        return top / GITHUB_WORKFLOW
    return top / GITHUB_WORKFLOW.parent / f"release-{normalize_name(name)}.yml"


def git_top(runner: Runner, root: Path) -> Path | None:
    """The top directory of the git repository holding ``root``; None outside git."""
    try:
        return Path(runner.run(["git", "rev-parse", "--show-toplevel"], cwd=root).strip())
    except CommandError:
        return None


def _unignored_outdir(runner: Runner, top: Path, outdir: str) -> bool:
    """True when git would see built artifacts as untracked files (check then fails)."""
    for probe in ("probe-0.0.0-py3-none-any.whl", "probe-0.0.0.tar.gz"):
        try:
            runner.run(["git", "check-ignore", "--quiet", outdir + probe], cwd=top)
        except CommandError:
            return True
    return False


def init_ci(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    provider: str,
    *,
    trigger: str = "tag",
    environment: str = DEFAULT_ENVIRONMENT,
    test_environment: str = DEFAULT_TEST_ENVIRONMENT,
    test_first: bool | None = None,
    python: str = DEFAULT_PYTHON,
    output: Path | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> CiFile:
    """Write (or, with ``dry_run``, only render) the CI pipeline for the project in ``root``.

    The file goes to the top of the git repository that holds ``root`` (GitHub and GitLab
    read it only there), or to ``output``. An existing file that differs is replaced only
    with ``force``; one with the same text is left alone.
    """
    from releasekit.project import load_project

    _check_options(provider, trigger, python, environment, test_environment)
    project = load_project(root, config)
    notes: list[str] = []
    top = git_top(runner, root)
    in_git = top is not None
    if top is None:
        top = root
        notes.append(f"{root} is not in a git repository: the file is written there")
    layout = _layout(root.resolve(), top.resolve(), config)
    test_first = config.release_test_first if test_first is None else test_first
    if provider == "github":
        content = github_workflow(
            config,
            project.name,
            trigger=trigger,
            environment=environment,
            test_environment=test_environment,
            test_first=test_first,
            python=python,
            project_dir=layout.project_dir,
            outdir=layout.outdir,
        )
        jobs = ("build", "publish-test", "publish") if test_first else ("build", "publish")
        path = output or workflow_path(top, root, project.name)
        if output is not None and output.resolve().parent != (top / GITHUB_WORKFLOW).parent:
            notes.append(f"GitHub runs only workflows in {top / GITHUB_WORKFLOW.parent}")
        if _pypi_host(config.repository("prod")):
            notes.append(
                "next: register the trusted publisher on PyPI; `releasekit trusted-publisher` "
                "prints the values to enter"
            )
    else:
        content = gitlab_ci(
            config,
            project.name,
            trigger=trigger,
            python=python,
            project_dir=layout.project_dir,
            outdir=layout.outdir,
        )
        jobs = ("release-build", "release-publish")
        path = output or top / GITLAB_CI
    if trigger == "branch" and len(config.release_branches) > 1:
        notes.append(
            f"only the first release branch ({config.release_branches[0]}) triggers a release"
        )
    if in_git and _unignored_outdir(runner, top, layout.outdir):
        notes.append(
            f"git does not ignore {layout.outdir}: in CI, check will find the built files "
            f"as uncommitted changes; add {layout.outdir} to .gitignore"
        )
    result = CiFile(
        provider=provider,
        path=path,
        content=content,
        trigger=trigger,
        jobs=jobs,
        dry_run=dry_run,
        notes=tuple(notes),
    )
    return _write(result, force=force)


def _check_options(
    provider: str, trigger: str, python: str, environment: str, test_environment: str
) -> None:
    if provider not in PROVIDERS:
        raise UsageError(f"Unknown CI provider {provider!r}.", "Use github or gitlab.")
    if trigger not in TRIGGERS:
        raise UsageError(f"Unknown trigger {trigger!r}.", "Use tag or branch.")
    if not re.fullmatch(r"\d+\.\d+", python):
        raise UsageError(f"--python {python!r} is not a Python version.", "Give X.Y, e.g. 3.12.")
    for what, value in (("--environment", environment), ("--test-environment", test_environment)):
        if not value.strip():
            raise UsageError(f"{what} must not be empty.", "Give an environment name.")


def _write(result: CiFile, *, force: bool) -> CiFile:
    """Write ``result.content`` unless the file differs (and no ``force``) or dry run."""
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
    from releasekit.files import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, result.content.encode("utf-8"))
    return CiFile(**{**result.__dict__, "written": True, "replaced": existing is not None})


# --- the command -----------------------------------------------------------------------


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add ``releasekit init-ci github|gitlab`` to the ``releasekit`` command."""
    parser = commands.add_parser(
        "init-ci",
        parents=[common],
        help="write a CI pipeline that releases with releasekit (GitHub Actions or GitLab CI)",
    )
    parser.add_argument("provider", choices=PROVIDERS, help="the CI system")
    parser.add_argument(
        "--trigger",
        choices=TRIGGERS,
        default="tag",
        help="release on a pushed version tag (tag-format), or on every push to the first "
        "of release-branches (default: tag)",
    )
    parser.add_argument(
        "--environment",
        metavar="NAME",
        help=f"GitHub environment of the PyPI upload (default: {DEFAULT_ENVIRONMENT})",
    )
    parser.add_argument(
        "--test-environment",
        metavar="NAME",
        help=f"GitHub environment of the TestPyPI upload (default: {DEFAULT_TEST_ENVIRONMENT})",
    )
    parser.add_argument(
        "--test-first",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="GitHub: upload to the test index and verify before PyPI (default: "
        "release.test-first)",
    )
    parser.add_argument(
        "--python",
        metavar="X.Y",
        default=DEFAULT_PYTHON,
        help=f"the Python the jobs run releasekit with (default: {DEFAULT_PYTHON})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write (default: .github/workflows/release.yml or .gitlab-ci.yml at "
        "the top of the git repository)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the file it would write; write nothing"
    )


def run_init_ci(
    args: argparse.Namespace, root: Path, config: ReleaseConfig, runner: Runner
) -> tuple[dict[str, Any], str]:
    """The ``init-ci`` step of the CLI: ``(json_summary, human_text)``."""
    if args.provider == "gitlab":
        given = [
            flag
            for flag, value in (
                ("--environment", args.environment),
                ("--test-environment", args.test_environment),
                ("--test-first/--no-test-first", getattr(args, "test_first", None)),
            )
            if value is not None
        ]
        if given:
            raise UsageError(
                f"{', '.join(given)}: GitHub only; the GitLab job publishes to the project's "
                "own package registry.",
                "Leave them out for gitlab.",
            )
    result = init_ci(
        root,
        config,
        runner,
        args.provider,
        trigger=args.trigger,
        environment=args.environment or DEFAULT_ENVIRONMENT,
        test_environment=args.test_environment or DEFAULT_TEST_ENVIRONMENT,
        test_first=getattr(args, "test_first", None),
        python=args.python,
        output=args.output.resolve() if args.output else None,
        force=args.force,
        dry_run=args.dry_run,
    )
    if result.dry_run and not result.unchanged:
        lines = [result.content.rstrip("\n"), f"# dry run: {result.path} was not written"]
    elif result.unchanged:
        lines = [f"{result.path} is already what init-ci writes; nothing changed"]
    else:
        verb = "replaced" if result.replaced else "wrote"
        lines = [f"{verb} {result.path} (jobs: {', '.join(result.jobs)})"]
    lines += [f"  note: {note}" for note in result.notes]
    return result.to_json(), "\n".join(lines)
