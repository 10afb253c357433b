"""twine's and uv's variables, as far as they can be seen without an index: which one
chose the target (config --show), their conflicts, and the index paired with an upload URL.
Uploads with each of them against real pypiservers: tests/integration/test_tool_env_uploads.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.cli import main
from releasekit.errors import ExitCode


def project(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0.0"\n')
    return root


def test_config_show_says_which_variable_chose_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("UV_PUBLISH_URL", "https://pkgs.example.com/legacy/")
    monkeypatch.setenv("UV_PUBLISH_CHECK_URL", "https://pkgs.example.com/simple/")
    monkeypatch.setenv("UV_PUBLISH_TOKEN", "s3cret-token-value")
    assert main(["config", "--show", "--json", "--project", str(project(tmp_path))]) == 0
    out = capsys.readouterr().out

    settings = json.loads(out)["settings"]
    assert settings["target.repository"] == {
        "value": "pkgs.example.com",
        "source": "UV_PUBLISH_URL",
    }
    assert settings["target.index-url"] == {
        "value": "https://pkgs.example.com/simple/",
        "source": "UV_PUBLISH_CHECK_URL",
    }
    assert settings["target.credentials"]["value"] == "__token__ (UV_PUBLISH_TOKEN)"
    assert "s3cret-token-value" not in out


def test_twine_and_uv_naming_two_urls_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TWINE_REPOSITORY_URL", "https://a.example.com/legacy/")
    monkeypatch.setenv("UV_PUBLISH_URL", "https://b.example.com/legacy/")
    assert main(["check", "--project", str(project(tmp_path))]) == ExitCode.USAGE
    assert "TWINE_REPOSITORY_URL and UV_PUBLISH_URL are both set" in capsys.readouterr().err


def test_pypis_upload_url_is_paired_with_pypis_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TWINE_REPOSITORY_URL", "https://upload.pypi.org/legacy/")
    assert main(["config", "--show", "--project", str(project(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert 'target.index-url = "https://pypi.org/simple/"' in out
    assert 'target.repository = "upload.pypi.org"' in out


def test_an_index_that_cannot_be_derived_asks_for_index_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    url = "https://devpi.example.com/team/stable/"
    assert main(["check", "--project", str(root), "--repository-url", url]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "The simple index of https://devpi.example.com/team/stable/ cannot be told" in err
    assert "--index-url" in err


def test_an_explicit_file_that_is_no_distribution_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    readme = root / "README.md"
    readme.write_text("# demo\n")
    for command in ("upload", "upload-test", "upload-prod"):
        assert main([command, "--project", str(root), str(readme)]) == ExitCode.USAGE
        assert "README.md is not a distribution file" in capsys.readouterr().err


def test_twine_repository_naming_no_repository_says_so_and_suggests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TWINE_REPOSITORY", "prdo")
    assert main(["check", "--project", str(project(tmp_path))]) == ExitCode.CONFIG
    err = capsys.readouterr().err
    assert "TWINE_REPOSITORY chose the target: There is no repository named 'prdo'" in err
    assert "(did you mean 'prod'?)" in err
