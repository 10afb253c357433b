"""release end to end on two local pypiservers: changelog-required stops the pre-flight,
and a plain run prints what its steps noted."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from release_project import PypiServers, pyproject, repositories, write_project
from releasekit.cli import main
from releasekit.errors import ExitCode


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def sample(tmp_path: Path, servers: PypiServers, releasekit: str, changelog: str) -> Path:
    table = releasekit + repositories(servers.start("test"), servers.start("prod"))
    return write_project(
        tmp_path / "project",
        pyproject_toml=pyproject(table),
        files={"CHANGELOG.md": changelog},
        origin=True,
    )


def test_release_with_changelog_required_and_an_empty_unreleased_changes_nothing(
    tmp_path: Path, servers: PypiServers, capsys: pytest.CaptureFixture[str]
) -> None:
    root = sample(
        tmp_path,
        servers,
        "changelog-required = true\n",
        "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n## [1.0.0] - 2026-01-05\n\n- First.\n",
    )
    head = git(root, "rev-parse", "HEAD")

    code = main(["release", "patch", "--yes", "--project", str(root)])

    err = " ".join(capsys.readouterr().err.split())
    assert code == ExitCode.CHECK, err
    assert "Pre-flight of release rk-demo 1.0.1 found 1 problem(s); nothing was changed" in err
    assert (
        "bump-version: The [Unreleased] section of CHANGELOG.md is empty: the 1.0.1 section "
        "says nothing about what changed, and changelog-required is set."
    ) in err
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "status", "--porcelain") == ""


def test_release_prints_what_its_steps_noted_and_warned(
    tmp_path: Path, servers: PypiServers, capsys: pytest.CaptureFixture[str]
) -> None:
    """A changelog with a heading per version and no Unreleased section: the bump leaves
    it, check warns it lacks the version; a plain run says both, not only --json."""
    root = sample(tmp_path, servers, "", "# Changelog\n\n## 1.0.0 (2026-01-05)\n\n- First.\n")

    code = main(["release", "patch", "--yes", "--project", str(root)])

    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    notes = out[out.index("\nnotes:\n") :].splitlines()
    assert "  warning: CHANGELOG.md does not mention 1.0.1" in notes
    assert (
        "  note: CHANGELOG.md has no '## [Unreleased]' section and no towncrier or scriv "
        "configuration: it is left as it is (write its entry yourself; check warns when the "
        "version is not in it)."
    ) in notes
    assert notes.count("  warning: CHANGELOG.md does not mention 1.0.1") == 1  # test and prod


def test_a_dry_run_says_the_unreleased_section_is_empty_before_anything_goes_out(
    tmp_path: Path, servers: PypiServers, capsys: pytest.CaptureFixture[str]
) -> None:
    root = sample(
        tmp_path,
        servers,
        "",
        "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-05\n\n- First.\n",
    )

    code = main(["release", "patch", "--dry-run", "--yes", "--project", str(root)])

    err = " ".join(capsys.readouterr().err.split())
    assert code == ExitCode.OK, err
    assert (
        "note: The [Unreleased] section of CHANGELOG.md is empty: the 1.0.1 section says "
        "nothing about what changed."
    ) in err
    assert git(root, "status", "--porcelain") == ""
