"""build and check on every project layout bump-version supports, with real backends.

These builds are isolated (uv installs each backend: setuptools, poetry-core, flit_core,
pdm-backend, hatchling, hatch-vcs from the package registry), as a user's would be.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from index_servers import PypiServer
from layouts import LAYOUTS, copy_project, git_init, with_readme, write
from release_project import PypiServers, repositories
from releasekit.cli import main
from releasekit.errors import ExitCode

VERSIONED_BY_TAG = {"hatch-vcs"}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_build_and_check_every_layout(
    tmp_path: Path, layout: str, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = with_readme(copy_project(layout, tmp_path / "project"))
    # As in real projects: setuptools leaves NAME.egg-info/ in the source tree.
    write(root, {".gitignore": "/dist/\n*.egg-info/\n"})
    if layout in VERSIONED_BY_TAG:
        subprocess.run(["git", "add", "--all"], cwd=root, check=True)
        subprocess.run(["git", "commit", "-qm", "readme"], cwd=root, check=True)
        subprocess.run(["git", "tag", "-f", "-a", "-m", "1.2.3", "v1.2.3"], cwd=root, check=True)
    else:
        git_init(root)

    assert main(["build", "--project", str(root)]) == ExitCode.OK
    built = sorted(p.name for p in (root / "dist").iterdir())
    assert len(built) == 2
    assert all("-1.2.3" in name for name in built)

    code = main(["check", "--project", str(root), "--repository-url", pypiserver.upload_url])
    assert code == ExitCode.OK, capsys.readouterr().err


def test_release_of_a_project_versioned_by_its_git_tags(
    tmp_path: Path, servers: PypiServers, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bump of a tag-versioned project is its tag: the build reads it, both indexes get
    the new version, and the dry run agreed beforehand."""
    root = with_readme(copy_project("hatch-vcs", tmp_path / "project"))
    write(root, {".gitignore": "/dist/\n"})
    subprocess.run(["git", "add", "--all"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "readme"], cwd=root, check=True)
    test, prod = servers.start("test"), servers.start("prod")
    config = write(tmp_path, {"releasekit.toml": repositories(test, prod, table="")})
    argv = ["--project", str(root), "--config", str(config / "releasekit.toml")]

    assert main(["release", "patch", "--yes", "--no-push", "--dry-run", *argv]) == ExitCode.OK
    planned = capsys.readouterr().out
    assert "bump-version     1.2.3 -> 1.2.4 in git tags; tag" in planned, planned
    assert "tag              v1.2.4, made by the bump" in planned, planned
    code = main(["release", "patch", "--yes", "--no-push", *argv])

    assert code == ExitCode.OK, capsys.readouterr().err
    for server in (test, prod):
        names = sorted(p.name for p in server.packages_dir.iterdir())
        assert [n.split("-")[1] for n in names] == ["1.2.4", "1.2.4.tar.gz"], names

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout

    assert git("tag").split() == ["v1.2.3", "v1.2.4"]
    assert git("rev-parse", "v1.2.4^{commit}") == git("rev-parse", "HEAD")


def test_a_release_the_bump_would_refuse_fails_its_dry_run_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A version only the build backend computes cannot be bumped: the dry run says so."""
    root = write(
        tmp_path / "project",
        {
            "setup.py": "from setuptools import setup\n"
            "VERSION = '.'.join(['1', '2', '3'])\n"
            "setup(name='computed', version=VERSION, py_modules=['computed'])\n",
            "computed.py": "",
            ".gitignore": "/dist/\n*.egg-info/\n/build/\n",
        },
    )
    git_init(root)
    nowhere = "http://127.0.0.1:9/"  # refused at once: the pre-flight's index reads fail
    config = write(
        tmp_path,
        {
            "releasekit.toml": "".join(
                f'[repositories.{name}]\nupload-url = "{nowhere}"\nindex-url = "{nowhere}"\n'
                for name in ("test", "prod")
            )
        },
    )

    code = main(["release", "patch", "--yes", "--dry-run", "--project", str(root),
                 "--config", str(config / "releasekit.toml")])  # fmt: skip

    shown = capsys.readouterr()
    assert code == ExitCode.INDEX, shown.err  # an unreadable index is 13, other failures beside it
    assert "pre-flight: passed" not in shown.err  # its verdict counts the bump's refusal
    assert (
        "FAILED: bump-version: The version of computed (1.2.3) is computed when the build "
        "backend runs" in shown.out
    )
