"""Release tags: the tag-format learned from the tags a project already has."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from layouts import git_init
from release_project import RecordingRunner
from releasekit.cli import main
from releasekit.config import load_config
from releasekit.plan import resolve_plan
from releasekit.tags import tag_shape

PROJECTS = Path(__file__).parents[1] / "projects"
Capsys = pytest.CaptureFixture[str]


def calver(tmp_path: Path, *tags: str) -> Path:
    """rk-calver at version 2026.6, in git, with ``tags`` on its first commit and one
    commit after them."""
    root = git_init(Path(shutil.copytree(PROJECTS / "static-calver", tmp_path / "rk-calver")))
    for tag in tags:
        git(root, "tag", "--annotate", "-m", tag, tag)
    git(root, "commit", "--quiet", "--allow-empty", "-m", "Work for the next release")
    return root


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.parametrize(
    ("tag", "shape"),
    [
        ("v1.2.3", "v{version}"),
        ("1.2.3", "{version}"),
        ("rk-calver-1.2.3", "{name}-{version}"),
        ("rk_calver_1.2.3", "rk_calver_{version}"),
        ("rk-calver/v1.2.3", "{name}/v{version}"),
        ("rk-calver-v1.2.3", "{name}-v{version}"),
        ("RK.Calver-0.23", "RK.Calver-{version}"),
        ("release-1.2.3", "release-{version}"),
        ("release_2026.6", "release_{version}"),
        ("release/v2.0", "release/v{version}"),
        ("nightly", None),
        ("deploy-prod-3", None),
        ("other-project-1.2.3", None),
        ("dev1.0", None),
    ],
)
def test_tag_shapes(tag: str, shape: str | None) -> None:
    assert tag_shape(tag, "rk-calver") == shape


@pytest.mark.parametrize(
    ("tag", "new_tag"),
    [
        ("release_2026.6", "release_2026.6.1"),
        ("rk-calver-2026.6", "rk-calver-2026.6.1"),
        ("rk-calver/v2026.6", "rk-calver/v2026.6.1"),
    ],
)
def test_the_plan_tags_the_way_the_existing_tags_are_written(
    tmp_path: Path, tag: str, new_tag: str
) -> None:
    root = calver(tmp_path, tag)

    plan = resolve_plan(root, load_config(root, env={}), RecordingRunner(), bump="patch")

    assert plan.tag == new_tag
    assert plan.latest_tag is not None
    assert plan.latest_tag[0] == tag
    assert f"is learned from the tag {tag}," in plan.project.notes[-1]


def test_the_bump_creates_the_tag_in_the_learned_shape(tmp_path: Path, capsys: Capsys) -> None:
    # An older tag of another shape: the highest release decides.
    root = calver(tmp_path, "v2025.1", "release_2026.6")

    code = main(["bump-version", "patch", "--project", str(root), "--json"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["tag"] == "release_2026.6.1"
    assert "release_2026.6.1" in git(root, "tag", "--list").split()
    assert "v2026.6.1" not in git(root, "tag", "--list")


def test_the_default_shape_needs_no_note(tmp_path: Path) -> None:
    root = calver(tmp_path, "v2026.6")

    plan = resolve_plan(root, load_config(root, env={}), RecordingRunner(), bump="patch")

    assert plan.tag == "v2026.6.1"
    assert not any("tag-format" in note for note in plan.project.notes)


def test_tags_of_no_release_shape_are_named_in_the_plan(tmp_path: Path) -> None:
    root = calver(tmp_path, "nightly", "deploy-prod-3")

    plan = resolve_plan(root, load_config(root, env={}), RecordingRunner(), bump="patch")

    assert plan.tag == "v2026.6.1"
    assert plan.project.notes[-1] == (
        "no tag here has the shape of a release tag of rk-calver (deploy-prod-3, nightly): "
        "releases will be tagged vX.Y.Z (set tag-format to choose another)"
    )


def test_a_tag_format_that_is_set_is_not_learned(tmp_path: Path) -> None:
    root = calver(tmp_path, "release_2026.6")
    config = load_config(root, env={"RELEASEKIT_TAG_FORMAT": "v{version}"})

    plan = resolve_plan(root, config, RecordingRunner(), bump="patch")

    assert plan.tag == "v2026.6.1"
    assert not any("tag-format" in note for note in plan.project.notes)
