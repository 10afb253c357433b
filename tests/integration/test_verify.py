"""verify --install: what it imports, and what an installer's settings cannot stop."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from index_servers import PypiServer
from layouts import git_init
from releasekit.cli import main
from releasekit.errors import ExitCode

PROJECTS = Path(__file__).parents[1] / "projects"


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_install_notes_a_module_that_needs_an_extra_despite_a_release_age_cooldown(
    installer: str,
    tmp_path: Path,
    pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """rk-opt ships rk_opt_server, which imports a dependency of its [server] extra only;
    the user's installer refuses anything uploaded after 2020."""
    root = git_init(Path(shutil.copytree(PROJECTS / "optional-server", tmp_path / "rk-opt")))
    common = ["--project", str(root), "--repository-url", pypiserver.upload_url]
    assert main(["build", "--project", str(root)]) == ExitCode.OK
    assert main(["upload", *common]) == ExitCode.OK
    capsys.readouterr()
    monkeypatch.setenv("UV_EXCLUDE_NEWER", "2020-01-01T00:00:00Z")
    monkeypatch.setenv("PIP_UPLOADED_PRIOR_TO", "2020-01-01T00:00:00Z")
    if installer == "pip":
        monkeypatch.setattr("releasekit.steps.verify.find_uv", lambda: None)

    code = main(["verify", "--install", "--timeout", "30", "--json", *common])

    out, err = capsys.readouterr()
    assert code == ExitCode.OK, err
    summary = json.loads(out)
    assert summary["install"] == {
        "installer": installer,
        "installed_version": "1.0.0",
        "imported": ["rk_opt"],
    }
    assert summary["notes"] == [
        "import rk_opt_server needs rk_not_installed_web, which rk-opt declares only as an "
        "optional dependency (rk-not-installed-web>=1; extra == 'server'): not imported"
    ]


def test_install_imports_the_import_names_the_wheel_declares(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Import-Name (Metadata 2.5) says rk_named; the wheel's other top-level package is
    not something a user imports."""
    root = git_init(Path(shutil.copytree(PROJECTS / "import-names", tmp_path / "rk-named")))
    common = ["--project", str(root), "--repository-url", pypiserver.upload_url]
    assert main(["build", "--project", str(root)]) == ExitCode.OK
    assert main(["upload", *common]) == ExitCode.OK
    capsys.readouterr()

    code = main(["verify", "--install", "--timeout", "30", "--json", *common])

    out, err = capsys.readouterr()
    assert code == ExitCode.OK, err
    assert json.loads(out)["install"]["imported"] == ["rk_named"]
