"""Odd files in a bump: symbolic links are written through (inside the repository) or
refused (outside it); read-only and unwritable files are refused before anything changes,
with their path; a file that fails to be written is a message, and every file is put back."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from layouts import copy_project, git_init
from releasekit.cli import main
from releasekit.errors import ExitCode

Capsys = pytest.CaptureFixture[str]


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file's bytes (a link: where it points), and git's refs."""
    files: dict[str, bytes | str] = {
        p.relative_to(root).as_posix(): (f"-> {p.readlink()}" if p.is_symlink() else p.read_bytes())
        for p in sorted(root.rglob("*"))
        if (p.is_file() or p.is_symlink()) and ".git" not in p.parts
    }
    files["refs"] = git(root, "for-each-ref") if (root / ".git").exists() else ""
    return files


def bump(capsys: Capsys, root: Path, *args: str) -> tuple[int, str]:
    code = main(["bump-version", "minor", *args, "--project", str(root)])
    return code, capsys.readouterr().err


def project_with_linked_files(tmp_path: Path) -> Path:
    """The extra-file layout whose CHANGELOG.md and _version.py are links into docs/ and
    shared/ of the same repository."""
    root = copy_project("extra-file-changelog", tmp_path / "project")
    (root / "docs" / "CHANGELOG.md").write_bytes((root / "CHANGELOG.md").read_bytes())
    (root / "CHANGELOG.md").unlink()
    (root / "CHANGELOG.md").symlink_to("docs/CHANGELOG.md")
    shared = root / "shared"
    shared.mkdir()
    version = root / "src" / "demo_static" / "_version.py"
    (shared / "version.py").write_bytes(version.read_bytes())
    version.unlink()
    version.symlink_to("../../shared/version.py")
    return git_init(root)


def test_a_linked_version_file_and_changelog_are_written_through_their_links(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = project_with_linked_files(tmp_path)

    code, err = bump(capsys, root)

    assert code == ExitCode.OK, err
    for link, target in (
        ("CHANGELOG.md", "docs/CHANGELOG.md"),
        ("src/demo_static/_version.py", "../../shared/version.py"),
    ):
        assert (root / link).is_symlink()
        assert str((root / link).readlink()) == target
        assert git(root, "ls-files", "-s", link).startswith("120000 ")
    assert (root / "shared" / "version.py").read_text() == 'version = "1.3.0"\n'
    assert "## [1.3.0] - " in (root / "docs" / "CHANGELOG.md").read_text()
    # The targets' changes are in the release commit; nothing is left uncommitted.
    assert git(root, "status", "--porcelain") == ""
    assert set(git(root, "show", "--name-only", "--format=", "HEAD").split()) == {
        "pyproject.toml",
        "docs/conf.py",
        "docs/CHANGELOG.md",
        "shared/version.py",
    }


def test_a_link_to_a_file_outside_the_repository_is_refused(tmp_path: Path, capsys: Capsys) -> None:
    outside = tmp_path / "elsewhere" / "version.py"
    outside.parent.mkdir()
    root = copy_project("extra-file-changelog", tmp_path / "project")
    version = root / "src" / "demo_static" / "_version.py"
    outside.write_bytes(version.read_bytes())
    version.unlink()
    version.symlink_to(outside)
    git_init(root)
    before = snapshot(root)

    code, err = bump(capsys, root)

    assert code == ExitCode.PROJECT, err
    assert f"{version} is a symbolic link to {outside}, outside the repository {root}" in err
    assert "Traceback" not in err
    assert snapshot(root) == before
    assert outside.read_text() == 'version = "1.2.3"\n'


def test_read_only_and_immutable_files_are_refused_before_anything_changes(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = git_init(copy_project("extra-file-changelog", tmp_path / "project"))
    conf = root / "docs" / "conf.py"
    conf.chmod(0o444)
    version = root / "src" / "demo_static" / "_version.py"
    immutable = shutil.which("chattr") is not None and (
        subprocess.run(["chattr", "+i", str(version)], check=False, capture_output=True).returncode
        == 0
    )
    before = snapshot(root)
    try:
        code, err = bump(capsys, root, "--dry-run")
        real, real_err = bump(capsys, root)
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(version)], check=True)

    assert code == real == ExitCode.PROJECT, err
    assert f"{conf} is read-only (mode -r--r--r--): make it writable" in err
    if immutable:
        assert f"{version} cannot be written by this user (or is immutable)" in err
    assert "nothing was changed" in real_err
    assert snapshot(root) == before
