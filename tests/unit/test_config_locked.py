"""An organisation profile's ``locked`` keys: held against the project, --config, the
environment and the command line; marked by ``config --show``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layouts import write
from release_project import Releasekit
from releasekit.errors import ExitCode

PROFILE = """\
tag-format = "acme-v{version}"
locked = ["tag-format", "attest", "repositories"]

[repositories.prod]
upload-url = "https://pkgs.acme.example/upload/"
index-url = "https://pkgs.acme.example/simple/"
"""


def project(root: Path, table: str = "") -> Path:
    write(
        root,
        {
            "org/profile.toml": PROFILE,
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.0.0"\n\n'
            '[tool.releasekit]\nextends = "org/profile.toml"\n' + table,
        },
    )
    return root


def test_a_project_that_overrides_a_locked_key_is_refused(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = project(tmp_path, 'tag-format = "{version}"\n')

    code, out, err = releasekit("--project", root, "version")

    assert code == ExitCode.CONFIG
    assert out == ""
    profile = root / "org" / "profile.toml"
    assert (
        f"'tag-format' is locked by {profile} (to 'acme-v{{version}}'), and "
        f"{root / 'pyproject.toml'} [tool.releasekit] sets it to '{{version}}'."
    ) in err
    assert "Traceback" not in err


def test_the_locked_value_itself_may_be_repeated(tmp_path: Path, releasekit: Releasekit) -> None:
    root = project(tmp_path, 'tag-format = "acme-v{version}"\nattest = true\n')

    code, out, _ = releasekit("--project", root, "version")

    assert (code, out) == (0, "1.0.0\n")


def test_a_config_file_is_refused_naming_the_file(tmp_path: Path, releasekit: Releasekit) -> None:
    root = project(tmp_path)
    extra = tmp_path / "ci.toml"
    extra.write_text("attest = false\n", encoding="utf-8")

    code, _, err = releasekit("--project", root, "--config", extra, "version")

    assert code == ExitCode.CONFIG
    assert f"'attest' is locked by {root / 'org' / 'profile.toml'} (to True)" in err
    assert f"and {extra} sets it to False" in err


def test_an_environment_variable_is_refused_naming_the_variable(
    tmp_path: Path, releasekit: Releasekit, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path)
    monkeypatch.setenv("RELEASEKIT_ATTEST", "0")

    code, _, err = releasekit("--project", root, "version")

    assert code == ExitCode.CONFIG
    assert "and RELEASEKIT_ATTEST sets it to False" in err


def test_a_flag_is_refused_naming_the_flag(tmp_path: Path, releasekit: Releasekit) -> None:
    root = project(tmp_path)

    code, _, err = releasekit(
        "--project", root, "bump-version", "patch", "--dry-run", "--tag-format", "x{version}"
    )

    assert code == ExitCode.CONFIG
    assert "and the command line (--tag-format) sets it to 'x{version}'" in err
    assert 'version = "1.0.0"' in (root / "pyproject.toml").read_text(encoding="utf-8")


def test_a_locked_repository_table_cannot_be_pointed_elsewhere(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = project(
        tmp_path,
        '\n[tool.releasekit.repositories.prod]\nupload-url = "https://evil.example/upload/"\n',
    )

    code, _, err = releasekit("--project", root, "version")

    assert code == ExitCode.CONFIG
    assert "'repositories' is locked by" in err


def test_a_profile_extending_another_cannot_unlock_its_keys(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = project(tmp_path)
    write(root, {"org/team.toml": 'extends = "profile.toml"\ntag-format = "team-{version}"\n'})
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(
        text.replace("org/profile.toml", "org/team.toml"), encoding="utf-8"
    )

    code, _, err = releasekit("--project", root, "version")

    assert code == ExitCode.CONFIG
    assert f"and {(root / 'org' / 'team.toml').resolve()} sets it to 'team-{{version}}'" in err


def test_a_project_cannot_lock_keys(tmp_path: Path, releasekit: Releasekit) -> None:
    root = project(tmp_path, 'locked = ["commit"]\n')

    code, _, err = releasekit("--project", root, "version")

    assert code == ExitCode.CONFIG
    assert "key 'locked' is for an organisation profile" in err


def test_config_show_marks_the_locked_keys(tmp_path: Path, releasekit: Releasekit) -> None:
    root = project(tmp_path)

    code, out, _ = releasekit("--project", root, "config", "--show")
    _, shown, _ = releasekit("--project", root, "--json", "config", "--show")

    settings = json.loads(shown)["settings"]
    profile = str(root / "org" / "profile.toml")
    assert code == 0
    assert settings["tag-format"] == {
        "value": "acme-v{version}",
        "source": profile,
        "locked": True,
    }
    # Locked without a value in the profile: the default is what is held.
    assert settings["attest"] == {"value": True, "source": "default", "locked": True}
    assert settings["repositories.prod.upload-url"]["locked"] is True
    assert "locked" not in settings["commit"]
    lines = {line.split(" = ")[0]: line for line in out.splitlines()}
    assert lines["tag-format"].endswith(f"# {profile} (locked)")
    assert lines["commit"].endswith("# default")
