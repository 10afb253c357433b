"""Real projects as they are: each layout of the corpus (tests/projects/, modelled on
well-known PyPI projects) taken through version -> bump-version patch -> build -> check ->
upload -> verify --install, against two real pypiservers: the target, and a dependencies
index that also carries a decoy of the same name as a project, with a higher version.

Each project is a git repository with its last release (1.2.3) tagged and a commit on
top; releasekit's configuration holds only the tag format and the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index_servers import PypiServer, make_wheel, run_pypiserver, stop_server
from layouts import (
    CORPUS,
    DEPENDENCY,
    LAYOUTS,
    commit_on_top,
    copy_project,
    git_init,
    with_readme,
    write,
)
from release_project import UV_CACHE
from releasekit.cli import main
from releasekit.errors import ExitCode

# Where the build environments of the corpus stay between runs (the tests move HOME).
BUILD_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / (
    "releasekit-test-corpus"
)

# The earlier layouts (bump-version's own) with a README, as twine check --strict wants.
ALL = {**{name: "layouts" for name in LAYOUTS}, **{name: "corpus" for name in CORPUS}}
# What releasekit itself reads as the version-holding files bumped (beyond the tag).
BUMPED = {
    "setup-cfg-literal": {"setup.cfg", "rk_cfg_literal/__init__.py"},
    "setup-py-literal": {"setup.py", "rk_six.py"},
    "setup-py-about": {"src/rk_requests/__version__.py"},
    "flit-reexport": {"rk_idna/package_data.py"},
    "c-extension": {"pyproject.toml", "src/rk_speedups/__init__.py"},
    "flat-stale-version": {"pyproject.toml", "rk_flat/__init__.py"},
    "towncrier": {"pyproject.toml", "CHANGELOG.md", "changelog.d/123.feature.md"},
    "scriv": {"pyproject.toml", "CHANGELOG.md", "changelog.d/20241128_120000_dev.md"},
    "poetry-package-version": {"pyproject.toml", "rk_backoff/__init__.py"},
    "poetry-pep621": {"pyproject.toml", "CHANGELOG.md", "rk_tomlkit/__init__.py"},
    "poetry-src-towncrier": {"pyproject.toml", "CHANGELOG.md", "news/42.feature.md"},
    "flit-static-with-comment": {"pyproject.toml", "src/rk_mdurl/__init__.py"},
    "flit-static-changes-md": {"pyproject.toml"},
    "flit4-dynamic": {"rk_more_itertools/__init__.py"},
    "setup-cfg-attr-module": {"rk_pycodestyle.py"},
    "setup-py-imports-package": {"rk_sortedcontainers/__init__.py"},
    "setup-py-imported-version": {"rk_nodeenv.py"},
    "hatch-path-readme-table": {"rk_pygments/__init__.py"},
    "hatch-path-flat": {"rk_sqlparse/__init__.py"},
    "pdm-static-package-version": {"pyproject.toml", "rk_typer/__init__.py"},
    "flit-version-info-namedtuple": {"rk_pyparsing/__init__.py"},
    "setuptools-attr-version-info": {"rk_markdown/__meta__.py"},
    "setuptools-attr-version-strings": {"src/rk_wrapt/__init__.py"},
    "scikit-build-header-version": {"include/rk_pybind11/common.h"},
}
# Lines the bump writes where the version is said in parts, each in the file's own form.
WRITTEN = {
    "flit-version-info-namedtuple": (
        "rk_pyparsing/__init__.py",
        ['__version_info__ = version_info(1, 2, 4, "final", 1)'],
    ),
    "setuptools-attr-version-info": (
        "rk_markdown/__meta__.py",
        ["__version_info__ = (1, 2, 4, 'final', 0)"],
    ),
    "setuptools-attr-version-strings": (
        "src/rk_wrapt/__init__.py",
        ['__version_info__ = ("1", "2", "4")'],
    ),
    "scikit-build-header-version": (
        "include/rk_pybind11/common.h",
        [
            "#define RK_PYBIND11_VERSION_MINOR 2",
            "#define RK_PYBIND11_VERSION_MICRO 4",
            "#define RK_PYBIND11_VERSION_RELEASE_LEVEL PY_RELEASE_LEVEL_FINAL",
            "#define RK_PYBIND11_VERSION_PATCH 4",
        ],
    ),
}


@pytest.fixture(scope="module")
def dependencies_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    """The dependencies index: the dependency, a stand-in for ``packaging`` (a dependency
    of the "static" layout), and the decoy: rk-withdeps 9.9.9, higher than any release."""
    base = tmp_path_factory.mktemp("corpus-dependencies")
    packages = base / "packages"
    packages.mkdir()
    make_wheel(packages, DEPENDENCY, "1.0")
    make_wheel(packages, "packaging", "24.2")
    make_wheel(packages, "rk-withdeps", "9.9.9")
    server, process = run_pypiserver(packages, base / "pypiserver.log")
    try:
        yield server
    finally:
        stop_server(process)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def as_released(layout: str, root: Path) -> Path:
    """The layout as a maintainer has it: 1.2.3 tagged, one commit on top."""
    if ALL[layout] == "corpus":
        copy_project(layout, root)
    else:
        with_readme(copy_project(layout, root))
        write(root, {".gitignore": "/dist/\n"})
    if (root / ".git").exists():  # tag-versioned: tagged and committed on top already
        git(root, "add", "--all")
        git(root, "commit", "--quiet", "-m", "readme")
    else:
        commit_on_top(git_init(root, tag="v1.2.3"))
    return root


@pytest.mark.parametrize("layout", sorted(ALL))
def test_every_layout_releases_with_only_a_repository_configured(
    tmp_path: Path,
    layout: str,
    monkeypatch: pytest.MonkeyPatch,
    pypiserver: PypiServer,
    dependencies_index: PypiServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target, deps = pypiserver, dependencies_index
    monkeypatch.setenv("UV_CACHE_DIR", UV_CACHE)  # the wheels of the build requirements
    root = as_released(layout, tmp_path / "project")
    config = (
        write(
            tmp_path,
            {
                "releasekit.toml": f"""\
            tag-format = "v{{version}}"
            # Offline after the first run: the build environments and the resolution of
            # their requirements are kept (a day) outside the per-test HOME.
            build.cache-ttl = 86400
            build.cache-dir = "{BUILD_CACHE}"

            [repositories.test]
            upload-url = "{target.upload_url}"
            index-url = "{target.simple_url}"
            dependencies-index-url = "{deps.simple_url}"
            """
            },
        )
        / "releasekit.toml"
    )

    def releasekit(*argv: str) -> dict[str, Any]:
        capsys.readouterr()
        code = main([*argv, "--project", str(root), "--config", str(config), "--json"])
        captured = capsys.readouterr()
        assert code == ExitCode.OK, f"{argv[0]}: {captured.out}{captured.err}"
        summary: dict[str, Any] = json.loads(captured.out)
        return summary

    assert releasekit("version")["version"] == "1.2.3"
    bumped = releasekit("bump-version", "patch")
    assert (bumped["previous"], bumped["version"], bumped["tag"]) == ("1.2.3", "1.2.4", "v1.2.4")
    assert git(root, "tag", "--points-at", "HEAD") == "v1.2.4"
    assert git(root, "status", "--porcelain", "--untracked-files=no") == ""
    if layout in BUMPED:
        changed = set(git(root, "diff", "--name-only", "HEAD~1", "HEAD").split())
        assert changed == BUMPED[layout]
    if layout in WRITTEN:
        path, lines = WRITTEN[layout]
        assert set(lines) <= set((root / path).read_text().splitlines())
    assert releasekit("version")["version"] == "1.2.4"

    built = releasekit("build")
    files = sorted(a["filename"] for a in built["artifacts"])
    assert len(files) == 2
    assert all("-1.2.4" in f for f in files), files

    checked = releasekit("check", "--repository", "test")
    assert checked["failures"] == []

    uploaded = releasekit("upload-test")
    assert sorted(uploaded["uploaded"]) == files

    verified = releasekit("verify", "--repository", "test", "--install", "--timeout", "30")
    assert verified["install"]["installed_version"] == "1.2.4"  # not the decoy's 9.9.9
    assert sorted(p.name for p in target.packages_dir.iterdir()) == files


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_verify_takes_dependencies_from_the_dependencies_index_and_never_the_decoy(
    installer: str,
    tmp_path: Path,
    pypiserver: PypiServer,
    dependencies_index: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """rk-withdeps 9.9.9 on the dependencies index (a higher version of the very project)
    is never installed; neither is anything from an index named by pip.conf or UV_*."""
    root = git_init(copy_project("with-dependencies", tmp_path / "project"), tag="v1.2.3")
    config = (
        write(
            tmp_path,
            {
                "releasekit.toml": f"""\
            [repositories.test]
            upload-url = "{pypiserver.upload_url}"
            index-url = "{pypiserver.simple_url}"
            dependencies-index-url = "{dependencies_index.simple_url}"
            """,
                "pip.conf": f"[global]\nextra-index-url = {dependencies_index.simple_url}\n",
            },
        )
        / "releasekit.toml"
    )
    common = ["--project", str(root), "--config", str(config)]
    for command in (["build"], ["upload-test"]):
        assert main([*command, *common]) == ExitCode.OK
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "pip.conf"))
    monkeypatch.setenv("UV_EXTRA_INDEX_URL", dependencies_index.simple_url)
    if installer == "pip":
        monkeypatch.setattr("releasekit.steps.verify.find_uv", lambda: None)

    capsys.readouterr()
    code = main(["verify", "--install", "--timeout", "30", "--json", *common])

    captured = capsys.readouterr()
    assert code == ExitCode.OK, captured.err
    assert json.loads(captured.out)["install"] == {
        "installer": installer,
        "installed_version": "1.2.3",
        "imported": ["rk_withdeps"],  # which imports rk_corpus_dep, from the dependencies index
    }


def test_verify_without_a_dependencies_index_fails_to_resolve_and_says_so(
    tmp_path: Path, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default for an index that is not TestPyPI is the index itself: it lacks the
    dependency, and the failure names the step."""
    root = git_init(copy_project("with-dependencies", tmp_path / "project"), tag="v1.2.3")
    common = ["--project", str(root), "--repository-url", pypiserver.upload_url]
    assert main(["build", "--project", str(root)]) == ExitCode.OK
    assert main(["upload", *common]) == ExitCode.OK

    capsys.readouterr()
    code = main(["verify", "--install", "--timeout", "30", *common])

    assert code == ExitCode.VERIFY
    err = capsys.readouterr().err
    # A repository given by --repository-url is named by its host.
    host = pypiserver.upload_url.split("//")[1].rstrip("/")
    assert f"Installing from {host} in a fresh environment failed" in err
    assert DEPENDENCY in err
