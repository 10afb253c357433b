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
        full_env = {**os.environ, **NO_PROMPTS, **(env or {})}
        if (not capture and self.echo) or self.verbosity > 0:
            self.log("$ " + shlex.join(argv))
        # -q: a tool's output is shown only when it fails (in the error).
        shown = not capture and self.verbosity >= 0
        try:
            completed = subprocess.run(
                list(argv),
                env=full_env,
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
            raise CommandError(
                f"`{shlex.join(argv)}` did not finish within {self.timeout:g} s and was stopped.",
                "Find out why it hangs (run it by hand); a build that really needs longer can "
                "run outside releasekit, then releasekit check/upload/verify the artifacts.",
                returncode=-1,
            ) from None
        except FileNotFoundError:
            raise CommandError(
                f"`{argv[0]}` is not installed or not on PATH.",
                f"Install {argv[0]} and try again.",
            ) from None
        if completed.returncode != 0:
            output = (completed.stdout or "") + (completed.stderr or "")
            raise describe_failure(argv, completed.returncode, output)
        if self.verbosity > 0 and not shown:
            output = ((completed.stdout or "") + (completed.stderr or "")).rstrip()
            if output:
                self.log(output)
        return completed.stdout if capture else ""

    def log(self, message: str) -> None:
        # Progress reaches the user (stderr), --json or not, unless -q: ``echo`` is about
        # showing the commands that run.
        if self.verbosity >= 0:
            print(message, file=self.stream, flush=True)
