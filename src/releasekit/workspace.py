"""Monorepos: several packages in one repository, released by the same commands.

The repository root's ``[tool.releasekit]`` names the packages (``packages =
["packages/*"]``) and holds what they share (repositories, ``tag-format =
"{name}-v{version}"``); each package's own table is layered over it. Packages are
built, then checked, uploaded and verified, ``-j`` at a time (each step is its own
process); a prod upload that must ask for confirmation asks one package at a time.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from releasekit.config import ReleaseConfig, load_config
from releasekit.errors import ConfigError, ReleaseError, UsageError
from releasekit.plan import release_tags
from releasekit.project import current_version, load_project
from releasekit.repositories import Repository

T = TypeVar("T")


@dataclass(frozen=True)
class Package:
    """One package of a monorepo: its directory and its effective configuration."""

    root: Path
    config: ReleaseConfig

    @property
    def label(self) -> str:
        return self.root.name


def find_packages(
    workspace: Path,
    config: ReleaseConfig,
    selected: Sequence[Path] = (),
    load: Callable[[Path], ReleaseConfig] | None = None,
) -> list[Package]:
    """The packages to work on: ``selected`` (``--package DIR``), else every package
    the ``packages`` globs match; ``[]`` for a single-package project."""
    load = load or (lambda root: load_config(root, workspace=workspace))
    if selected:
        roots = [(workspace / path).resolve() for path in selected]
    elif config.packages:
        roots = sorted(
            {
                Path(match).resolve()
                for pattern in config.packages
                for match in glob.glob(str(workspace / pattern))
                if Path(match, "pyproject.toml").is_file()
            }
        )
        if not roots:
            raise ConfigError(
                f"packages = {list(config.packages)} in {workspace / 'pyproject.toml'} "
                "matches no directory with a pyproject.toml.",
                "Fix the globs (they are relative to the repository root).",
            )
    else:
        return []
    for root in roots:
        if not (root / "pyproject.toml").is_file():
            raise ConfigError(
                f"{root} has no pyproject.toml.", "Give --package the directory of a package."
            )
    return [Package(root, load(root)) for root in roots]


def default_jobs() -> int:
    return os.cpu_count() or 1


class PackagesFailed(ReleaseError):
    """Some packages failed; the message lists each, the exit code is the first one's."""

    def __init__(self, failures: list[tuple[Package, ReleaseError]]) -> None:
        listed = "\n".join(f"  - {package.label}: {error.message}" for package, error in failures)
        super().__init__(f"{len(failures)} package(s) failed:\n{listed}", failures[0][1].hint)
        self.exit_code = failures[0][1].exit_code
        self.failures = failures


def run_parallel(packages: list[Package], work: Callable[[Package], T], jobs: int) -> list[T]:
    """``work`` for every package, ``jobs`` at a time; results in package order.

    Every package runs to its end even if another fails; then all failures are raised
    together.
    """

    def attempt(package: Package) -> tuple[T | None, ReleaseError | None]:
        try:
            return work(package), None
        except ReleaseError as exc:
            return None, exc

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = list(pool.map(attempt, packages))
    failures = [(p, e) for p, (_, e) in zip(packages, outcomes, strict=True) if e is not None]
    if failures:
        raise PackagesFailed(failures)
    return [result for result, _ in outcomes if result is not None]


def run_sequential(packages: list[Package], work: Callable[[Package], T]) -> list[T]:
    """``work`` for one package after another, stopping at the first failure."""
    results = []
    for package in packages:
        try:
            results.append(work(package))
        except ReleaseError as exc:
            raise PackagesFailed([(package, exc)]) from exc
    return results


@dataclass(frozen=True)
class PlanEntry:
    path: str
    name: str
    version: str
    tag: str
    on_index: bool

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def plan_package(
    package: Package, workspace: Path, repository: Repository, runner: Any
) -> PlanEntry:
    """Whether ``package``'s current version is already on the target index (read with
    the repository's credentials, as check reads it: a private registry needs them)."""

    project = load_project(package.root, package.config, runner)
    tags = release_tags(package.root, package.config, project.name, runner)
    config = tags.config
    version = str(current_version(project, tags))
    # Lazy, as in ReleasePlan.target: the network stack only for the commands that read
    # an index.
    from releasekit.targets import Target

    client = Target(repository).index()
    files = client.release_files(project.name, version)
    return PlanEntry(
        path=package.root.relative_to(workspace).as_posix() if package.root != workspace else ".",
        name=project.name,
        version=version,
        tag=config.format_tag(version, project.name),
        on_index=bool(files),
    )


PackageStep = Callable[[str, Package], tuple[dict[str, Any], str]]


def run_over_packages(
    command: str,
    workspace: Path,
    packages: list[Package],
    *,
    run: PackageStep,
    publish_built: Callable[[Package], tuple[dict[str, Any], str]],
    reuse_build: Callable[[Package], tuple[dict[str, Any], str] | None],
    build_first: bool,
    jobs: int,
    confirm_each: bool,
) -> tuple[dict[str, Any], str]:
    """``command`` over a monorepo's packages. build, and publish's builds (unless a dry
    run), go ``jobs`` at a time, reusing a package's files whose upload began
    (``reuse_build``); then publish (``publish_built``) goes ``jobs`` at a time too, or
    one package at a time when a production upload must ask (``confirm_each``). Any other
    command, ``run(command, package)``, goes one package after another.
    """
    if command == "release" and len(packages) != 1:
        raise UsageError(
            "A monorepo release bumps, tags and pushes one package at a time.",
            "Choose it with --package DIR (publish works on all packages at once).",
        )

    def build_or_reuse(package: Package) -> tuple[dict[str, Any], str]:
        reused = reuse_build(package) if command == "publish" else None
        return reused if reused is not None else run("build", package)

    if command in ("build", "publish") and build_first:
        results = run_parallel(packages, build_or_reuse, jobs)
        if command == "publish":
            results = (
                run_sequential(packages, publish_built)
                if confirm_each
                else run_parallel(packages, publish_built, jobs)
            )
    else:
        results = run_sequential(packages, lambda package: run(command, package))
    summary = {
        "step": command,
        "ok": True,
        "packages": [
            {"path": p.root.relative_to(workspace).as_posix(), **result}
            for p, (result, _) in zip(packages, results, strict=True)
        ],
    }
    lines = [f"[{p.label}] {text}" for p, (_, text) in zip(packages, results, strict=True)]
    return summary, "\n".join(lines)


def plan_packages(
    workspace: Path,
    packages: list[Package],
    repository_for: Callable[[ReleaseConfig], Repository],
    runner: Any,
    jobs: int,
) -> tuple[dict[str, Any], str]:
    """``releasekit plan`` over packages: which are not on the index yet, as a CI matrix."""
    repository = repository_for(packages[0].config).name
    entries = run_parallel(
        packages, lambda p: plan_package(p, workspace, repository_for(p.config), runner), jobs
    )
    pending = [e for e in entries if not e.on_index]
    summary = {
        "step": "plan",
        "ok": True,
        "repository": repository,
        "packages": [e.to_json() for e in entries],
        # Ready for a CI matrix: strategy.matrix.include = fromJSON(...).include
        "include": [{"package": e.path, "name": e.name, "version": e.version} for e in pending],
    }
    lines = [
        f"{'release' if not e.on_index else 'on index':<9} {e.name} {e.version} ({e.path})"
        for e in entries
    ]
    return summary, "\n".join(lines)
