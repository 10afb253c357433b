"""Organisation profiles end to end, `config --show`, and only-if-env."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layouts import write
from releasekit.cli import main
from releasekit.errors import ExitCode


def only_if_env_project(root: Path) -> Path:
    return write(root, {
        "pyproject.toml": """\
            [project]
            name = "matrix-demo"
            version = "1.0.0"

            [tool.releasekit]
            only-if-env = {MATRIX_PYTHON = "3.12", RUNNER_OS = ["Linux", "macOS"]}

            [tool.releasekit.repositories.test]
            upload-url = "http://127.0.0.1:9/"
            index-url = "http://127.0.0.1:9/simple/"
            """,
    })  # fmt: skip


@pytest.mark.parametrize("command", ["upload-test", "publish"])
def test_only_if_env_skips_uploads_in_the_other_matrix_jobs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    root = only_if_env_project(tmp_path)
    monkeypatch.setenv("MATRIX_PYTHON", "3.11")
    monkeypatch.setenv("RUNNER_OS", "Linux")
    args = [command, "--project", str(root), "--json"] + (
        ["--test"] if command == "publish" else []
    )
    assert main(args) == ExitCode.OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["skipped"] == ("only-if-env: MATRIX_PYTHON must be '3.12', and is '3.11' here")


def test_only_if_env_lets_the_chosen_job_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = only_if_env_project(tmp_path)
    monkeypatch.setenv("MATRIX_PYTHON", "3.12")
    monkeypatch.setenv("RUNNER_OS", "macOS")
    # The upload really starts (and finds no artifacts to upload): it was not skipped.
    assert main(["upload-test", "--project", str(root)]) == ExitCode.CHECK
    assert "There are no artifacts to check" in capsys.readouterr().err


def test_only_if_env_with_an_unset_variable_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = only_if_env_project(tmp_path)
    monkeypatch.delenv("MATRIX_PYTHON", raising=False)
    assert main(["upload-test", "--project", str(root)]) == ExitCode.OK
    assert "MATRIX_PYTHON must be '3.12', and is unset here" in capsys.readouterr().out
