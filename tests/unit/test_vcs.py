"""git arguments built from settings (tags, remotes) are checked with git check-ref-format
and never read as options: a remote named like an option runs nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from layouts import copy_project, git_init
from releasekit.cli import main
from releasekit.errors import VcsError
from releasekit.runner import SubprocessRunner
from releasekit.vcs import Git

Capsys = pytest.CaptureFixture[str]


def repository(tmp_path: Path) -> Path:
    """A committed project with a bare ``origin`` beside it."""
    root = git_init(copy_project("static", tmp_path / "project"))
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    subprocess.run(["git", "remote", "add", "origin", str(origin)], cwd=root, check=True)
    return root


def test_a_remote_named_like_an_option_runs_nothing(tmp_path: Path) -> None:
    root = repository(tmp_path)
    git = Git(SubprocessRunner(echo=False), root)
    git.create_tag("v1.2.3", "Release 1.2.3")
    hostile = f"--receive-pack=touch {tmp_path / 'pwned'}; git-receive-pack"

    with pytest.raises(VcsError) as raised:
        git.push(hostile, "v1.2.3")

    assert raised.value.message.startswith(f"{hostile!r} is not a valid git remote name")
    assert not (tmp_path / "pwned").exists()
    git.push("origin", "v1.2.3")  # a valid remote still works


@pytest.mark.parametrize("tag_format", ["v {version}", "-{version}"])
def test_a_tag_format_git_refuses_is_named_and_nothing_changes(
    tmp_path: Path, capsys: Capsys, tag_format: str
) -> None:
    root = repository(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + f"\n[tool.releasekit]\ntag-format = {tag_format!r}\n"
    )
    subprocess.run(["git", "commit", "-qam", "tag format"], cwd=root, check=True)
    before = pyproject.read_bytes()
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True, text=True
    ).stdout

    code = main(["bump-version", "patch", "--project", str(root)])
    err = capsys.readouterr().err

    tag = tag_format.format(version="1.2.4")
    assert code == VcsError.exit_code, err
    assert f"{tag!r} is not a valid git tag name (git check-ref-format refuses" in err
    assert pyproject.read_bytes() == before
    assert (
        subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True, text=True
        ).stdout
        == head
    )
