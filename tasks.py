"""Invoke tasks for this repository: lint and test, plus releasekit's own release tasks
(invoke publish --test, invoke release patch), released with itself."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.context import Context
from invoke.tasks import task

from releasekit.invoke import release_tasks

LINTED = "src tests examples benchmarks noxfile.py tasks.py dev.py"


@task
def lint(c: Context) -> None:
    """Run ruff and mypy --strict."""
    c.run(f"ruff check {LINTED}")
    c.run(f"ruff format --check {LINTED}")
    c.run("mypy")


@task(pre=[lint])
def test(c: Context) -> None:
    """Run the linters and the whole test suite."""
    c.run("pytest --numprocesses=auto --maxprocesses=4")


ns = Collection(lint, test)
for release_task in release_tasks.tasks.values():
    ns.add_task(release_task)
# The release tasks' configuration (every INVOKE_RELEASEKIT_* key) comes along.
ns.configure(release_tasks.configuration())
