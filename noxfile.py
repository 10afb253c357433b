"""This repository's own sessions: tests (with ruff and mypy), lint, the demo, and the
release sessions releasekit gives every project — releasekit is released with itself."""

from __future__ import annotations

import nox

import releasekit.nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests"]

LINTED = ["src", "tests", "examples", "benchmarks", "noxfile.py", "tasks.py", "dev.py"]


def _lint(session: nox.Session) -> None:
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)
    session.run("mypy")


# tests and lint keep their virtualenv between runs (releasekit is installed editable, and
# the install step still brings the rest up to date): the unit tier takes seconds.
@nox.session(reuse_venv=True)
def tests(session: nox.Session) -> None:
    """Run ruff, mypy --strict and the whole test suite."""
    session.install("-e", ".[test]")
    if "-m" not in session.posargs:  # a tier (-m "not slow") is for quick feedback: no lint
        _lint(session)
    # One worker per core, at most 4 (each may start its own devpi-server).
    session.run("pytest", "--numprocesses=auto", "--maxprocesses=4", *session.posargs)


@nox.session(reuse_venv=True)
def lint(session: nox.Session) -> None:
    """Run ruff and mypy --strict only."""
    session.install("-e", ".[test]")
    _lint(session)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: release examples/demo-project to two local indexes through nox."""
    session.install(".[nox,uv]", "pypiserver>=2.4,<3")
    session.run("python", "examples/run_demo.py", *session.posargs)


releasekit.nox.register()
