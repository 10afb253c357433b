"""bump-version with the project's own changelog tool (towncrier, scriv, found next to the
interpreter) and changelog-required: the tools run for real. A tool not installed where
releasekit runs gets an environment of its own in the build cache, with the version the
project asks for (resolved from the package registry once, then kept a day)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from layouts import copy_project, git_init, write
from release_project import RecordingRunner
from releasekit.changelog_tools import changelog_tool_command, declared_requirement
from releasekit.cli import main
from releasekit.config import ReleaseConfig
from releasekit.errors import ExitCode, ProjectError
from test_corpus import BUILD_CACHE


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


SETUP_CFG = (
    "[metadata]\nname = demo-pkg\nversion = 1.2.3\n\n"
    "[options]\npackage_dir =\n    = src\npackages = find:\n\n"
    "[options.packages.find]\nwhere = src\n"
)
BUILD_SYSTEM = (
    '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
)
REQUIRED = "\n[tool.releasekit]\nchangelog-required = true\n"


def towncrier_project(root: Path, table: str = "", *, fragment: bool = True) -> Path:
    """A src-layout setup.cfg project whose towncrier configuration names its package:
    towncrier imports it to learn the name, which fails where it is not installed."""
    write(
        root,
        {
            "setup.cfg": SETUP_CFG,
            "src/demo_pkg/__init__.py": "",
            "pyproject.toml": BUILD_SYSTEM
            + '\n[tool.towncrier]\npackage = "demo_pkg"\ndirectory = "changes"\n'
            'filename = "CHANGES.md"\n' + table,
            "CHANGES.md": "# Changes\n\n<!-- towncrier release notes start -->\n",
        },
    )
    if fragment:
        write(root, {"changes/42.bugfix.md": "Fixed the frobnicator.\n"})
    else:
        write(root, {"changes/.gitignore": "!.gitignore\n"})
    return root


def bump(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["bump-version", "patch", "--project", str(root), *args])
    return code, capsys.readouterr().err


def test_towncrier_needs_not_import_the_package_of_a_src_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(towncrier_project(tmp_path), tag="v1.2.3")

    code, err = bump(root, capsys)

    assert code == ExitCode.OK, err
    changes = (root / "CHANGES.md").read_text()
    assert "# Demo_Pkg 1.2.4 (" in changes
    assert "- Fixed the frobnicator. (#42)" in changes
    assert not (root / "changes/42.bugfix.md").exists()
    assert git(root, "status", "--porcelain") == ""


def test_a_towncrier_template_missing_from_the_tree_is_refused_before_anything_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(
        towncrier_project(tmp_path, 'template = "changes/template.md.jinja"\n'), tag="v1.2.3"
    )
    head = git(root, "rev-parse", "HEAD")

    code, err = bump(root, capsys)

    assert code == ExitCode.PROJECT
    assert (
        "towncrier would fail writing the changelog: towncrier's template "
        "changes/template.md.jinja (tool.towncrier.template) does not exist"
    ) in err
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "status", "--porcelain") == ""


def scriv_project(root: Path, fragment: bool = True, table: str = "") -> Path:
    files = {
        "pyproject.toml": BUILD_SYSTEM + table,
        "setup.cfg": SETUP_CFG + "\n[scriv]\nformat = md\n",
        "src/demo_pkg/__init__.py": "",
        "CHANGELOG.md": "# Changelog\n\n<!-- scriv-insert-here -->\n",
        "changelog.d/README.md": "Fragments go here.\n",
    }
    if fragment:
        files["changelog.d/20261201_fix.md"] = "### Fixed\n\n- The frobnicator.\n"
    return write(root, files)


def test_scriv_with_no_fragments_is_a_note_and_the_bump_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(scriv_project(tmp_path, fragment=False), tag="v1.2.3")
    before = (root / "CHANGELOG.md").read_bytes()

    code = main(["bump-version", "patch", "--project", str(root), "--json"])

    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    assert "No scriv fragments in changelog.d/: the changelog is left as it is." in out
    assert (root / "CHANGELOG.md").read_bytes() == before
    assert "version = 1.2.4" in (root / "setup.cfg").read_text()


def test_scriv_collects_with_its_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(scriv_project(tmp_path), tag="v1.2.3")
    # An editor scriv would open by this git setting has no terminal: --no-edit.
    git(root, "config", "scriv.collect.edit", "true")

    code, err = bump(root, capsys)

    assert code == ExitCode.OK, err
    assert "- The frobnicator." in (root / "CHANGELOG.md").read_text()
    assert "1.2.4" in (root / "CHANGELOG.md").read_text()
    assert git(root, "status", "--porcelain") == ""


@pytest.mark.parametrize("tool", ["towncrier", "scriv"])
def test_changelog_required_refuses_a_release_with_no_fragments(
    tmp_path: Path, tool: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if tool == "towncrier":
        root = towncrier_project(tmp_path, REQUIRED, fragment=False)
    else:
        root = scriv_project(tmp_path, fragment=False, table=REQUIRED)
    root = git_init(root, tag="v1.2.3")

    code, err = bump(root, capsys)

    assert code == ExitCode.PROJECT
    directory = "changes" if tool == "towncrier" else "changelog.d"
    assert f"There are no {tool} fragments in {directory}/ to write 1.2.4's" in err
    assert git(root, "status", "--porcelain") == ""


def test_changelog_required_refuses_a_project_without_a_changelog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.2.3"\n' + REQUIRED},
    )
    root = git_init(root, tag="v1.2.3")

    code, err = bump(root, capsys)

    assert code == ExitCode.PROJECT
    assert "No changelog was found" in err
    assert "and changelog-required is set." in " ".join(err.split())
    assert git(root, "status", "--porcelain") == ""


def test_changelog_required_refuses_an_empty_unreleased_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.2.3"\n\n'
            "[tool.releasekit]\nchangelog-required = true\n",
            "CHANGELOG.md": "## [Unreleased]\n\n### Added\n\n## [1.2.3] - 2026-01-05\n\n- x\n",
        },
    )
    root = git_init(root, tag="v1.2.3")

    code, err = bump(root, capsys)

    assert code == ExitCode.PROJECT
    assert (
        "The [Unreleased] section of CHANGELOG.md is empty: the 1.2.4 section says nothing "
        "about what changed, and changelog-required is set."
    ) in " ".join(err.split())
    assert git(root, "status", "--porcelain") == ""


# --- a tool not installed where releasekit runs: an environment of its own --------------


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


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        (
            "[project.optional-dependencies]\n"
            'doc = ["Sphinx", "TownCrier >= 24.7 ; python_version >= \'3.9\'"]\n',
            ("towncrier>=24.7", "as [project.optional-dependencies] doc asks"),
        ),
        (
            '[dependency-groups]\ndocs = [{include-group = "x"}, "towncrier[x]==24.8.0"]\nx = []\n',
            ("towncrier[x]==24.8.0", "as [dependency-groups] docs asks"),
        ),
        (
            '[dependency-groups]\ndev = ["not a requirement ("]\n',
            ("towncrier", "the project names no version of it"),
        ),
        ("", ("towncrier", "the project names no version of it")),
    ],
)
def test_the_changelog_tool_is_the_version_the_project_declares(
    tmp_path: Path, tables: str, expected: tuple[str, str]
) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "p"\nversion = "1"\n' + tables})

    assert declared_requirement(tmp_path, "towncrier") == expected


def test_a_project_key_that_is_no_table_names_no_version(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": 'project = "p"\n'})

    assert declared_requirement(tmp_path, "towncrier") == (
        "towncrier",
        "the project names no version of it",
    )
