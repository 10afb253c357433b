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
from releasekit.errors import ConfigError, ReleaseError
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
    from releasekit.credentials import read_credentials
    from releasekit.plan import release_tags
    from releasekit.project import current_version, load_project
    from releasekit.targets import index_client

    project = load_project(package.root, package.config, runner)
    tags = release_tags(package.root, package.config, project.name, runner)
    config = tags.config
    version = str(current_version(project, tags))
    client = index_client(repository, read_credentials(repository))
    files = client.release_files(project.name, version)
    return PlanEntry(
        path=package.root.relative_to(workspace).as_posix() if package.root != workspace else ".",
        name=project.name,
        version=version,
        tag=config.format_tag(version, project.name),
        on_index=bool(files),
    )
