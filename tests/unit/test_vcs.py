"""git arguments built from settings (tags, remotes) are checked with git check-ref-format
and never read as options: a remote named like an option runs nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from layouts import copy_project, git_init
from releasekit.cli import main
from releasekit.errors import ExitCode, VcsError
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


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving files to another user"
)
def test_a_checkout_owned_by_another_user_is_refused_with_gits_reason_and_the_fix(
    tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git's "dubious ownership" check (a CI container, a tar that kept the owner): the
    checkout belongs to nobody, the global git config has no safe.directory for it."""
    root = git_init(copy_project("static", tmp_path / "project"), tag="v1.2.3")
    monkeypatch.delenv("SUDO_UID", raising=False)
    config = tmp_path / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    subprocess.run(["chown", "-R", "nobody", str(root)], check=True)
    before = (root / "pyproject.toml").read_bytes()

    code = main(["bump-version", "patch", "--project", str(root)])

    err = capsys.readouterr().err
    assert code == ExitCode.VCS
    assert f"git refuses the repository at {root}: it belongs to another user" in err
    assert "git said: fatal: detected dubious ownership" in err
    assert f"git config --global --add safe.directory {root}" in err
    assert "not in a git repository" not in err
    assert "Traceback" not in err
    assert (root / "pyproject.toml").read_bytes() == before
    # The fix it names works.
    subprocess.run(["git", "config", "--global", "--add", "safe.directory", str(root)], check=True)
    assert main(["bump-version", "patch", "--project", str(root)]) == ExitCode.OK


def test_a_checkout_git_cannot_read_is_not_taken_for_no_repository(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = git_init(copy_project("static", tmp_path / "project"), tag="v1.2.3")
    (root / ".git" / "HEAD").unlink()  # git no longer takes it for a repository

    code = main(["bump-version", "patch", "--project", str(root)])

    err = capsys.readouterr().err
    assert code == ExitCode.VCS
    assert f"git cannot read the repository at {root}" in err
    assert "`git rev-parse` failed with exit code 128" in err


def test_a_project_outside_any_repository_is_still_no_repository(tmp_path: Path) -> None:
    root = copy_project("static", tmp_path / "project")
    assert Git(SubprocessRunner(echo=False), root).is_repository() is False
