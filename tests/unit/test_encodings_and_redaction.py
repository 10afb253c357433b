"""Files that are not UTF-8 and URLs that carry passwords: a clear error or a redacted
value, never a traceback or a secret on screen (issue 12, cases 8 and 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layouts import CHANGELOG, copy_project, git_init, write
from releasekit.cli import main
from releasekit.config import Repository
from releasekit.credentials import resolve_credentials
from releasekit.errors import ConfigError, ExitCode

Capsys = pytest.CaptureFixture[str]


def files_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def test_a_latin1_changelog_stops_bump_version_naming_file_and_encoding(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = copy_project("extra-file-changelog", tmp_path)
    (root / "CHANGELOG.md").write_bytes(
        CHANGELOG.replace("## [Unreleased]", "## [Unreleased]\n\n- Café").encode("latin-1")
    )
    git_init(root)
    before = files_of(root)

    code = main(["bump-version", "minor", "--project", str(root)])

    err = capsys.readouterr().err
    assert code == ExitCode.PROJECT
    assert f"The changelog {root / 'CHANGELOG.md'} is not UTF-8: it looks like Latin-1" in err
    assert "Nothing was changed." in err
    assert "Traceback" not in err
    assert files_of(root) == before


def test_a_utf16_pypirc_is_a_configuration_error_naming_the_file(tmp_path: Path) -> None:
    pypirc = tmp_path / ".pypirc"
    pypirc.write_text("[pypi]\nusername = __token__\npassword = pypi-secret\n", encoding="utf-16")
    repository = Repository(
        name="prod",
        upload_url="https://upload.pypi.org/legacy/",
        index_url="https://pypi.org/simple/",
    )

    with pytest.raises(ConfigError) as raised:
        resolve_credentials(repository, env={}, pypirc=pypirc, keyring_lookup=lambda *_: None)

    assert raised.value.exit_code == ExitCode.CONFIG
    assert (
        f"The credentials file {pypirc} is not UTF-8: it looks like UTF-16" in raised.value.message
    )
    assert "pypi-secret" not in str(raised.value)


def test_config_show_and_json_never_print_a_password_in_a_url(
    tmp_path: Path, capsys: Capsys
) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.0"\n\n'
            "[tool.releasekit.repositories.team]\n"
            'upload-url = "https://ci:hunter2-s3cret@pkgs.example.com/legacy/"\n'
            'index-url = "https://ci:hunter2-s3cret@pkgs.example.com/simple/"\n',
        },
    )

    shown = main(["config", "--show", "--project", str(tmp_path)])
    text = capsys.readouterr().out
    as_json = main(["config", "--show", "--json", "--project", str(tmp_path)])
    document = capsys.readouterr().out

    assert (shown, as_json) == (ExitCode.OK, ExitCode.OK)
    assert 'repositories.team.upload-url = "https://pkgs.example.com/legacy/"' in text
    settings = json.loads(document)["settings"]
    assert settings["repositories.team.index-url"]["value"] == "https://pkgs.example.com/simple/"
    assert "hunter2" not in text + document
