"""nox adapter: ``releasekit.nox.register()`` defines the release sessions in a noxfile.

    import nox
    import releasekit.nox

    releasekit.nox.register()

Importing this module registers nothing and imports neither nox nor the heavy parts of
releasekit; ``register()`` does the work, once. The sessions translate only: their
arguments after ``--`` are the ``releasekit`` command's flags, the virtualenv of a session
that builds or verifies provides build and uv, and a ``ReleaseError`` becomes
``session.error(...)``.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from releasekit.commands import ADAPTED, BY_NAME, parse_command
from releasekit.errors import ReleaseError
from releasekit.runner import SubprocessRunner, changes_git

if TYPE_CHECKING:
    import nox

__all__ = ["SESSIONS", "register"]

# Session name (without prefix) -> its one-line description (nox -l).
SESSIONS = {command.name: command.summary for command in ADAPTED}

_registered: list[str] = []


class NoxRunner(SubprocessRunner):
    """Runs the tools in the session's virtualenv and reports through ``session.log``."""

    def __init__(self, session: nox.Session, python: str) -> None:
        super().__init__(python=python)
        self.session = session

    def run(self, argv: Sequence[str], **kwargs: Any) -> str:
        if (argv[0] != "git" or changes_git(argv)) and self.verbosity == 0:
            self.session.log(shlex.join(argv))  # -v: the runner shows every command
        return super().run(argv, **kwargs)

    def log(self, message: str) -> None:
        if self.verbosity >= 0:
            self.session.log(message)


def register(
    *,
    python: str | Sequence[str] | bool | None = None,
    venv_backend: str | None = None,
    prefix: str = "",
    tags: Sequence[str] = ("release",),
    default: bool = False,
    profile: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[str]:
    """Define the release sessions in the calling noxfile; return their names.

    ``settings`` are ``[tool.releasekit]`` keys (underscores allowed) layered over the
    project's table; ``profile`` is a shortcut for ``settings={"extends": profile}``.
    """
    import nox

    if _registered:
        message = (
            "releasekit.nox.register() was already called in this noxfile (it defined "
            + ", ".join(_registered)
            + "). Call it once; use prefix= to tell sessions apart."
        )
        raise RegisterTwiceError(f"nox > error: {message}")
    layer = dict(settings or {})
    if profile:
        layer["extends"] = profile
    names = []
    for command in ADAPTED:
        name = prefix + command.name
        body = _session(command.name, name, layer)
        body.__doc__ = command.summary
        backend = venv_backend if command.needs_tools else "none"
        nox.session(
            body,
            python=python if backend != "none" else None,
            name=name,
            venv_backend=backend,
            tags=list(tags),
            default=default,
        )
        names.append(name)
    _registered.extend(names)
    return names


class RegisterTwiceError(SystemExit):
    """register() called twice in one noxfile. A SystemExit: nox runs the noxfile
    outside its error handling, and this way the user reads the message, not a
    traceback."""


def _session(command: str, name: str, layer: dict[str, Any]) -> Any:
    def session(session: nox.Session) -> None:
        # This module's one lazy import: the release machinery loads when a session runs,
        # never at `nox -l` (benchmarks/RESULTS.md).
        from releasekit import adapters, cli

        adapter = ("nox register() settings", layer)
        python = sys.executable
        try:
            args = parse_command(command, session.posargs, usage=f"nox -s {name} --")
            args.invocation = ("nox", name)
            if BY_NAME[command].needs_tools:
                session.install(*adapters.TOOLS, *adapters.build_requirements(args, adapter))
                python = os.path.join(session.bin, "python")
            adapters.quiet_tool_loggers()
            cli.run_command(args, runner=NoxRunner(session, python), adapter=adapter)
        except ReleaseError as exc:
            session.error(_with_exit_code(exc))

    return session


def _with_exit_code(exc: ReleaseError) -> str:
    """nox exits 1 on any session.error: releasekit's exit code stays visible in front."""
    return f"[exit {int(exc.exit_code)}] {exc.describe().rstrip('.')}"
