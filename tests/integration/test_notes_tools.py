"""`releasekit notes` on changelogs the real towncrier and scriv wrote (installed by the
test extra), from fragments, in a git repository, as a release would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import layouts
from layouts import git_init, write
from releasekit import cli

BIN = Path(sys.executable).parent


def notes(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    code = cli.main(["--project", str(root), "notes", *args])
    return code, capsys.readouterr().out


def tool(name: str, root: Path, *args: str) -> None:
    subprocess.run([str(BIN / name), *args], cwd=root, check=True, capture_output=True, timeout=60)


def test_reads_what_towncrier_writes_in_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = git_init(layouts.copy_project("towncrier", tmp_path / "towncrier"))
    tool("towncrier", root, "build", "--version", "1.3.0", "--date", "2026-01-02", "--yes")

    code, out = notes(capsys, root, "1.3.0")

    assert code == 0
    assert "Frobnicate the widgets." in out
    assert "Older things" not in out
    assert "1.3.0" not in out  # the heading is the release's title, not its notes


def test_reads_what_towncrier_writes_in_restructuredtext(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "rk-tc"\nversion = "1.3.0"\n\n'
            '[tool.towncrier]\nname = "rk-tc"\ndirectory = "changelog.d"\n'
            'filename = "NEWS.rst"\n',
            "NEWS.rst": ".. towncrier release notes start\n\n"
            "rk-tc 1.2.0 (2025-01-01)\n========================\n\n- Older things.\n",
            "changelog.d/7.bugfix.rst": "Mend the frobnicator.\n",
        },
    )
    root = git_init(tmp_path)
    tool("towncrier", root, "build", "--version", "1.3.0", "--date", "2026-01-02", "--yes")

    code, out = notes(capsys, root, "--json")

    summary = json.loads(out)
    assert code == 0
    assert summary["heading"] == "rk-tc 1.3.0 (2026-01-02)"
    assert "Mend the frobnicator. (#7)" in summary["notes"]
    assert "Older things" not in summary["notes"]


@pytest.mark.parametrize("fmt", ["md", "rst"])
def test_reads_what_scriv_collects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "rk-scriv"\nversion = "1.3.0"\n\n'
            f'[tool.scriv]\nformat = "{fmt}"\nversion = "1.3.0"\n',
            "changelog.d/.keep": "",
        },
    )
    root = git_init(tmp_path)
    fragment = "### Added\n\n- {}\n" if fmt == "md" else "Added\n-----\n\n- {}\n"
    for version, entry in (("1.2.0", "An older thing."), ("1.3.0", "A new thing.")):
        (root / "changelog.d" / f"{version}.{fmt}").write_text(
            fragment.format(entry), encoding="utf-8"
        )
        tool("scriv", root, "collect", "--version", version)

    code, out = notes(capsys, root)

    assert code == 0
    assert "A new thing." in out
    assert "An older thing." not in out
    assert "<a id=" not in out
