"""One exit code per kind of failure, whichever command meets it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from index_servers import free_port
from layouts import write
from release_project import Release, new_release
from releasekit.errors import ExitCode


@pytest.fixture
def unreachable(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Release:
    """The built example project whose test index nothing listens at."""
    dead = f"http://127.0.0.1:{free_port()}"
    table = {"upload-url": f"{dead}/", "index-url": f"{dead}/simple/"}
    return new_release(tmp_path_factory, tmp_path, {"test": table})


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["upload", "--yes"],
        ["upload-test"],
        ["verify", "--timeout", "0"],
        ["publish", "--test", "--dry-run"],
        ["plan"],
    ],
)
def test_an_unreachable_index_is_exit_13_for_every_command(
    unreachable: Release, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    outcome = unreachable.run(capsys, argv[0], *argv[1:], "--json")
    assert outcome.code == ExitCode.INDEX, outcome.text
    document = outcome.json
    if document.get("dry_run"):  # a dry run's JSON is its plan and pre-flight
        assert document["preflight"]["unreadable"] == ["test"]
    else:
        assert document["exit_code"] == ExitCode.INDEX
    assert "Traceback" not in outcome.err


@pytest.mark.parametrize(
    "argv",
    [
        ["config", "--show", "--json"],
        ["config", "--show"],
        ["check", "--list-rules"],
        ["version", "--json", "--project", "/nonexistent/releasekit"],  # an error's JSON too
    ],
)
def test_a_closed_pipe_ends_quietly(tmp_path: Path, argv: list[str]) -> None:
    root = write(tmp_path, {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.0.0"\n'})
    process = subprocess.Popen(
        [sys.executable, "-m", "releasekit", *argv],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    with process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()  # `| head -1` that has read its line already
        err = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert "Traceback" not in err
    assert "BrokenPipeError" not in err
    assert code == (ExitCode.PROJECT if "--project" in argv else ExitCode.OK)
