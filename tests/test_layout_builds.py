"""build and check on every project layout bump-version supports, with real backends.

These builds are isolated (uv installs each backend: setuptools, poetry-core, flit_core,
pdm-backend, hatchling, hatch-vcs from the package registry), as a user's would be.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from index_servers import PypiServer
from layouts import LAYOUTS, git_init, with_readme, write
from releasekit.cli import main
from releasekit.errors import ExitCode

VERSIONED_BY_TAG = {"hatch-vcs"}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_build_and_check_every_layout(
    tmp_path: Path, layout: str, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = with_readme(LAYOUTS[layout](tmp_path / "project"))
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
