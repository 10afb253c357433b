"""The fixture projects of tests/projects/, copied into a test's directory.

Each directory there is a small project you can open and build as it is: bump-version's
own layouts (one per way of keeping the version), the corpus of layouts modelled on real
PyPI projects (each README says which project it follows) and fixtures of single tests.
``copy_project`` copies one and, where a test needs it, makes it a git repository with
its last release tagged and a commit on top.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

PROJECTS = Path(__file__).parent / "projects"

# bump-version's own layouts: no README of their own (``with_readme`` adds one).
LAYOUTS = (
    "static",
    "poetry",
    "setuptools-attr",
    "hatch-path",
    "setuptools-file",
    "pdm-file",
    "flit",
    "hatch-vcs",
    "extra-file-changelog",
)
# Versioned by git tags only: a copy is a repository with the release tagged and a commit
# on top, or it would have no version at all.
TAGGED_WHEN_COPIED = {"hatch-vcs": "v1.2.3"}
# The corpus: layouts modelled on real PyPI projects (each README says which), every one
# released end to end by tests/integration/test_corpus.py. The other directories are
# fixtures of particular tests.
CORPUS = (
    "c-extension",
    "changelog-md-headings",
    "changelog-rst-headings",
    "flat-stale-version",
    "flit-reexport",
    "flit-static-changes-md",
    "flit-static-with-comment",
    "flit-version-info-namedtuple",
    "flit4-dynamic",
    "hatch-path-flat",
    "hatch-path-readme-table",
    "hatch-vcs-fancy-readme",
    "hatch-vcs-inline-readme",
    "hatch-vcs-version-file",
    "namespace-package",
    "pdm-scm",
    "pdm-static-no-changelog",
    "pdm-static-package-version",
    "poetry-package-version",
    "poetry-pep621",
    "poetry-src-towncrier",
    "scikit-build-header-version",
    "scriv",
    "setup-cfg-attr",
    "setup-cfg-attr-module",
    "setup-cfg-file",
    "setup-cfg-literal",
    "setup-cfg-no-content-type",
    "setup-py-about",
    "setup-py-imported-version",
    "setup-py-imports-package",
    "setup-py-literal",
    "setup-py-no-content-type",
    "setup-py-variable",
    "setup-py-versioneer",
    "setuptools-attr-version-info",
    "setuptools-attr-version-strings",
    "setuptools-git-versioning",
    "setuptools-scm-license-expression",
    "setuptools-scm-module",
    "setuptools-scm-version-file",
    "setuptools-scm-write-to",
    "towncrier",
    "with-dependencies",
)
# What "with-dependencies" imports, and no target index carries.
DEPENDENCY = "rk-corpus-dep"
# A Keep a Changelog file with an Unreleased section, the one extra-file-changelog has.
CHANGELOG = (PROJECTS / "extra-file-changelog" / "CHANGELOG.md").read_text(encoding="utf-8")


def copy_project(name: str, root: Path) -> Path:
    """The fixture project ``name`` copied into ``root`` (made if missing)."""
    # Never what a run in place may have left there (byte code).
    shutil.copytree(
        PROJECTS / name, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    if name in TAGGED_WHEN_COPIED:
        commit_on_top(git_init(root, tag=TAGGED_WHEN_COPIED[name]))
    return root


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


def commit_on_top(root: Path) -> Path:
    """A commit after the last release's tag, as a project has when it bumps."""
    write(root, {"docs/work.txt": "Work since the last release.\n"})
    subprocess.run(["git", "add", "--all"], cwd=root, check=True)
    subprocess.run(["git", "commit", "--quiet", "-m", "Work"], cwd=root, check=True)
    return root
