"""The project on disk: what the build backend says when no file holds the version
(fixture projects from tests/projects/)."""

from __future__ import annotations

import json
from pathlib import Path

from layouts import git_init
from project_runs import Capsys, copy, run, tree
from release_project import RecordingRunner, git
from releasekit.config import load_config
from releasekit.errors import ExitCode
from releasekit.plan import resolve_plan


def test_a_flit_version_computed_from_a_tuple_comes_from_the_backend_and_the_tuple_is_bumped(
    tmp_path: Path, capsys: Capsys
) -> None:
    root = copy("flit-version-info", tmp_path)

    assert run(capsys, root, "version")[:2] == (ExitCode.OK, "1.2.3\n")
    code, _, err = run(capsys, root, "bump-version", "patch", "--no-commit", "--no-tag")

    assert code == ExitCode.OK, err
    text = (root / "rk_flit_info/__init__.py").read_text()
    assert "version_info = (1, 2, 4)\n" in text
    assert run(capsys, root, "version")[:2] == (ExitCode.OK, "1.2.4\n")


def test_the_backend_is_asked_through_the_runner_the_caller_gave(tmp_path: Path) -> None:
    root = copy("flit-version-info", tmp_path)
    runner = RecordingRunner()

    plan = resolve_plan(root, load_config(root, env={}), runner)

    assert str(plan.current) == "1.2.3"
    assert any(argv[1].endswith("backend_hooks.py") for argv in runner.argvs if len(argv) > 1)
    assert any("Asking the build backend (flit_core.buildapi)" in line for line in runner.logs)


def test_a_version_that_follows_the_tags_is_known_by_what_the_backend_says(
    tmp_path: Path, capsys: Capsys
) -> None:
    """A setup.py that builds its version from git describe: no plugin releasekit knows
    by name. The version is the tag's, the bump is a tag, and asking the backend leaves
    no egg-info behind."""
    root = git_init(copy("setup-py-git-describe", tmp_path), tag="v1.2.3")
    git(root, "commit", "--quiet", "--allow-empty", "-m", "Work for the next release")
    before = tree(root)

    code, out, err = run(capsys, root, "version")

    assert (code, out) == (ExitCode.OK, "1.2.3\n"), err
    assert tree(root) == before
    assert git(root, "status", "--porcelain") == ""
    code, out, err = run(capsys, root, "bump-version", "patch", "--json")
    assert code == ExitCode.OK, err
    assert json.loads(out)["tag"] == "v1.2.4"
    assert git(root, "describe", "--tags") == "v1.2.4"
