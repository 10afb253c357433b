"""One state-changing run at a time per checkout: a second one is refused at once, naming
the holder; a lock left by a killed run is taken over with a note."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from layouts import git_init, static_pep621
from releasekit.cli import main
from releasekit.errors import ExitCode
from releasekit.lock import LOCK_FILE

HOLD = textwrap.dedent("""\
    import sys, time
    from pathlib import Path
    from releasekit.lock import checkout_lock

    with checkout_lock(Path(sys.argv[1]), "release"):
        print("held", flush=True)
        time.sleep(60)
    """)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return git_init(static_pep621(tmp_path / "demo"))


def hold_lock(root: Path) -> subprocess.Popen[str]:
    """Another process that holds the checkout's lock (as a running release does)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root / ".git")], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


@pytest.fixture
def holder(project: Path) -> Iterator[subprocess.Popen[str]]:
    process = hold_lock(project)
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


@pytest.mark.parametrize(
    "argv",
    [
        ["release", "patch", "--yes"],
        ["release", "--resume", "--yes"],
        ["release", "patch", "--dry-run"],
        ["publish", "--yes"],
        ["bump-version", "patch"],
        ["build"],
        ["upload-test"],
    ],
)
def test_a_second_run_is_refused_at_once_naming_the_holder(
    project: Path,
    holder: subprocess.Popen[str],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    before = (git(project, "log", "--format=%H"), (project / "pyproject.toml").read_bytes())

    code = main([*argv, "--project", str(project)])

    err = capsys.readouterr().err
    assert code == ExitCode.LOCKED, err
    assert int(ExitCode.LOCKED) == 14  # documented in the README
    assert "Another releasekit run is changing this checkout: `release` (pid " in err
    assert f"pid {holder.pid} on {socket.gethostname()}, started " in err
    assert f"holds {project / '.git' / LOCK_FILE}" in err
    assert "Wait for it to finish" in err
    assert f"if it is gone (no process {holder.pid} on {socket.gethostname()})" in err
    # Never an invitation to run --resume beside the run it would resume.
    assert "--resume" not in err
    assert "Traceback" not in err
    after = (git(project, "log", "--format=%H"), (project / "pyproject.toml").read_bytes())
    assert after == before


def test_the_lock_file_names_its_holder_while_held_and_is_emptied_after(
    project: Path, holder: subprocess.Popen[str]
) -> None:
    held = json.loads((project / ".git" / LOCK_FILE).read_text(encoding="utf-8"))
    assert held["pid"] == holder.pid
    assert held["host"] == socket.gethostname()
    assert held["command"] == "release"
    assert isinstance(held["started"], float)


def test_a_lock_whose_process_was_killed_is_taken_over_with_a_note(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = hold_lock(project)
    os.kill(gone.pid, signal.SIGKILL)
    stop(gone)

    code = main(["bump-version", "patch", "--project", str(project)])

    err = capsys.readouterr().err
    assert code == ExitCode.OK, err
    assert f"took over the lock {project / '.git' / LOCK_FILE} from `release` (pid {gone.pid}" in (
        err
    )
    assert "which is gone" in err
    assert "version = '1.2.4'" in (project / "pyproject.toml").read_text(encoding="utf-8")
    # Released when the command ended: empty, so the next run has nobody to name.
    assert (project / ".git" / LOCK_FILE).read_text(encoding="utf-8") == ""


def test_a_run_that_ends_normally_leaves_no_note_for_the_next(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bump-version", "patch", "--project", str(project)]) == ExitCode.OK
    assert main(["bump-version", "patch", "--project", str(project)]) == ExitCode.OK
    assert "took over the lock" not in capsys.readouterr().err
