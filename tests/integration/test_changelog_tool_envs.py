"""The project's changelog tool when releasekit runs without it (installed on its own,
with pipx or in a CI image): an environment of its own is made in the build cache, with
the version the project asks for, and the bump writes the changelog with it. Resolving
the tool needs the package registry once; the environment is kept (a day) afterwards."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from layouts import copy_project, write
from release_project import RecordingRunner
from releasekit.changelog_tools import changelog_tool_command
from releasekit.config import ReleaseConfig
from releasekit.errors import ProjectError
from test_corpus import BUILD_CACHE


@pytest.fixture
def without_the_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RecordingRunner:
    """A runner whose Python has no towncrier next to it, and a PATH without one."""
    venv = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    runner = RecordingRunner()
    runner.python = str(venv / "bin" / "python")
    return runner


def test_a_changelog_tool_not_installed_runs_from_an_environment_of_the_version_asked(
    tmp_path: Path, without_the_tool: RecordingRunner
) -> None:
    root = copy_project("towncrier", tmp_path / "project")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + "\n[project.optional-dependencies]\n"
        + "doc = [\"towncrier >= 23.6; python_version >= '3.8'\"]\n"
    )
    config = ReleaseConfig(build_cache_dir=str(BUILD_CACHE), build_cache_ttl=86400)

    command = changelog_tool_command(
        "towncrier", root, config, without_the_tool, "1.2.4", ("--name", "rk-towncrier")
    )

    assert Path(command[0]).is_relative_to(BUILD_CACHE)
    assert command[1:] == ["build", "--version", "1.2.4", "--yes", "--name", "rk-towncrier"]
    assert any(
        "towncrier is not installed" in line and "towncrier>=23.6" in line
        for line in without_the_tool.logs
    ), without_the_tool.logs
    subprocess.run(command, cwd=root, check=True, capture_output=True)
    changelog = (root / "CHANGELOG.md").read_text()
    assert "## [1.2.4](https://example.invalid/1.2.4)" in changelog
    assert not (root / "changelog.d/123.feature.md").exists()


def test_a_changelog_tool_that_can_be_neither_found_nor_made_is_named(
    tmp_path: Path, without_the_tool: RecordingRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project("towncrier", tmp_path / "project")
    write(root, {"pyproject.toml": (root / "pyproject.toml").read_text()
                 + '\n[dependency-groups]\ndocs = ["towncrier>=999"]\n'})  # fmt: skip
    monkeypatch.setenv("UV_OFFLINE", "1")  # never asks the registry: the version is none
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    config = ReleaseConfig(build_cache_dir=str(tmp_path / "cache"))

    with pytest.raises(ProjectError) as raised:
        changelog_tool_command("towncrier", root, config, without_the_tool, "1.2.4")

    assert "towncrier, which is not installed here" in raised.value.message
    assert "towncrier>=999 could not be made" in raised.value.message
    assert "pip install towncrier" in raised.value.hint
