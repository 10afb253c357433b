"""Organisation profiles end to end, `config --show`, and only-if-env."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest

from layouts import CHANGELOG, git_init, write
from releasekit.cli import main
from releasekit.errors import ExitCode

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


def only_if_env_project(root: Path) -> Path:
    return write(root, {
        "pyproject.toml": """\
            [project]
            name = "matrix-demo"
            version = "1.0.0"

            [tool.releasekit]
            only-if-env = {MATRIX_PYTHON = "3.12", RUNNER_OS = ["Linux", "macOS"]}

            [tool.releasekit.repositories.test]
            upload-url = "http://127.0.0.1:9/"
            index-url = "http://127.0.0.1:9/simple/"
            """,
    })  # fmt: skip


@pytest.mark.parametrize("command", ["upload-test", "publish"])
def test_only_if_env_skips_uploads_in_the_other_matrix_jobs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    root = only_if_env_project(tmp_path)
    monkeypatch.setenv("MATRIX_PYTHON", "3.11")
    monkeypatch.setenv("RUNNER_OS", "Linux")
    args = [command, "--project", str(root), "--json"] + (
        ["--test"] if command == "publish" else []
    )
    assert main(args) == ExitCode.OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["skipped"] == ("only-if-env: MATRIX_PYTHON must be '3.12', and is '3.11' here")


def test_only_if_env_lets_the_chosen_job_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = only_if_env_project(tmp_path)
    monkeypatch.setenv("MATRIX_PYTHON", "3.12")
    monkeypatch.setenv("RUNNER_OS", "macOS")
    # The upload really starts (and finds no artifacts to upload): it was not skipped.
    assert main(["upload-test", "--project", str(root)]) == ExitCode.CHECK
    assert "There are no artifacts to check" in capsys.readouterr().err


def test_only_if_env_with_an_unset_variable_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = only_if_env_project(tmp_path)
    monkeypatch.delenv("MATRIX_PYTHON", raising=False)
    assert main(["upload-test", "--project", str(root)]) == ExitCode.OK
    assert "MATRIX_PYTHON must be '3.12', and is unset here" in capsys.readouterr().out
