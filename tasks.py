"""Invoke tasks for this repository (the release tasks arrive with releasekit.invoke)."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.context import Context
from invoke.tasks import task

LINTED = "src tests examples noxfile.py tasks.py dev.py"


@task
def lint(c: Context) -> None:
    """Run ruff and mypy --strict."""
    c.run(f"ruff check {LINTED}")
    c.run(f"ruff format --check {LINTED}")
    c.run("mypy")


@task(pre=[lint])
def test(c: Context) -> None:
    """Run the linters and the whole test suite."""
    c.run("pytest")


@task(
    help={
        "part": "major, minor, patch, alpha, beta, rc, post, dev, release or X.Y.Z",
        "dry_run": "print the diff and change nothing",
    }
)
def bump(c: Context, part: str, dry_run: bool = False) -> None:
    """Bump releasekit's own version with releasekit."""
    c.run(f"releasekit bump-version {part}" + (" --dry-run" if dry_run else ""))


ns = Collection(lint, test, bump)
