"""The command line's habits, as twine's, uv's and git's users expect them: -q and -v,
colour on a terminal only, "did you mean", and a quiet end when the reader of stdout goes
away."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from layouts import write
from releasekit import render
from releasekit.cli import main
from releasekit.errors import ExitCode


def project(root: Path, *, git: bool = False) -> Path:
    write(root, {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.0.0"\n'})
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_a_mistyped_command_names_the_one_meant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publsh"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "invalid choice: 'publsh' (did you mean 'publish'?)" in err
    assert err.startswith("releasekit: error: argument COMMAND:")  # "releasekit:" once


def test_a_mistyped_choice_names_the_one_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--installer", "pipp", "--project", str(tmp_path)]) == ExitCode.USAGE
    assert "(did you mean 'pip'?)" in capsys.readouterr().err


def test_a_mistyped_part_names_the_one_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    assert main(["bump-version", "minr", "--project", str(root)]) == ExitCode.USAGE
    assert "'minr' is neither a version part nor a version (did you mean 'minor'?)" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_prints_errors_only(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    root = project(tmp_path)
    monkeypatch.setenv("RELEASEKIT_HELLO", "1")  # a warning, silenced by -q
    command = ["bump-version", "patch", "--project", str(root)]
    argv = ["-q", *command] if where == "before" else [*command, "-q"]
    assert main(argv) == ExitCode.OK
    assert capsys.readouterr() == ("", "")
    assert 'version = "1.0.1"' in (root / "pyproject.toml").read_text()
    assert main(["bump-version", "patch", "--project", str(root), "--tag-format", "x", "-q"]) == (
        ExitCode.CONFIG
    )
    assert "releasekit: error:" in capsys.readouterr().err


def test_quiet_still_prints_what_a_query_asks_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["version", "-q", "--project", str(project(tmp_path))]) == ExitCode.OK
    assert capsys.readouterr() == ("1.0.0\n", "")


def test_verbose_shows_each_command_a_step_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, git=True)
    assert main(["config", "--show", "--project", str(root)]) == ExitCode.OK
    assert "$ git" not in capsys.readouterr().err
    assert main(["-v", "config", "--show", "--project", str(root)]) == ExitCode.OK
    assert "$ git tag --merged HEAD --list" in capsys.readouterr().err


def test_quiet_and_verbose_together_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["version", "-q", "-v", "--project", str(project(tmp_path))]) == ExitCode.USAGE


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "stream", "coloured"),
    [
        ({}, Terminal(), True),
        ({}, io.StringIO(), False),
        ({"NO_COLOR": "1"}, Terminal(), False),
        ({"FORCE_COLOR": "1"}, io.StringIO(), True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, io.StringIO(), False),
        ({"TERM": "dumb"}, Terminal(), False),
    ],
)
def test_colour_on_a_terminal_off_with_no_color_forced_with_force_color(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], stream: io.StringIO, coloured: bool
) -> None:
    for variable in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    text = "check demo 1.0 for test:\n  ok: twine check\n  warning: no changelog"
    painted = render.paint(text, stream)
    if coloured:
        assert "  \x1b[32mok\x1b[0m: twine check" in painted
        assert "  \x1b[33mwarning\x1b[0m: no changelog" in painted
    else:
        assert painted == text


def test_errors_are_red_with_force_color(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["version", "--project", str(tmp_path / "missing")]) == ExitCode.PROJECT
    assert capsys.readouterr().err.startswith("releasekit: \x1b[31merror\x1b[0m: ")


def test_nox_and_invoke_take_the_same_quiet_verbose_and_files() -> None:
    from releasekit.commands import parse_command
    from releasekit.invoke import release_tasks

    args = parse_command("upload-test", ["dist/a.whl", "-q"], usage="nox -s upload-test --")
    assert (args.quiet, args.files) == (True, [Path("dist/a.whl")])
    assert parse_command("build", ["-v"], usage="nox -s build --").verbose
    names = {n for a in release_tasks["upload-test"].get_arguments() for n in a.names}
    assert {"quiet", "q", "verbose", "v", "files"} <= names


def test_verbose_shows_each_request_to_an_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from index_servers import free_port

    root = project(tmp_path, git=True)
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens: one attempt, then exit 13
    assert main(["plan", "--project", str(root), "--repository-url", url]) == ExitCode.INDEX
    assert "connectionpool" not in capsys.readouterr().err
    assert main(["plan", "-v", "--project", str(root), "--repository-url", url]) == (ExitCode.INDEX)
    host = url.removeprefix("http://").rstrip("/")
    assert f"urllib3.connectionpool: Starting new HTTP connection (1): {host}" in (
        capsys.readouterr().err
    )


def test_config_show_says_prod_is_production_as_release_treats_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    write(
        root,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.0.0"\n'
            "[tool.releasekit.repositories.prod]\n"
            'upload-url = "https://pypi.example.org/upload/"\n'
            'index-url = "https://pypi.example.org/simple/"\n'
        },
    )

    assert main(["config", "--show", "--project", str(root)]) == ExitCode.OK
    shown = {
        line.split("=")[0].strip(): line.split("=", 1)[1].split("#")[0].strip()
        for line in capsys.readouterr().out.splitlines()
        if "=" in line
    }
    assert shown["repositories.prod.production"] == "true"
    assert shown["repositories.test.production"] == "false"


def test_plan_outside_any_project_says_its_own_error_not_a_package_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--project", str(tmp_path)]) == ExitCode.PROJECT
    err = capsys.readouterr().err
    assert err.startswith(
        f"releasekit: error: No pyproject.toml, setup.cfg or setup.py in {tmp_path}"
    )
    assert "package(s) failed" not in err
