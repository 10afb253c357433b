"""The project on disk: where its version is written, read without running anything
(fixture projects from tests/projects/; the build backend's answers are in
tests/integration/test_project_backend.py)."""

from __future__ import annotations

import json
from pathlib import Path

from layouts import git_init
from project_runs import Capsys, copy, run, tree
from release_project import RecordingRunner, git
from releasekit.config import load_config
from releasekit.errors import ExitCode
from releasekit.plan import resolve_plan

# --- static: read without running anything -----------------------------------------------


def test_a_version_files_pattern_matches_whole_names_only(tmp_path: Path, capsys: Capsys) -> None:
    root = copy("version-files-whole-names", tmp_path)

    code, _, err = run(capsys, root, "bump-version", "patch", "--no-commit", "--no-tag")

    assert code == ExitCode.OK, err
    assert (root / "src/rk_tz/data.py").read_text().splitlines()[2:] == [
        'OLSON_VERSION = "2024a"',
        'VERSION = "1.2.4"',
    ]


def test_a_version_error_names_the_file_and_the_line(tmp_path: Path, capsys: Capsys) -> None:
    root = copy("version-files-whole-names", tmp_path)
    data = root / "src/rk_tz/data.py"
    data.write_text(data.read_text().replace('VERSION = "1.2.3"', 'VERSION = "1.2.2"'))
    before = tree(root)

    code, _, err = run(capsys, root, "bump-version", "patch", "--no-commit", "--no-tag")

    assert code == ExitCode.PROJECT
    assert "1.2.3 in pyproject.toml:7 ([project] version)" in err
    assert "1.2.2 in src/rk_tz/data.py:4 (version-files pattern" in err
    assert tree(root) == before


def test_a_namespace_sub_package_version_and_its_tuple_are_bumped(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = copy("namespace-subpackage", tmp_path)

    code, out, err = run(capsys, root, "bump-version", "patch", "--no-commit", "--no-tag", "--json")

    assert code == ExitCode.OK, err
    assert json.loads(out)["version"] == "1.2.4"
    assert (root / "src/acme/widgets/__init__.py").read_text().splitlines()[2:] == [
        '__version__ = "1.2.4"',
        "__version_info__ = (1, 2, 4)",
        "# Not the version: left alone by the bump.",
        "MIN_PYTHON = (3, 10)",
        "version_info = (3, 10)",
    ]


def test_a_stale_namespace_sub_package_version_fails_check_from_the_source(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = copy("namespace-subpackage", tmp_path)
    module = root / "src/acme/widgets/__init__.py"
    module.write_text(module.read_text().replace('__version__ = "1.2.3"', '__version__ = "1.2.2"'))

    project = resolve_plan(root, load_config(root, env={}), RecordingRunner()).project

    assert project.stale_locations("1.2.3") == [
        "src/acme/widgets/__init__.py:3 says __version__ = '1.2.2', the project is 1.2.3"
    ]


def test_build_byproducts_of_every_backend_are_no_uncommitted_changes(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = git_init(copy("namespace-subpackage", tmp_path))
    for leftover in (".pdm-build/acme/x.py", "_skbuild/linux/cmake", "build/lib/x.py"):
        (root / leftover).parent.mkdir(parents=True, exist_ok=True)
        (root / leftover).write_text("")
    (root / "src/acme.widgets.egg-info").mkdir()
    (root / "src/acme.widgets.egg-info/PKG-INFO").write_text("")

    code, _, err = run(capsys, root, "bump-version", "patch")

    assert code == ExitCode.OK, err
    assert git(root, "tag", "--list") == "v1.2.4"


def test_c_version_defines_are_bumped_with_the_version_and_others_left_alone(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = copy("c-header-defines", tmp_path)

    code, _, err = run(capsys, root, "bump-version", "patch", "--no-commit", "--no-tag")

    assert code == ExitCode.OK, err
    assert (root / "include/rk_cdefs/version.h").read_text().splitlines()[3:7] == [
        "#define RK_CDEFS_VERSION_MAJOR 1",
        "#define RK_CDEFS_VERSION_MINOR 2",
        "#define RK_CDEFS_VERSION_PATCH 4 /* bumped by releasekit */",
        "#define RK_CDEFS_VERSION_HEX 0x010204F0",
    ]
    assert "#define CDEFS_VERSION_MICRO 4" in (root / "src/rk_cdefs/config.hpp").read_text()
    vendored = root / "include/rk_cdefs/vendored/zlib_version.h"
    assert vendored.read_text().splitlines()[1:] == [
        "#define ZLIB_VERSION_MAJOR 2",
        "#define ZLIB_VERSION_MINOR 0",
        "#define ZLIB_VERSION_PATCH 1",
    ]


def test_a_pre_release_three_c_numbers_cannot_say_is_refused_before_anything_changes(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = copy("c-header-defines", tmp_path)
    before = tree(root)

    code, _, err = run(capsys, root, "bump-version", "1.3.0rc1", "--no-commit", "--no-tag")

    assert code == ExitCode.PROJECT
    assert "The version spread over " in err
    assert "cannot be bumped at line" in err
    assert tree(root) == before
