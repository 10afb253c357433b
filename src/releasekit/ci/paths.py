"""Where init-ci's files go: the top of the git repository and the release workflow's
path. A leaf of the ci package, so that the workflow check (releasekit.trust.publisher)
can use it without the generators."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.project import normalize_name
from releasekit.vcs import Git

if TYPE_CHECKING:
    from releasekit.runner import Runner

GITHUB_WORKFLOW = Path(".github/workflows/release.yml")


def workflow_path(top: Path, root: Path, name: str) -> Path:
    """Where the GitHub release workflow of the project in ``root`` lives.

    A project in a subdirectory (one package of a monorepo) gets a workflow of its own,
    ``release-<name>.yml``, so that every package can have one.
    """

    if root.resolve() == top.resolve():
        return top / GITHUB_WORKFLOW
    return top / GITHUB_WORKFLOW.parent / f"release-{normalize_name(name)}.yml"


def git_top(runner: Runner, root: Path) -> Path | None:
    """The top directory of the git repository holding ``root``; None outside git."""

    return Git(runner, root).top()
