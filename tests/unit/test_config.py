"""Layered configuration: defaults < profile < project < --config < env < flags."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from layouts import write
from releasekit.cli import main
from releasekit.config import ReleaseConfig, load_config
from releasekit.errors import ConfigError, ExitCode


def project(root: Path, table: str = "") -> Path:
    return write(
        root,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.0.0"\n\n'
            "[tool.releasekit]\n" + table,
        },
    )


def install_profile(site: Path, name: str, body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real installed distribution exposing a profile in group releasekit.profiles."""
    module = f"{name}_conventions"
    write(
        site,
        {
            f"{module}.py": body,
            f"{module}-1.0.dist-info/METADATA": (
                f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n"
            ),
            f"{module}-1.0.dist-info/entry_points.txt": (
                f"[releasekit.profiles]\n{name} = {module}:PROFILE\n"
            ),
        },
    )
    monkeypatch.syspath_prepend(str(site))
    import importlib

    importlib.invalidate_caches()


def test_defaults_are_the_dataclass_defaults(tmp_path: Path) -> None:
    config = load_config(project(tmp_path), env={})
    assert config == ReleaseConfig()
    assert config.repositories["prod"].upload_url == "https://upload.pypi.org/legacy/"
    assert config.repositories["test"].token_env == "TEST_PYPI_TOKEN"


def test_layers_override_in_order_and_record_their_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_profile(
        tmp_path / "site",
        "acme",
        (
            "PROFILE = {'tag-format': 'release-{version}', 'commit-message': 'acme {version}',"
            " 'release-branches': ['main', 'release/*'], 'allow-dirty': True,"
            " 'repositories': {'internal': {'upload-url': 'https://pkgs.acme.invalid/upload/',"
            " 'index-url': 'https://pkgs.acme.invalid/simple/'}}}\n"
        ),
        monkeypatch,
    )
    root = project(
        tmp_path / "p",
        'extends = "acme"\ncommit-message = "project {version}"\n'
        'tag-message = "project tag {version}"\n'
        '[tool.releasekit.repositories.internal]\ntoken-env = "ACME_TOKEN"\n',
    )
    extra = write(
        tmp_path,
        {"ci.toml": 'tag-message = "file {version}"\nchangelog-heading = "## {version}"\n'},
    )
    config = load_config(
        root,
        config_file=extra / "ci.toml",
        env={"RELEASEKIT_CHANGELOG_HEADING": "### {version} ({date})", "RELEASEKIT_COMMIT": "0"},
        overrides={"allow-dirty": False, "tag": None},
    )
    assert config.tag_format == "release-{version}"  # profile
    assert config.commit_message == "project {version}"  # project over profile
    assert config.tag_message == "file {version}"  # --config over project
    assert config.changelog_heading == "### {version} ({date})"  # env over --config
    assert config.commit is False  # env
    assert config.allow_dirty is False  # flag over profile
    assert config.tag is True  # a flag that was not given overrides nothing
    assert config.release_branches == ("main", "release/*")
    internal = config.repository("internal")
    assert (internal.upload_url, internal.token_env) == (
        "https://pkgs.acme.invalid/upload/",
        "ACME_TOKEN",
    )
    assert "profile 'acme'" in config.sources["tag-format"]
    assert config.sources["commit-message"].endswith("[tool.releasekit]")
    assert config.sources["tag-message"].endswith("ci.toml")
    assert config.sources["changelog-heading"] == "environment"
    assert config.sources["allow-dirty"] == "command line"
    assert config.sources["repositories.internal.token-env"].endswith("[tool.releasekit]")


def test_profile_from_a_toml_file_may_extend_another(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "profiles/base.toml": 'tag-format = "base-{version}"\ncommit = false\n',
            "profiles/team.toml": '[tool.releasekit]\nextends = "base.toml"\ncommit = true\n',
        },
    )
    config = load_config(project(tmp_path / "p", 'extends = "../profiles/team.toml"\n'), env={})
    assert (config.tag_format, config.commit) == ("base-{version}", True)


def test_profile_cycle_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'})
    with pytest.raises(ConfigError, match=r"cycle: a.toml -> b.toml -> a.toml"):
        load_config(project(tmp_path / "p", 'extends = "../a.toml"\n'), env={})


def test_unknown_profile_names_what_is_installed(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="no installed package provides the releasekit profile 'nope'"
    ):
        load_config(project(tmp_path, 'extends = "nope"\n'), env={})


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'tag_format = "v{version}"\n',
            r"unknown key 'tag_format' \(did you mean 'tag-format'\?\)",
        ),
        (
            "frobnicate = 1\n",
            r"unknown key 'frobnicate'.*Known keys: allow-dev-to-prod, allow-dirty",
        ),
        ("commit = 'yes'\n", r"key 'commit' must be true or false, got 'yes'"),
        ('tag-format = "v"\n', r"key 'tag-format' must be a string with \{version\}"),
        ('tag-format = "{version}-{branch}"\n', r"no other fields than \{name\}, \{version\}"),
        ("release-branches = 'main'\n", r"key 'release-branches' must be a list of strings"),
        (
            "[tool.releasekit.build]\ninstaller = 'conda'\n",
            r"key 'build.installer' must be one of 'auto', 'pip', 'uv', got 'conda'",
        ),
        ("[tool.releasekit.build]\nfast = true\n", r"unknown key 'build.fast'"),
        (
            "[tool.releasekit.repositories.x]\nupload-url = 'ftp://x'\nindex-url = 'https://x'\n",
            r"key 'repositories.x.upload-url' must be an http\(s\):// URL",
        ),
        (
            "[tool.releasekit.repositories.x]\nupload-url = 'https://x/'\n",
            r"repository 'x' has no index-url",
        ),
        (
            "[tool.releasekit.repositories.x]\nupload_url = 'https://x/'\n",
            r"unknown key 'repositories.x.upload_url'",
        ),
        (
            "version-files = [{path = 'a.py', pattern = 'no placeholder'}]\n",
            r"key 'version-files' must be a list of paths or of tables",
        ),
    ],
)
def test_bad_keys_and_values_name_the_key_and_the_file(
    tmp_path: Path, table: str, message: str
) -> None:
    root = project(tmp_path, table)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(root, env={})
    assert str(root / "pyproject.toml") in info.value.message


def test_unknown_environment_variable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="RELEASEKIT_TAGFORMAT is not a releasekit setting"):
        load_config(project(tmp_path), env={"RELEASEKIT_TAGFORMAT": "x"})


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="environment variable RELEASEKIT_ALLOW_DIRTY"):
        load_config(project(tmp_path), env={"RELEASEKIT_ALLOW_DIRTY": "maybe"})


def test_config_error_through_the_cli_is_one_paragraph_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, "tag-fromat = 'v{version}'\n")
    assert main(["version", "--project", str(root)]) == ExitCode.CONFIG
    err = capsys.readouterr().err
    assert "unknown key 'tag-fromat'" in err
    assert "Traceback" not in err


def test_invalid_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project\n"})
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(tmp_path, env={})


def test_command_line_module_runs(tmp_path: Path) -> None:
    import subprocess

    root = project(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "releasekit", "version", "--project", str(root)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == "1.0.0\n"


def test_dependencies_index_defaults_to_pypi_for_testpypi_and_the_target_otherwise(
    tmp_path: Path,
) -> None:
    from releasekit.targets import dependencies_index

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n\n'
        "[tool.releasekit.repositories.private]\n"
        'upload-url = "https://pkgs.example.invalid/upload/"\n'
        'index-url = "https://pkgs.example.invalid/simple/"\n\n'
        "[tool.releasekit.repositories.mirrored]\n"
        'upload-url = "https://pkgs.example.invalid/upload/"\n'
        'index-url = "https://pkgs.example.invalid/simple/"\n'
        'dependencies-index-url = "https://mirror.example.invalid/simple/"\n'
    )
    config = load_config(tmp_path, env={})

    assert dependencies_index(config.repository("test"), config) == "https://pypi.org/simple/"
    assert dependencies_index(config.repository("prod"), config) == "https://pypi.org/simple/"
    assert (
        dependencies_index(config.repository("private"), config)
        == "https://pkgs.example.invalid/simple/"
    )
    assert (
        dependencies_index(config.repository("mirrored"), config)
        == "https://mirror.example.invalid/simple/"
    )


@pytest.mark.parametrize(
    ("url", "here"),
    [
        ("http://127.0.0.1:8080/", True),
        ("http://127.0.0.2/", True),
        ("http://[::1]:3141/root/dev/", True),
        ("http://localhost:8080/", True),
        ("https://upload.pypi.org/legacy/", False),
        ("https://pkgs.example.invalid/upload/", False),
        ("http://10.0.0.5:8080/", False),
    ],
)
def test_upload_jobs_auto_is_one_for_an_index_on_this_machine_else_four(
    tmp_path: Path, url: str, here: bool
) -> None:
    from releasekit.steps.upload import upload_jobs

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n\n'
        f"[tool.releasekit.repositories.x]\nupload-url = {url!r}\nindex-url = {url!r}\n"
    )
    auto = load_config(tmp_path, env={})
    repository = auto.repository("x")
    assert repository.on_this_machine is here
    assert auto.upload_jobs == "auto"
    assert upload_jobs(auto, repository) == (1 if here else 4)
    # A number always wins, from any layer.
    assert upload_jobs(load_config(tmp_path, env={"RELEASEKIT_UPLOAD_JOBS": "6"}), repository) == 6
    assert upload_jobs(
        load_config(tmp_path, env={"RELEASEKIT_UPLOAD_JOBS": "auto"}), repository
    ) == (1 if here else 4)


def test_upload_jobs_out_of_range_says_what_is_allowed(tmp_path: Path) -> None:
    root = project(tmp_path, "[tool.releasekit.upload]\njobs = 0\n")
    with pytest.raises(ConfigError, match=r"'upload.jobs' must be \"auto\" or a whole number"):
        load_config(root, env={})


def test_every_bad_key_of_a_table_is_reported_at_once(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "commit = 'yes'\ntag_format = 'v{version}'\n[tool.releasekit.upload]\njobs = 99\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(root, env={})
    message = info.value.message
    assert message.startswith(f"{root / 'pyproject.toml'} [tool.releasekit]: 3 problems: ")
    assert "key 'commit' must be true or false, got 'yes'" in message
    assert "unknown key 'tag_format'" in message
    assert "key 'upload.jobs' must be \"auto\" or a whole number from 1 to 32, got 99" in message
    assert info.value.hint.startswith("Fix each of them in ")
    assert "unknown key 'tag_format' (did you mean 'tag-format'?)" in message


def test_a_mistyped_key_names_the_key_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(
        tmp_path, "tag-fromat = 'v{version}'\n[tool.releasekit.build]\ninstaler = 'uv'\n"
    )
    assert main(["version", "--project", str(root)]) == ExitCode.CONFIG
    err = capsys.readouterr().err
    assert "unknown key 'tag-fromat' (did you mean 'tag-format'?)" in err
    assert "unknown key 'build.instaler' (did you mean 'build.installer'?)" in err
    assert "Known keys" not in err  # the one meant, not a list of forty


def test_a_mistyped_repository_field_names_the_field_meant(tmp_path: Path) -> None:
    root = project(tmp_path, "[tool.releasekit.repositories.corp]\nupload-ulr = 'https://x/'\n")
    with pytest.raises(ConfigError, match=r"did you mean 'repositories.corp.upload-url'\?"):
        load_config(root, env={})


def test_an_unknown_environment_variable_is_a_warning(tmp_path: Path) -> None:
    config = load_config(project(tmp_path), env={"RELEASEKIT_HELLO": "1"})
    assert config.warnings == (
        "the environment variable RELEASEKIT_HELLO is not a releasekit setting and is ignored "
        "(the settings: the Configuration section of the README)",
    )


def test_a_near_miss_of_a_setting_variable_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"did you mean RELEASEKIT_TAG_FORMAT\?"):
        load_config(project(tmp_path), env={"RELEASEKIT_TAG_FROMAT": "v{version}"})


def test_the_readmes_corpus_variable_stops_nothing_and_warns_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASEKIT_CORPUS_DIR", str(tmp_path / "corpus"))
    assert main(["version", "--project", str(project(tmp_path))]) == ExitCode.OK
    assert capsys.readouterr().err == ""


def test_an_unknown_repository_name_suggests_the_one_meant(tmp_path: Path) -> None:
    config = load_config(project(tmp_path), env={})
    with pytest.raises(ConfigError, match=r"no repository named 'prdo' \(did you mean 'prod'\?\)"):
        config.repository("prdo")


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
