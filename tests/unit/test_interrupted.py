"""The errors a user reads: an interrupted upload names what is on the index."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from releasekit.errors import ExitCode, Interrupted, Terminated


@dataclass
class File:
    filename: str


@dataclass
class Outcome:
    state: str


FILES = [File("a.whl"), File("b.whl"), File("c.tar.gz")]


@pytest.mark.parametrize(
    ("finished", "said"),
    [
        ({}, "no file is on the index; a.whl, b.whl, c.tar.gz are not."),
        ({"a.whl": Outcome("uploaded")}, "a.whl is on the index; b.whl, c.tar.gz are not."),
        (
            {"a.whl": Outcome("uploaded"), "b.whl": Outcome("already there")},
            "a.whl, b.whl are on the index; c.tar.gz is not.",
        ),
        (
            {f.filename: Outcome("uploaded") for f in FILES},
            "a.whl, b.whl, c.tar.gz are on the index; that is every file.",
        ),
    ],
)
def test_an_interrupted_upload_names_the_files_up_and_not(
    finished: dict[str, Outcome], said: str
) -> None:
    error = Interrupted.during_upload(KeyboardInterrupt(), "test (x)", FILES, finished)

    assert error.message == f"The upload to test (x) was interrupted: {said}"
    assert error.exit_code == ExitCode.INTERRUPTED
    assert "run the same upload again" in error.hint.lower()


def test_sigterm_is_exit_143_and_says_so() -> None:
    error = Interrupted.during_upload(Terminated(), "test (x)", FILES[:1], {})

    assert error.exit_code == ExitCode.TERMINATED
    assert int(error.exit_code) == 143
    assert "was terminated (SIGTERM)" in error.message
