"""How releasekit runs external tools: argv lists through a Runner that is passed in.

The CLI uses :class:`SubprocessRunner`; the nox and Invoke adapters wrap their own
``run`` so commands show up the way their users expect. Secrets travel only in ``env``,
never in ``argv``, because every framework prints argv.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, TextIO

from releasekit.errors import CommandError


class Runner(Protocol):
    # The interpreter that has build (``python -m build``).
    python: str

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        capture: bool = True,
    ) -> str:
        """Run ``argv``; return its stdout if ``capture``; raise CommandError on failure.

        ``env`` is added to the current environment.
        """
        ...

    def log(self, message: str) -> None:
        """Tell the user about progress (one line)."""
        ...


# Colours and cursor movements (twine's rich output): never part of an error message.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def changes_git(argv: Sequence[str]) -> bool:
    """A git command that changes the repository or a remote (commit, tag, push), not a
    query such as ``git tag --list``: what the adapters show as it runs."""
    if len(argv) < 2 or argv[0] != "git" or argv[1] not in ("commit", "tag", "push"):
        return False
    return not (argv[1] == "tag" and {"--list", "-l", "--merged", "--contains"} & set(argv))


def describe_failure(argv: Sequence[str], returncode: int, output: str) -> CommandError:
    output = _ANSI.sub("", output)
    tail = "\n".join(output.strip().splitlines()[-15:])
    return CommandError(
        f"`{shlex.join(argv)}` failed with exit code {returncode}."
        + (f" It said:\n{tail}" if tail else ""),
        "Fix the cause above and run the same releasekit command again.",
        returncode=returncode,
        output=output,
    )


# The longest any one command may run (a C extension's build included), in seconds.
COMMAND_TIMEOUT = 1800.0
# git and the tools it calls must fail, not ask, when they need credentials.
NO_PROMPTS = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}


class SubprocessRunner:
    """Runs commands with :mod:`subprocess`; logs to ``stream`` (stderr by default)."""

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        echo: bool = True,
        python: str = sys.executable,
        timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.echo = echo
        self.python = python
        self.timeout = timeout
        # -q: errors only (-1); -v: every command and its output (1).
        self.verbosity = 0

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        capture: bool = True,
    ) -> str:
        if self._echoes(argv, capture):
            self.log("$ " + shlex.join(argv))
        returncode, stdout, output = self._execute(
            list(argv), {**NO_PROMPTS, **(env or {})}, cwd, capture
        )
        if returncode != 0:
            raise describe_failure(argv, returncode, output)
        if self.verbosity > 0 and capture and output.strip():
            self.log(output.rstrip())
        return stdout if capture else ""

    def _echoes(self, argv: Sequence[str], capture: bool) -> bool:
        """Whether the command is told on stderr before it runs."""
        return (not capture and self.echo) or self.verbosity > 0

    def _execute(
        self, argv: list[str], env: Mapping[str, str], cwd: Path | None, capture: bool
    ) -> tuple[int, str, str]:
        """Run ``argv`` with ``env`` added to the environment: its exit code, its stdout
        and all it printed (stdout and stderr)."""
        # -q: a tool's output is shown only when it fails (in the error).
        shown = not capture and self.verbosity >= 0
        try:
            completed = subprocess.run(
                argv,
                env={**os.environ, **env},
                cwd=cwd,
                text=True,
                # Nothing releasekit runs may wait for an answer nobody will type.
                stdin=subprocess.DEVNULL,
                stdout=self.stream if shown else subprocess.PIPE,
                stderr=subprocess.STDOUT if shown else subprocess.PIPE,
                check=False,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired:
            raise self.timed_out(argv) from None
        except FileNotFoundError:
            raise CommandError(
                f"`{argv[0]}` is not installed or not on PATH.",
                f"Install {argv[0]} and try again.",
            ) from None
        stdout = completed.stdout or ""
        return completed.returncode, stdout, stdout + (completed.stderr or "")

    def timed_out(self, argv: Sequence[str]) -> CommandError:
        """The error of ``argv`` stopped after ``timeout`` seconds."""
        return CommandError(
            f"`{shlex.join(argv)}` did not finish within {self.timeout:g} s and was stopped.",
            "Find out why it hangs (run it by hand); a build that really needs longer can "
            "run outside releasekit, then releasekit check/upload/verify the artifacts.",
            returncode=-1,
        )

    def log(self, message: str) -> None:
        # Progress reaches the user (stderr), --json or not, unless -q: ``echo`` is about
        # showing the commands that run.
        if self.verbosity >= 0:
            print(message, file=self.stream, flush=True)
