"""setup.py and setup.cfg read without running them: where a legacy project writes its
version (fixture projects from tests/projects/)."""

from __future__ import annotations

from pathlib import Path

from project_runs import copy
from release_project import RecordingRunner
from releasekit.config import ReleaseConfig
from releasekit.project import load_project
from releasekit.setup_files import legacy_metadata


def test_a_version_setup_py_imports_from_its_module_is_found_there(tmp_path: Path) -> None:
    root = copy("setup-py-imported-version", tmp_path)

    metadata = legacy_metadata(root)

    assert metadata.name == "rk-nodeenv"
    assert [loc.path.name for loc in metadata.locations] == ["rk_nodeenv.py"]
    assert metadata.locations[0].holds("1.2.3")


def test_setuptools_scm_only_in_the_build_requirements_of_a_setup_py_project_is_no_vcs_version(
    tmp_path: Path,
) -> None:
    """nodeenv lists setuptools-scm (a file finder there) without turning it on: its version
    is the one in its module, bumped there, and the backend is never asked."""
    root = copy("setup-py-imported-version", tmp_path)
    runner = RecordingRunner()

    project = load_project(root, ReleaseConfig(), runner)

    assert not project.vcs_versioned
    assert [loc.path.name for loc in project.locations] == ["rk_nodeenv.py"]
    assert runner.argvs == []
