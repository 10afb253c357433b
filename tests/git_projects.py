"""A minimal project in a fresh git checkout, for the trusted-publishing tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_project(
    root: Path,
    *,
    name: str = "Example.Pkg",
    remote: str | None = "https://github.com/acme/widgets.git",
) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "1.0.0"\n', encoding="utf-8"
    )
    (root / ".gitignore").write_text("dist/\n", encoding="utf-8")
    subprocess.run(["git", "init", "--quiet", str(root)], check=True)
    if remote:
        subprocess.run(["git", "-C", str(root), "remote", "add", "origin", remote], check=True)
    return root
