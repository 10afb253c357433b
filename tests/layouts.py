"""Example projects, one per way of keeping the version, written into a directory."""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

CHANGELOG = """\
# Changelog

All notable changes to this project are documented here.

## [Unreleased]

### Added
- A feature nobody asked for.

## [1.2.3] - 2024-05-01

### Fixed
- Everything.

[Unreleased]: https://github.com/acme/demo/compare/v1.2.3...HEAD
[1.2.3]: https://github.com/acme/demo/compare/v1.2.2...v1.2.3
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def with_readme(root: Path) -> Path:
    """A README.md, declared as the project's readme (twine check --strict wants one)."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    text = re.sub(r"^(name = .*)$", r'\1\nreadme = "README.md"', text, count=1, flags=re.M)
    return write(root, {"pyproject.toml": text, "README.md": "# Demo\n\nA demo project.\n"})


def git_init(root: Path, *, tag: str | None = None) -> Path:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "--quiet", "--initial-branch=main")
    git("add", "--all")
    git("commit", "--quiet", "-m", "Initial commit")
    if tag:
        git("tag", "--annotate", "-m", f"Release {tag}", tag)
    return root


def static_pep621(root: Path) -> Path:
    return write(
        root,
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "Demo_Static"
            # The version below is bumped by releasekit.
            version = '1.2.3'   # single quotes on purpose
            dependencies = ["packaging>=24"]

            [tool.hatch.build.targets.wheel]
            packages = ["src/demo_static"]
            """,
            "src/demo_static/__init__.py": '"""Demo."""\n',
        },
    )


def poetry(root: Path) -> Path:
    return write(
        root,
        {
            "pyproject.toml": """\
            [tool.poetry]
            name = "demo-poetry"
            version = "1.2.3"
            description = ""
            authors = ["A <a@example.invalid>"]

            [tool.poetry.dependencies]
            python = "^3.10"

            [build-system]
            requires = ["poetry-core"]
            build-backend = "poetry.core.masonry.api"
            """,
            "demo_poetry/__init__.py": "",
        },
    )


def setuptools_attr(root: Path) -> Path:
    return write(
        root,
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "demo.attr"
            dynamic = ["version"]

            [tool.setuptools.dynamic]
            version = {attr = "demo_attr.__version__"}
            """,
            "src/demo_attr/__init__.py": '"""Demo."""\n\n__version__ = "1.2.3"\nOTHER = "1.2.3"\n',
        },
    )


def hatch_path(root: Path) -> Path:
    return write(
        root,
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "demo-hatch"
            dynamic = ["version"]

            [tool.hatch.version]
            path = "src/demo_hatch/__about__.py"
            """,
            "src/demo_hatch/__init__.py": "",
            "src/demo_hatch/__about__.py": '# SPDX\n__version__ = "1.2.3"\n',
        },
    )


def flit(root: Path) -> Path:
    return write(
        root,
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["flit_core>=3.4"]
            build-backend = "flit_core.buildapi"

            [project]
            name = "demo-flit"
            dynamic = ["version", "description"]
            """,
            "demo_flit.py": '"""A flit module."""\n\n__version__ = "1.2.3"\n',
        },
    )


def setuptools_file(root: Path) -> Path:
    return write(
        root,
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "demo-file"
            dynamic = ["version"]

            [tool.setuptools.dynamic]
            version = {file = "VERSION"}
            """,
            "VERSION": "1.2.3\n",
        },
    )


def pdm_file(root: Path) -> Path:
    return write(
        root,
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["pdm-backend"]
            build-backend = "pdm.backend"

            [project]
            name = "demo-pdm"
            dynamic = ["version"]

            [tool.pdm.version]
            source = "file"
            path = "src/demo_pdm/__init__.py"
            """,
            "src/demo_pdm/__init__.py": '__version__ = "1.2.3"\n',
        },
    )


def hatch_vcs(root: Path) -> Path:
    write(
        root,
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["hatchling", "hatch-vcs"]
            build-backend = "hatchling.build"

            [project]
            name = "demo-vcs"
            dynamic = ["version"]

            [tool.hatch.version]
            source = "vcs"
            """,
            "src/demo_vcs/__init__.py": "",
        },
    )
    return commit_on_top(git_init(root, tag="v1.2.3"))


def commit_on_top(root: Path) -> Path:
    """A commit after the last release's tag, as a project has when it bumps."""
    write(root, {"docs/work.txt": "Work since the last release.\n"})
    subprocess.run(["git", "add", "--all"], cwd=root, check=True)
    subprocess.run(["git", "commit", "--quiet", "-m", "Work"], cwd=root, check=True)
    return root


def extra_file_and_changelog(root: Path) -> Path:
    static_pep621(root)
    return write(
        root,
        {
            "pyproject.toml": (root / "pyproject.toml").read_text()
            + '\n[tool.releasekit]\nversion-files = ["src/demo_static/_version.py",'
            ' {path = "docs/conf.py", pattern = "release = \'{version}\'"}]\n',
            "src/demo_static/_version.py": 'version = "1.2.3"\n',
            "docs/conf.py": "project = 'demo'\nrelease = '1.2.3'\nversion = '1.2'\n",
            "CHANGELOG.md": CHANGELOG,
        },
    )


LAYOUTS = {
    "static": static_pep621,
    "poetry": poetry,
    "setuptools-attr": setuptools_attr,
    "hatch-path": hatch_path,
    "setuptools-file": setuptools_file,
    "pdm-file": pdm_file,
    "flit": flit,
    "hatch-vcs": hatch_vcs,
    "extra-file-changelog": extra_file_and_changelog,
}
