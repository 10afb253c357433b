"""An organisation's profile installed as a package (examples/acme-release-conventions),
in a virtualenv of its own: its conventions under the project's table, and a bump that
follows them."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest

from layouts import CHANGELOG, git_init, write

REPOSITORY = Path(__file__).resolve().parents[2]
PROFILE_PACKAGE = REPOSITORY / "examples" / "acme-release-conventions"


@pytest.fixture(scope="module")
def acme_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with releasekit and the example profile package installed."""
    from releasekit.tools import find_uv

    uv = find_uv()
    assert uv is not None, "uv is a test dependency"
    venv = tmp_path_factory.mktemp("acme") / "venv"
    subprocess.run([uv.path, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    subprocess.run([uv.path, "pip", "install", "--quiet", "--python", str(venv / "bin/python"),
                    str(REPOSITORY), str(PROFILE_PACKAGE)], check=True)  # fmt: skip
    return venv


def acme_project(root: Path) -> Path:
    write(root, {
        "pyproject.toml": """\
            [project]
            name = "demo"
            version = "1.0.0"

            [tool.releasekit]
            extends = "acme"
            tag-format = "{name}-{version}"   # this project's own tags

            [tool.releasekit.repositories.prod]
            token-env = "DEMO_PROD_TOKEN"
            """,
        "CHANGELOG.md": CHANGELOG,
    })  # fmt: skip
    return git_init(root)


def releasekit(venv: Path, *args: str, cwd: Path) -> str:
    return subprocess.run(
        [str(venv / "bin" / "releasekit"), *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_installed_profile_is_layered_under_the_project(acme_venv: Path, tmp_path: Path) -> None:
    root = acme_project(tmp_path / "demo")
    shown = json.loads(releasekit(acme_venv, "config", "--show", "--json", cwd=root))
    settings = {key: (entry["value"], entry["source"]) for key, entry in shown["settings"].items()}
    profile = "profile 'acme' (entry point group releasekit.profiles)"
    project = f"{root / 'pyproject.toml'} [tool.releasekit]"
    assert settings["tag-format"] == ("{name}-{version}", project)
    assert settings["commit-message"] == ("release: {name} {version}", profile)
    assert settings["release-branches"] == (["main", "release/*"], profile)
    assert settings["build.installer"] == ("uv", profile)
    assert settings["verify.install"] == (True, profile)
    assert settings["verify.timeout"] == (600.0, profile)
    assert settings["repositories.prod.upload-url"] == (
        "https://pkgs.acme.example/prod/upload/",
        profile,
    )
    assert settings["repositories.prod.token-env"] == ("DEMO_PROD_TOKEN", project)
    assert settings["allow-dirty"] == (False, "default")

    human = releasekit(acme_venv, "config", "--show", cwd=root)
    assert 'commit-message = "release: {name} {version}"' in human
    assert f"# {profile}" in human


def test_a_bump_follows_the_profile_conventions(acme_venv: Path, tmp_path: Path) -> None:
    root = acme_project(tmp_path / "demo")
    releasekit(acme_venv, "bump-version", "minor", cwd=root)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, check=True, capture_output=True, text=True
        ).stdout.strip()

    assert git("log", "-1", "--format=%s") == "release: demo 1.1.0"
    assert git("describe", "--exact-match") == "demo-1.1.0"
    today = datetime.date.today().isoformat()
    assert f"## [Unreleased]\n\n## 1.1.0 ({today})\n" in (root / "CHANGELOG.md").read_text()
