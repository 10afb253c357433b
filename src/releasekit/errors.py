"""The ReleaseError hierarchy: every foreseeable failure is a value with a hint.

Only :func:`releasekit.cli.main` (and the nox / Invoke adapters) turn these into exit
codes; everything else raises them from the place that knows what went wrong.
"""

from __future__ import annotations

import enum
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar


class ExitCode(enum.IntEnum):
    """Documented exit codes of the ``releasekit`` command (see README)."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    CONFIG = 3
    PROJECT = 4
    VERSION = 5
    VCS = 6
    COMMAND = 7
    BUILD = 8
    CHECK = 9
    UPLOAD = 10
    VERIFY = 11
    CREDENTIALS = 12
    INDEX = 13
    LOCKED = 14
    INTERRUPTED = 130
    TERMINATED = 143


class ReleaseError(Exception):
    """Root of every error releasekit reports to a user.

    ``message`` says what was wrong, ``hint`` what to do about it. Neither may contain a
    secret: errors are printed, logged and put into ``--json`` output.
    """

    exit_code: ExitCode = ExitCode.INTERNAL
    # A step's JSON summary up to the failure (check's list of failures), for --json.
    details: dict[str, Any] | None = None

    # Each subclass names its exit code in its header: ``class X(ReleaseError, exit_code=...)``.
    def __init_subclass__(cls, *, exit_code: ExitCode | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if exit_code is not None:
            cls.exit_code = exit_code

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    def describe(self) -> str:
        """The message, then the hint on its own line: what the adapters show."""
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class UsageError(ReleaseError, exit_code=ExitCode.USAGE):
    """The command line itself is wrong (unknown PART, missing argument)."""


class ConfigError(ReleaseError, exit_code=ExitCode.CONFIG):
    """A configuration key is unknown, of the wrong type, or has a bad value."""


class ProjectError(ReleaseError, exit_code=ExitCode.PROJECT):
    """The project cannot be read: no pyproject.toml, no name, version not found."""


class VersionError(ReleaseError, exit_code=ExitCode.VERSION):
    """A version is invalid, not normalised, or not greater than the current one."""


class VcsError(ReleaseError, exit_code=ExitCode.VCS):
    """git refused or a git guard failed (dirty tree, existing tag, wrong branch)."""


class CommandError(ReleaseError, exit_code=ExitCode.COMMAND):
    """An external command (git, python -m build, a changelog tool) failed."""

    def __init__(self, message: str, hint: str = "", *, returncode: int = 1, output: str = ""):
        super().__init__(message, hint)
        self.returncode = returncode
        self.output = output


class BuildError(ReleaseError, exit_code=ExitCode.BUILD):
    """The build failed or produced artifacts that do not match the project."""


class CheckError(ReleaseError, exit_code=ExitCode.CHECK):
    """One or more pre-flight checks failed; ``failures`` lists every one of them."""


class PackageIndexError(ReleaseError, exit_code=ExitCode.INDEX):
    """A package index could not be read (unreachable, 5xx after retries, bad answer)."""


class IndexUnreachableError(PackageIndexError):
    """Nothing answers at the index's address (connection refused, unknown host, TLS
    refused): waiting longer will not help, so nobody polls it."""


class CredentialsError(ReleaseError, exit_code=ExitCode.CREDENTIALS):
    """No usable credentials, or a token that cannot work for this upload."""


class UploadError(ReleaseError, exit_code=ExitCode.UPLOAD):
    """An upload was refused or failed; the message says which files are on the index."""


class VerifyError(ReleaseError, exit_code=ExitCode.VERIFY):
    """What is on the index is not what was built (or never appeared)."""


class LockedError(ReleaseError, exit_code=ExitCode.LOCKED):
    """Another releasekit run holds the checkout's lock (:mod:`releasekit.lock`)."""


class DryRunFailed(CheckError):
    """A dry run whose pre-flight found problems: its output (the plan and each problem)
    was printed already; the command exits as check does."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cancelled CI job): ends a command as Ctrl-C does, with exit 143."""


_T = TypeVar("_T")


def interruptible(command: Callable[[], _T]) -> _T | int:
    """What ``command`` returns (an exit code). SIGTERM (a cancelled CI job) ends it as
    Ctrl-C does, uploads in flight included: one line on stderr and the exit code of each
    (the CLI and ``releasekit notes``' short path)."""
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return command()
    except Terminated:
        print("releasekit: terminated (SIGTERM)", file=sys.stderr)
        return int(ExitCode.TERMINATED)
    except KeyboardInterrupt:
        print("releasekit: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


class Interrupted(ReleaseError, exit_code=ExitCode.INTERRUPTED):
    """Ctrl-C or SIGTERM in the middle of an upload: which files are up, which are not."""

    @classmethod
    def during_upload(
        cls,
        signal: KeyboardInterrupt,
        where: str,
        files: Sequence[Any],
        finished: Mapping[str, Any],
    ) -> Interrupted:
        up = [f.filename for f in files if getattr(finished.get(f.filename), "state", "") in UP]
        not_up = [f.filename for f in files if f.filename not in up]
        how = "terminated (SIGTERM)" if isinstance(signal, Terminated) else "interrupted"
        error = cls(
            f"The upload to {where} was {how}: "
            f"{', '.join(up) or 'no file'} {'are' if len(up) > 1 else 'is'} on the index; "
            + (
                f"{', '.join(not_up)} {'is' if len(not_up) == 1 else 'are'} not."
                if not_up
                else "that is every file."
            ),
            "Run the same upload again to send the rest: files already there are skipped "
            "(inside release, run release --resume).",
        )
        if isinstance(signal, Terminated):
            error.exit_code = ExitCode.TERMINATED
        error.details = {"uploaded": up, "not_uploaded": not_up}
        return error


UP = frozenset({"uploaded", "already there"})
