"""One state-changing releasekit run at a time per checkout: two racing releases release
two versions, one half done.

Every command that changes something holds ``releasekit.lock`` in the git directory with
``fcntl.flock`` (``msvcrt.locking`` on Windows): the kernel drops it when the process ends,
however it ends, so it is never stale. The file says who held it last (pid, host, command,
start) and is emptied, never deleted (unlinking a locked file lets a third run lock a new
one). The holder may take it again (a monorepo's threads, a pipeline inside a command).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from releasekit.errors import CommandError, LockedError
from releasekit.runner import Runner
from releasekit.vcs import Git

LOCK_FILE = "releasekit.lock"

if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle: IO[str]) -> None:
        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            raise BlockingIOError(*exc.args) from None

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# Locks this process holds: path -> (open file, how many times taken).
_held: dict[Path, tuple[IO[str], int]] = {}
_held_guard = threading.Lock()


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a lock, as its file says."""

    pid: int
    host: str
    command: str
    started: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(
                int(data["pid"]), str(data["host"]), str(data["command"]), float(data["started"])
            )
        except (ValueError, KeyError, TypeError):
            return None  # empty (released), or not ours: nobody to name

    def describe(self, now: float | None = None) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.started))
        age = max(0.0, (now if now is not None else time.time()) - self.started)
        return f"`{self.command}` (pid {self.pid} on {self.host}, started {when}, {age:.0f} s ago)"


@contextmanager
def checkout_lock(
    git_dir: Path, command: str, log: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the checkout's lock while the block runs; LockedError at once if another
    process holds it. ``command`` names this run in the file, for the message to others."""
    path = (git_dir / LOCK_FILE).resolve()
    with _held_guard:
        if path in _held:
            handle, count = _held[path]
            _held[path] = (handle, count + 1)
            reentered = True
        else:
            reentered = False
    if not reentered:
        handle = _acquire(path, command, log)
        with _held_guard:
            _held[path] = (handle, 1)
    try:
        yield
    finally:
        with _held_guard:
            handle, count = _held[path]
            if count > 1:
                _held[path] = (handle, count - 1)
            else:
                del _held[path]
                _release(handle)


def _acquire(path: Path, command: str, log: Callable[[str], None] | None) -> IO[str]:
    # "a+": created if missing, never truncated before the lock is ours.
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held past this function)
    try:
        _try_lock(handle)
    except BlockingIOError:
        handle.seek(0)
        try:
            holder = Holder.parse(handle.read())
        except OSError:  # Windows: a locked range cannot be read by others
            holder = None
        handle.close()
        raise _locked(path, holder) from None
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    previous = Holder.parse(handle.read())
    if previous is not None and log is not None:
        # Its process ended without releasing it (killed, its machine restarted): the
        # kernel let the lock go; what that run left half done, --resume finishes.
        log(
            f"releasekit: note: took over the lock {path} from {previous.describe()}, which is gone"
        )
    mine = Holder(os.getpid(), socket.gethostname(), command, time.time())
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(mine.to_json()) + "\n")
    handle.flush()
    return handle


def _release(handle: IO[str]) -> None:
    try:
        handle.seek(0)
        handle.truncate()
        handle.flush()
    finally:
        _unlock(handle)
        handle.close()


def _locked(path: Path, holder: Holder | None) -> LockedError:
    who = holder.describe() if holder is not None else "another releasekit run"
    here = socket.gethostname()
    if holder is not None and holder.host == here:
        gone = f"if it is gone (no process {holder.pid} on {here})"
    else:
        gone = "if it is gone (its machine stopped while this checkout's file system held its lock)"
    return LockedError(
        f"Another releasekit run is changing this checkout: {who} holds {path}. Nothing was "
        "changed: two runs at once could release two versions or send half-built files.",
        f"Wait for it to finish and read what it says; {gone}, delete {path} and run your "
        "command again.",
    )


# The commands that change the checkout, its build output or an index (without --dry-run).
CHANGING_COMMANDS = frozenset(
    {"release", "publish", "bump-version", "build", "upload", "upload-test", "upload-prod"}
)


def release_lock(root: Path, runner: Runner, command: str) -> AbstractContextManager[None]:
    """The lock of the checkout that holds ``root``; nothing to hold outside git."""
    try:
        git_dir = Git(runner, root).git_dir()  # one git call: it fails outside git
    except CommandError:
        return nullcontext()
    return checkout_lock(git_dir, command, runner.log)
