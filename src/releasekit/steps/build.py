"""build: sdist, then the wheel from it, checked against the project, then swapped into a
clean output directory — or nothing in it changes.

With isolation on, the backend runs in a cached build environment
(:mod:`releasekit.buildenv`) when it fits the project, else — and with ``--fresh`` —
``python -m build`` makes a new one."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import re
import shlex
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from packaging.version import Version

from releasekit import buildenv
from releasekit.artifacts import (
    ARTIFACT_SUFFIXES,
    Artifact,
    artifact_kind,
    artifact_paths,
    artifact_problems,
    human_size,
)
from releasekit.attestations import ATTESTATION_SUFFIX
from releasekit.build_record import (
    BuildRecord,
    record_dir,
    refuse_rebuild,
    source_commit,
    write_record,
)
from releasekit.config import ReleaseConfig
from releasekit.errors import BuildError, CommandError
from releasekit.plan import ReleasePlan
from releasekit.runner import Runner
from releasekit.steps import step_head
from releasekit.tools import find_uv
from releasekit.vcs import Git

Installer = Literal["pip", "uv"]
# `python -m build --installer` appeared in build 1.2.0.
BUILD_WITH_INSTALLER = Version("1.2")
# Inside the output directory, so it is on the same file system (os.replace is atomic)
# and covered by the usual ignores of dist/ (.gitignore, hatchling's default exclude):
# the sdist never picks up our scratch files.
STAGING_PREFIX = ".releasekit-build-"


@dataclass(frozen=True)
class BuildResult:
    project: str
    version: str
    outdir: Path
    artifacts: tuple[Artifact, ...]
    # None when build isolation is off: no installer runs, the current environment is used.
    installer: Installer | None
    source_date_epoch: int | None
    command: tuple[str, ...]
    # Artifacts of earlier builds that were (or, in a dry run, would be) removed.
    removed: tuple[Path, ...]
    dry_run: bool
    notes: tuple[str, ...] = field(default=())
    # The cached build environment(s) used, None when python -m build ran.
    build_envs: tuple[Mapping[str, Any], ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            **step_head("build", self.project, self.version, dry_run=self.dry_run),
            "outdir": str(self.outdir),
            "installer": self.installer,
            "source_date_epoch": self.source_date_epoch,
            "command": list(self.command),
            "artifacts": [
                {"filename": a.path.name, "kind": a.kind, "size": a.size, "sha256": a.sha256}
                for a in self.artifacts
            ],
            "removed": [path.name for path in self.removed],
            "notes": list(self.notes),
            "build_envs": None if self.build_envs is None else [dict(e) for e in self.build_envs],
        }


def build_release(
    plan: ReleasePlan,
    runner: Runner,
    *,
    outdir: Path | None = None,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
) -> BuildResult:
    """Build the sdist, then the wheel from it, into ``outdir`` (default: build.outdir).

    The new artifacts replace the old ones only once the build succeeded and they match
    the project's name and version; until then the output directory is left as it was.
    """
    root, config, version, project = plan.root, plan.config, plan.version, plan.project
    target = checked_outdir(root, outdir if outdir is not None else plan.outdir)
    git = Git(runner, root)
    # Once an upload of this version began its files are the release (build_record).
    refuse_rebuild(git, plan.name, str(version), target)
    build_env = dict(env or {})
    epoch, notes = _source_date_epoch(root, runner, build_env)
    notes = [*project.notes, *notes]
    if project.vcs_versioned:
        notes.extend(
            tell_backend_the_version(root, config, runner, project.name, version, build_env)
        )
    installer, installer_notes = _installer(config, build_env, runner.python)
    planned = BuildResult(
        project=plan.name,
        version=str(version),
        outdir=target,
        artifacts=(),
        installer=installer,
        source_date_epoch=epoch,
        command=tuple(
            build_command(root, target / (STAGING_PREFIX + "XXXXXXXX"), installer, runner.python)
        ),
        removed=artifact_paths(target),
        dry_run=dry_run,
        notes=(*notes, *installer_notes),
    )
    cached = installer is not None and config.build_cache
    if dry_run:
        scratch = f"The build runs in a scratch directory in {target}; checked artifacts leave it."
        extra = (scratch, CACHE_NOTE) if cached else (scratch,)
        return replace(planned, notes=(*planned.notes, *extra))
    how = f"with {installer}" if installer else "without isolation"
    runner.log(f"Building {plan.name} {version} (sdist, then wheel from it) {how}...")
    # Asked before building: the note says which source these files were built from.
    commit, record = source_commit(git, target), record_dir(git, plan.name, str(version))
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target))
    try:
        result = replace(
            planned, command=tuple(build_command(root, staging, installer, runner.python))
        )
        if cached and installer is not None:
            result = _build_cached(root, config, runner, result, staging, installer, build_env)
        else:
            _run_build(runner, planned, result.command, root, build_env)
        checked = _checked_artifacts(planned, staging)
        artifacts = _replace_artifacts(target, checked, planned.removed)
        if record is not None:
            files = {a.filename: a.sha256 for a in artifacts}
            write_record(record, target, BuildRecord(plan.name, str(version), commit, files))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(target.iterdir()):
            target.rmdir()  # a failed first build leaves no empty dist/ behind
    removed = tuple(path for path in planned.removed if not path.exists())
    return replace(result, artifacts=artifacts, removed=removed)


def pretend_version_env(name: str, version: str) -> dict[str, str]:
    """The variables that make setuptools-scm (and hatch-vcs, which uses it), pdm-backend
    and poetry-dynamic-versioning build ``version`` instead of asking git."""
    suffix = re.sub(r"[-_.]+", "_", name).upper()
    return {
        f"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{suffix}": version,
        "PDM_BUILD_SCM_VERSION": version,
        "POETRY_DYNAMIC_VERSIONING_BYPASS": version,
    }


def tell_backend_the_version(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    name: str,
    version: Version,
    build_env: dict[str, str],
) -> list[str]:
    """For a version read from a tag at HEAD: the backend is told it, so a shallow clone
    or a second tag on the commit cannot make it build another one."""
    git = Git(runner, root)
    tag = config.format_tag(str(version), name)
    if not git.is_repository() or git.tag_commit(tag) != git.head():
        return []
    build_env.update(pretend_version_env(name, str(version)))
    return [f"The backend is told the version of the tag {tag} at HEAD ({version})."]


CACHE_NOTE = (
    "With build.cache on, the backend runs in the cached build environment for the "
    "resolved build requirements (made first if missing); --fresh runs the command above."
)


def _build_cached(
    root: Path,
    config: ReleaseConfig,
    runner: Runner,
    plan: BuildResult,
    staging: Path,
    installer: Installer,
    build_env: Mapping[str, str],
) -> BuildResult:
    """Build in the cached environment; if it cannot serve this project, with
    ``python -m build`` (``plan.command``) after a note that says why."""

    uv = find_uv() if installer == "uv" else None
    try:
        cache = buildenv.BuildEnvCache(
            buildenv.cache_dir(config.build_cache_dir, root),
            runner,
            installer=installer,
            uv=uv.path if uv else None,
            ttl=config.build_cache_ttl,
            project=root,
        )
        built = buildenv.build_sdist_and_wheel(cache, root, staging, build_env)
    except buildenv.CacheUnusable as exc:
        for leftover in staging.iterdir():
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        _run_build(runner, plan, plan.command, root, build_env)
        note = f"The cached build environment was not used: {exc}; python -m build made a new one."
        return replace(plan, notes=(*plan.notes, note))
    except CommandError as exc:
        raise _build_failed(plan, root, runner, exc) from None
    return replace(
        plan,
        command=built.command,
        notes=(*plan.notes, *(e.describe() for e in built.environments)),
        build_envs=tuple(e.to_json() for e in built.environments),
    )


def checked_outdir(root: Path, outdir: Path) -> Path:
    """``outdir`` resolved, or BuildError if cleaning it could delete someone else's files."""
    target = outdir.resolve()
    problem = ""
    if target == root:
        problem = "is the project's own directory"
    elif target in root.parents:
        problem = "contains the project"
    elif any((target / name).exists() for name in ("pyproject.toml", "setup.py")):
        problem = "holds a Python project"
    elif target.exists() and not target.is_dir():
        problem = "is not a directory"
    if problem:
        raise BuildError(
            f"Refusing to build into {target}: it {problem}, and building removes every "
            "*.whl, *.tar.gz and *.zip in the output directory.",
            "Set [tool.releasekit.build] outdir (or --outdir) to a directory of its own, "
            'such as "dist".',
        )
    return target


def build_command(
    root: Path, outdir: Path, installer: Installer | None, python: str = sys.executable
) -> list[str]:
    """The ``python -m build`` argv; without --sdist/--wheel it builds the wheel from the
    sdist, so an sdist that lacks a file the wheel needs fails here, not for a user."""
    if installer is None:
        options = ["--no-isolation"]
    elif installer == "uv":
        options = ["--installer", "uv"]
    else:
        options = []  # pip is build's default, and builds before 1.2 know no --installer
    return [python, "-m", "build", "--outdir", str(outdir), *options, str(root)]


def select_installer(requested: str, *, uv_found: bool, build_supports_uv: bool) -> Installer:
    """The installer for build's isolated environment: ``requested`` is auto, pip or uv."""
    if requested == "pip":
        return "pip"
    if requested == "uv" and not uv_found:
        raise BuildError(
            "build.installer is 'uv', but uv is neither importable nor on PATH.",
            "Install it (pip install uv, or releasekit[uv]), or set installer = 'auto'.",
        )
    if requested == "uv" and not build_supports_uv:
        raise BuildError(
            f"build.installer is 'uv', but the installed build is older than "
            f"{BUILD_WITH_INSTALLER}, which added --installer.",
            f"Upgrade it: pip install 'build>={BUILD_WITH_INSTALLER}'.",
        )
    return "uv" if uv_found and build_supports_uv else "pip"


def format_artifacts(result: BuildResult) -> str:
    """One line per artifact, ``  NAME  SIZE  sha256:HEX``, aligned, for printing."""
    width = max((len(a.path.name) for a in result.artifacts), default=0)
    return "\n".join(
        f"  {a.path.name:<{width}}  {human_size(a.size):>8}  sha256:{a.sha256}"
        for a in result.artifacts
    )


# --- the parts -----------------------------------------------------------------------


def _source_date_epoch(
    root: Path, runner: Runner, build_env: dict[str, str]
) -> tuple[int | None, list[str]]:
    """SOURCE_DATE_EPOCH as given, else the last commit's time (put into ``build_env``)."""
    given = build_env.get("SOURCE_DATE_EPOCH") or os.environ.get("SOURCE_DATE_EPOCH")
    if given:
        try:
            return int(given), [f"SOURCE_DATE_EPOCH={given} was set already and is kept."]
        except ValueError:
            raise BuildError(
                f"SOURCE_DATE_EPOCH is {given!r}, not a number of seconds since 1970.",
                "Unset it to use the time of the last commit, or fix its value.",
            ) from None
    git = Git(runner, root)
    try:
        epoch = git.last_commit_timestamp() if git.is_repository() else None
    except CommandError:  # a repository without commits
        epoch = None
    if epoch is None:
        return None, [
            f"{root} has no git commit to date the build: SOURCE_DATE_EPOCH is left unset, "
            "so the artifacts' timestamps are the build backend's choice."
        ]
    build_env["SOURCE_DATE_EPOCH"] = str(epoch)
    return epoch, []


def _installer(
    config: ReleaseConfig, build_env: dict[str, str], python: str = sys.executable
) -> tuple[Installer | None, list[str]]:
    """The installer to use (None: no isolation); adds what build needs to find uv."""
    if not config.build_isolation:
        return None, [
            f"Build isolation is off: the build uses the packages installed for "
            f"{python} (build.installer does not apply)."
        ]
    try:
        build_version = Version(importlib.metadata.version("build"))
    except importlib.metadata.PackageNotFoundError:
        raise BuildError(
            f"`python -m build` is not installed for {sys.executable}.",
            "Install it: pip install build (it comes with releasekit).",
        ) from None
    uv = find_uv() if config.build_installer != "pip" else None
    supports_uv = build_version >= BUILD_WITH_INSTALLER
    installer = select_installer(
        config.build_installer, uv_found=uv is not None, build_supports_uv=supports_uv
    )
    notes = []
    if uv is None and config.build_installer == "auto":
        notes.append("uv was not found, so pip installs the build dependencies (slower).")
    elif uv is not None and not supports_uv:
        notes.append(
            f"build {build_version} cannot use uv (needs {BUILD_WITH_INSTALLER}); using pip."
        )
    if installer == "uv" and uv is not None and not uv.importable:
        # build imports the uv package or looks for the binary: $UV (build >= 1.4), else PATH.
        build_env.setdefault("UV", uv.path)
        if shutil.which("uv") is None:
            path = os.pathsep.join([str(Path(uv.path).parent), os.environ.get("PATH", "")])
            build_env.setdefault("PATH", path)
    return installer, notes


def _run_build(
    runner: Runner, plan: BuildResult, command: Sequence[str], root: Path, env: Mapping[str, str]
) -> None:
    # Captured, so that a failure can show its tail; progress is the log line before it.
    try:
        runner.run(command, env=env, cwd=root, capture=True)
    except CommandError as exc:
        raise _build_failed(plan, root, runner, exc) from None


def _build_failed(plan: BuildResult, root: Path, runner: Runner, exc: CommandError) -> BuildError:
    tail = "\n".join(exc.output.strip().splitlines()[-20:])
    # To rerun by hand, write straight into the outdir: the scratch one is gone by then.
    rerun = build_command(root, plan.outdir, plan.installer, runner.python)
    return BuildError(
        f"The build of {plan.project} {plan.version} failed (exit code {exc.returncode}); "
        f"{plan.outdir} was left as it was. "
        + (f"The end of its output:\n{tail}" if tail else "See its output above."),
        f"Fix the cause, then build again; to see everything, run: {shlex.join(rerun)}",
    )


def _checked_artifacts(plan: BuildResult, staging: Path) -> list[Path]:
    """The sdist and the wheel in ``staging``, in build order, if they match the project."""
    built = sorted(
        (p for p in staging.iterdir() if p.name.endswith(ARTIFACT_SUFFIXES)),
        key=lambda p: (artifact_kind(p.name) == "wheel", p.name),
    )
    problems = artifact_problems(
        [p.name for p in built], plan.project, Version(plan.version), one_of_each=True
    )
    if problems:
        raise BuildError(
            f"The build of {plan.project} {plan.version} made artifacts that do not match the "
            f"project, so {plan.outdir} was left as it was:\n"
            + "\n".join(f"  - {problem}" for problem in problems),
            "A dynamic version that did not pick up the last bump is the usual cause: "
            "check where the build backend reads the version from, then build again.",
        )
    return built


def _replace_artifacts(
    target: Path, built: Sequence[Path], stale: Sequence[Path]
) -> tuple[Artifact, ...]:
    # New files first, each by an atomic rename, then the stale ones go: at no moment does
    # the directory lack this build's artifacts.
    artifacts = []
    for path in built:
        destination = target / path.name
        os.replace(path, destination)
        artifacts.append(Artifact.from_path(destination))
    for path in stale:
        if path.name not in {p.name for p in built}:
            path.unlink(missing_ok=True)
    # An attestation signs the bytes of an earlier build: after a rebuild every one is stale.
    for path in target.glob("*" + ATTESTATION_SUFFIX):
        path.unlink(missing_ok=True)
    return tuple(artifacts)
