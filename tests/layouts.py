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


# --- the corpus: layouts modelled on real PyPI projects -----------------------------------

README = "# {name}\n\nA project modelled on a real one, for releasekit's tests.\n"
# Inside setup(...) of the templates below, indented as they are (16 spaces).
SETUP_PY_README = (
    'long_description=open("README.md", encoding="utf-8").read(),\n'
    + " " * 16
    + 'long_description_content_type="text/markdown",'
)


def _project(root: Path, name: str, files: dict[str, str]) -> Path:
    return write(root, {"README.md": README.format(name=name), ".gitignore": "/dist/\n", **files})


def setup_cfg_attr(root: Path) -> Path:
    """cachetools: setup.cfg metadata, ``version = attr:``, src layout."""
    return _project(
        root,
        "rk-cachetools",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"
            """,
            "setup.cfg": """\
            [metadata]
            name = rk-cachetools
            version = attr: rk_cachetools.__version__
            description = Extensible memoizing collections
            long_description = file: README.md
            long_description_content_type = text/markdown

            [options]
            package_dir =
                = src
            packages = find:

            [options.packages.find]
            where = src
            """,
            "src/rk_cachetools/__init__.py": '"""Caches."""\n\n__version__ = "1.2.3"\n',
        },
    )


def setup_cfg_literal(root: Path) -> Path:
    """An older setuptools project: the version a literal in setup.cfg, a bare setup.py,
    and a ``__version__`` of its own in the (flat) package."""
    return _project(
        root,
        "rk-cfg-literal",
        {
            "setup.py": "from setuptools import setup\n\nsetup()\n",
            "setup.cfg": """\
            [metadata]
            name = rk-cfg-literal
            version = 1.2.3
            long_description = file: README.md
            long_description_content_type = text/markdown

            [options]
            packages = rk_cfg_literal
            """,
            "rk_cfg_literal/__init__.py": '__version__ = "1.2.3"\n',
        },
    )


def setup_cfg_file(root: Path) -> Path:
    """``version = file: VERSION.txt`` in setup.cfg."""
    return _project(
        root,
        "rk-cfg-file",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"
            """,
            "setup.cfg": """\
            [metadata]
            name = rk-cfg-file
            version = file: VERSION.txt
            long_description = file: README.md
            long_description_content_type = text/markdown

            [options]
            py_modules = rk_cfg_file
            """,
            "VERSION.txt": "1.2.3\n",
            "rk_cfg_file.py": '"""A module."""\n',
            "MANIFEST.in": "include VERSION.txt\n",
        },
    )


def setup_py_literal(root: Path) -> Path:
    """six: only a setup.py, ``setup(name=..., version="...")``, one module."""
    return _project(
        root,
        "rk-six",
        {
            "setup.py": f"""\
            from setuptools import setup

            setup(
                name="rk-six",
                version="1.2.3",
                py_modules=["rk_six"],
                {SETUP_PY_README}
            )
            """,
            "rk_six.py": '"""Python 2 and 3 compatibility."""\n\n__version__ = "1.2.3"\n',
        },
    )


def setup_py_variable(root: Path) -> Path:
    """``VERSION = "..."`` in setup.py, passed as ``setup(version=VERSION)``."""
    return _project(
        root,
        "rk-setup-variable",
        {
            "setup.py": f"""\
            from setuptools import setup

            NAME = "rk-setup-variable"
            VERSION = "1.2.3"

            setup(
                name=NAME,
                version=VERSION,
                py_modules=["rk_setup_variable"],
                {SETUP_PY_README}
            )
            """,
            "rk_setup_variable.py": '"""A module."""\n',
        },
    )


def setup_py_about(root: Path) -> Path:
    """requests: setup.py execs ``__version__.py`` and reads ``about["__version__"]``."""
    return _project(
        root,
        "rk-requests",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"
            """,
            "setup.py": f"""\
            import os

            from setuptools import setup

            here = os.path.abspath(os.path.dirname(__file__))
            about = {{}}
            path = os.path.join(here, "src", "rk_requests", "__version__.py")
            with open(path, "r", encoding="utf-8") as f:
                exec(f.read(), about)

            setup(
                name=about["__title__"],
                version=about["__version__"],
                package_dir={{"": "src"}},
                packages=["rk_requests"],
                {SETUP_PY_README}
            )
            """,
            "src/rk_requests/__init__.py": "from .__version__ import __title__, __version__\n",
            "src/rk_requests/__version__.py": (
                '__title__ = "rk-requests"\n__version__ = "1.2.3"\n__author__ = "K"\n'
            ),
        },
    )


def flit_reexport(root: Path) -> Path:
    """idna: flit, and ``__init__.py`` re-exports ``__version__`` from package_data."""
    return _project(
        root,
        "rk-idna",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["flit_core>=3.4"]
            build-backend = "flit_core.buildapi"

            [project]
            name = "rk-idna"
            readme = "README.md"
            dynamic = ["version", "description"]

            [tool.flit.module]
            name = "rk_idna"
            """,
            "rk_idna/__init__.py": '"""Internationalized domain names."""\n\n'
            "from .package_data import __version__\n\n__all__ = ['__version__']\n",
            "rk_idna/package_data.py": "__version__ = '1.2.3'\n",
        },
    )


def setuptools_scm_version_file(root: Path) -> Path:
    """pluggy: setuptools-scm writes ``_version.py``; the version comes from the tag."""
    return _project(
        root,
        "rk-pluggy",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["setuptools>=64", "setuptools-scm>=8"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "rk-pluggy"
            readme = "README.md"
            dynamic = ["version"]

            [tool.setuptools_scm]
            version_file = "src/rk_pluggy/_version.py"
            """,
            ".gitignore": "/dist/\n*.egg-info/\n/src/rk_pluggy/_version.py\n",
            "src/rk_pluggy/__init__.py": '"""Plugins."""\n',
        },
    )


def pdm_scm(root: Path) -> Path:
    """pdm-backend with ``source = "scm"``."""
    return _project(
        root,
        "rk-pdm-scm",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["pdm-backend"]
            build-backend = "pdm.backend"

            [project]
            name = "rk-pdm-scm"
            readme = "README.md"
            dynamic = ["version"]

            [tool.pdm.version]
            source = "scm"
            """,
            "src/rk_pdm_scm/__init__.py": "",
        },
    )


def towncrier_fragments(root: Path) -> Path:
    """attrs / pip: towncrier fragments in changelog.d/, a static version."""
    return _project(
        root,
        "rk-towncrier",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "rk-towncrier"
            version = "1.2.3"
            readme = "README.md"

            [tool.towncrier]
            name = "rk-towncrier"
            directory = "changelog.d"
            filename = "CHANGELOG.md"
            start_string = "<!-- towncrier release notes start -->\\n"
            title_format = "## [{version}](https://example.invalid/{version}) - {project_date}"
            issue_format = "#{issue}"
            """,
            "CHANGELOG.md": "# Changelog\n\n<!-- towncrier release notes start -->\n\n"
            "## [1.2.3](https://example.invalid/1.2.3) - 2024-05-01\n\n- Older things.\n",
            "changelog.d/123.feature.md": "Frobnicate the widgets.\n",
            "src/rk_towncrier/__init__.py": "",
        },
    )


def scriv_fragments(root: Path) -> Path:
    """coverage.py / scriv: scriv fragments in changelog.d/, collected at the release."""
    return _project(
        root,
        "rk-scriv",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "rk-scriv"
            version = "1.2.3"
            readme = "README.md"

            [tool.scriv]
            format = "md"
            """,
            "CHANGELOG.md": "# Changelog\n\n<!-- scriv-insert-here -->\n\n"
            "## 1.2.3 - 2024-05-01\n\n- Older things.\n",
            "changelog.d/20241128_120000_dev.md": "### Added\n\n- A new thing.\n",
            "src/rk_scriv/__init__.py": "",
        },
    )


def changelog_md_headings(root: Path) -> Path:
    """httpx: a Markdown changelog with a heading per version, no Unreleased section."""
    return _project(
        root,
        "rk-httpx",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "rk-httpx"
            version = "1.2.3"
            readme = "README.md"
            """,
            "CHANGELOG.md": "# Changelog\n\n## 1.2.3 (28th November, 2024)\n\n- Fixes.\n\n"
            "## 1.2.2 (1st November, 2024)\n\n- Other fixes.\n",
            "src/rk_httpx/__init__.py": "",
        },
    )


def changelog_rst_headings(root: Path) -> Path:
    """flask: flit with a static version, CHANGES.rst with underlined headings."""
    return _project(
        root,
        "rk-flask",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["flit_core<4"]
            build-backend = "flit_core.buildapi"

            [project]
            name = "rk-flask"
            version = "1.2.3"
            description = "A micro framework."
            readme = "README.md"

            [tool.flit.module]
            name = "rk_flask"
            """,
            "CHANGES.rst": "Version 1.2.3\n-------------\n\nReleased 2024-05-01\n\n-   Fixes.\n",
            "rk_flask/__init__.py": "",
        },
    )


def pdm_static(root: Path) -> Path:
    """pdm-backend, a static version and no changelog at all."""
    return _project(
        root,
        "rk-pdm-static",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["pdm-backend"]
            build-backend = "pdm.backend"

            [project]
            name = "rk-pdm-static"
            version = "1.2.3"
            readme = "README.md"
            """,
            "src/rk_pdm_static/__init__.py": "",
        },
    )


DEPENDENCY = "rk-corpus-dep"


def with_dependencies(root: Path) -> Path:
    """A project whose import needs a dependency the target index does not carry."""
    return _project(
        root,
        "rk-withdeps",
        {
            "pyproject.toml": f"""\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "rk-withdeps"
            version = "1.2.3"
            readme = "README.md"
            dependencies = ["{DEPENDENCY}>=1.0"]
            """,
            "src/rk_withdeps/__init__.py": "import rk_corpus_dep  # noqa: F401\n",
        },
    )


def c_extension(root: Path) -> Path:
    """markupsafe: an optional C extension with a pure-Python fallback."""
    return _project(
        root,
        "rk-speedups",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "rk-speedups"
            version = "1.2.3"
            readme = "README.md"

            [tool.setuptools.packages.find]
            where = ["src"]
            """,
            "setup.py": """\
            from setuptools import Extension, setup

            setup(
                ext_modules=[
                    Extension(
                        "rk_speedups._speedups", ["src/rk_speedups/_speedups.c"], optional=True
                    )
                ]
            )
            """,
            "src/rk_speedups/__init__.py": '__version__ = "1.2.3"\n\n'
            "try:\n    from ._speedups import answer\nexcept ImportError:\n"
            "    from ._native import answer\n\n__all__ = ['answer']\n",
            "src/rk_speedups/_native.py": "def answer():\n    return 42\n",
            "src/rk_speedups/_speedups.c": """\
            #include <Python.h>

            static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
            static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL}};
            static struct PyModuleDef module = {
                PyModuleDef_HEAD_INIT, "_speedups", "", -1, methods
            };
            PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
            """,
        },
    )


def namespace_package(root: Path) -> Path:
    """A PEP 420 namespace package (``rkns.demo``, no ``rkns/__init__.py``), hatch path."""
    return _project(
        root,
        "rkns.demo",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "rkns.demo"
            readme = "README.md"
            dynamic = ["version"]

            [tool.hatch.version]
            path = "src/rkns/demo/__init__.py"

            [tool.hatch.build.targets.wheel]
            packages = ["src/rkns"]
            """,
            "src/rkns/demo/__init__.py": '__version__ = "1.2.3"\n',
        },
    )


def flat_stale_version(root: Path) -> Path:
    """A flat layout with a static version and a ``__version__`` of its own (bumped along)."""
    return _project(
        root,
        "rk-flat",
        {
            "pyproject.toml": """\
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "rk-flat"
            version = "1.2.3"
            readme = "README.md"
            """,
            "rk_flat/__init__.py": '"""Flat."""\n\n__version__ = "1.2.3"\n',
        },
    )


CORPUS = {
    "setup-cfg-attr": setup_cfg_attr,
    "setup-cfg-literal": setup_cfg_literal,
    "setup-cfg-file": setup_cfg_file,
    "setup-py-literal": setup_py_literal,
    "setup-py-variable": setup_py_variable,
    "setup-py-about": setup_py_about,
    "flit-reexport": flit_reexport,
    "setuptools-scm-version-file": setuptools_scm_version_file,
    "pdm-scm": pdm_scm,
    "towncrier": towncrier_fragments,
    "scriv": scriv_fragments,
    "changelog-md-headings": changelog_md_headings,
    "changelog-rst-headings": changelog_rst_headings,
    "pdm-static-no-changelog": pdm_static,
    "with-dependencies": with_dependencies,
    "c-extension": c_extension,
    "namespace-package": namespace_package,
    "flat-stale-version": flat_stale_version,
}
