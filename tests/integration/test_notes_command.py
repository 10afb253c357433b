"""`releasekit notes` on its short path (releasekit.notes_command): the same output as the
CLI's for projects of every kind in real git repositories, the CLI's answer for whatever
is out of the ordinary, and none of the CLI's imports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import layouts
from layouts import git_init, write
from releasekit import cli
from releasekit.notes_command import run_notes

SETEXT = "Changes\n=======\n\n1.1.0\n-----\n\n- Two.\n\n1.0.0\n-----\n\n- One.\n"


def setext_project(root: Path) -> Path:
    """Tagged ``release-1.0.0``: the tag-format is learned from the tags."""
    write(
        root,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "1.1.0"\n',
            "CHANGES.md": SETEXT,
        },
    )
    return git_init(root, tag="release-1.0.0")


def project(kind: str, root: Path) -> Path:
    if kind == "setext":
        return setext_project(root)
    return git_init(layouts.copy_project(kind, root))


def cli_run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "kind", ["setext", "changelog-md-headings", "changelog-rst-headings", "scriv", "poetry"]
)
@pytest.mark.parametrize("extra", [[], ["--json"], ["-q"], ["--json", "1.0.0"]])
def test_the_short_path_prints_what_the_cli_prints(
    kind: str, extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(kind, tmp_path / kind)
    argv = ["--project", str(root), "notes", *extra]
    expected = cli_run(capsys, argv)

    code = run_notes(argv)

    assert (code, *capsys.readouterr()) == expected


def test_the_tag_follows_the_tags_already_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = setext_project(tmp_path)

    assert run_notes(["--project", str(root), "notes", "--json"]) == 0

    summary = json.loads(capsys.readouterr().out)
    assert (summary["tag"], summary["heading"], summary["notes"]) == (
        "release-1.1.0",
        "1.1.0",
        "- Two.\n",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["notes", "--bogus"],  # a usage error
        ["-qh", "notes"],  # help, asked for in a bundle of short flags
        ["--hel", "notes"],  # or by an abbreviation argparse accepts
        ["notes", "-vh"],
        ["-v", "notes"],  # every git command on stderr: the CLI's runner
        ["notes", "--package", "."],
        ["version"],
    ],
)
def test_whatever_is_out_of_the_ordinary_goes_to_the_cli(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = setext_project(tmp_path)

    assert run_notes(["--project", str(root), *argv]) is None
    assert capsys.readouterr() == ("", "")


def test_a_monorepo_goes_to_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.releasekit]\npackages = ["packages/*"]\n',
            "packages/a/pyproject.toml": '[project]\nname = "a"\nversion = "1.0.0"\n',
            "packages/a/CHANGELOG.md": "## 1.0.0\n\n- A.\n",
        },
    )
    git_init(tmp_path)

    assert run_notes(["--project", str(tmp_path), "notes"]) is None
    assert capsys.readouterr() == ("", "")


def test_the_command_imports_neither_the_cli_nor_the_build_machinery(tmp_path: Path) -> None:
    root = setext_project(tmp_path)
    script = (
        "import sys; from releasekit.__main__ import main; code = main(); "
        "print(sorted(m for m in sys.modules if m.startswith('releasekit')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "notes", "1.0.0"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    printed, modules = done.stdout.rsplit("\n", 2)[:2]
    assert printed == "- One."
    loaded = set(json.loads(modules.replace("'", '"')))
    assert "releasekit.notes_command" in loaded
    assert not loaded & {"releasekit.cli", "releasekit.buildenv", "releasekit.setup_files"}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_it_reads_ends_it_as_the_cli_does(signum: int, tmp_path: Path) -> None:
    # git that hangs: the signal comes while the short path reads the tags.
    root = setext_project(tmp_path / "project")
    shim = tmp_path / "bin"
    shim.mkdir()
    started = tmp_path / "git-started"
    (shim / "git").write_text(f"#!/bin/sh\ntouch {started}\nexec sleep 30\n")
    (shim / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "releasekit", "notes"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(300):
        if started.exists():
            break
        time.sleep(0.05)
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)

    expected = (143, "terminated (SIGTERM)") if signum == signal.SIGTERM else (130, "interrupted")
    assert (process.returncode, out, err) == (expected[0], "", f"releasekit: {expected[1]}\n")


def test_an_error_after_the_build_backend_was_asked_is_reported_without_asking_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No file holds the version: the backend is asked (once, announced on stderr); an
    # error after that is the CLI's error, without the CLI asking the backend again.
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "demo"\ndynamic = ["version"]\n',
            "CHANGELOG.md": "# Changes\n\n## 1.1.0\n\n- Two.\n",
        },
    )
    git_init(tmp_path)
    argv = ["--project", str(tmp_path), "notes", "9.9"]
    cli_run(capsys, argv)  # the backend's environment made (and announced) once
    expected = cli_run(capsys, argv)

    code = run_notes(argv)

    assert (code, *capsys.readouterr()) == expected
    assert expected[0] == 4
    assert expected[2].count("Asking the build backend") == 1
