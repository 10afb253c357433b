"""Running releasekit on a fixture project from tests/projects/ and reading what it left."""

from __future__ import annotations

from pathlib import Path

import pytest

from layouts import copy_project
from releasekit.cli import main

Capsys = pytest.CaptureFixture[str]


def copy(name: str, tmp_path: Path) -> Path:
    """The fixture project ``name`` in ``tmp_path / name``."""
    return copy_project(name, tmp_path / name)


def run(capsys: Capsys, root: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--project", str(root)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (git's own aside) and its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }
