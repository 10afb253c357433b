"""Values written into generated CI files are data, never code: a project name is a PEP 508
name before anything is written from it; a value holding a GitHub expression is refused;
a value a shell would expand reaches it through the environment or as one quoted word.
The files are parsed back and linted (actionlint, zizmor) as the init-ci tests do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from release_project import Releasekit
from releasekit.ci.gitlab import gitlab_ci
from releasekit.ci.spec import PipelineSpec
from releasekit.config import ReleaseConfig
from releasekit.errors import ExitCode

BIN = Path(sys.executable).parent
HOSTILE_OUTDIR = "out dir/$(touch pwned)`touch pwned2`"


def project(tmp_path: Path, name: str, table: str = "") -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        f'[project]\nname = {json.dumps(name)}\nversion = "1.0.0"\n\n{table}', encoding="utf-8"
    )
    subprocess.run(["git", "init", "--quiet", str(root)], check=True)
    return root


@pytest.mark.parametrize("name", ["evil\nname", "x-${{ github.event.issue.title }}", "a b"])
def test_a_project_name_that_is_not_pep_508_is_refused_before_anything_is_written(
    tmp_path: Path, releasekit: Releasekit, name: str
) -> None:
    root = project(tmp_path, name)

    code, _, err = releasekit("init-ci", "github", "--project", root)

    assert code == ExitCode.PROJECT, err
    assert f"The project's name {name!r} (in {root}) is not a valid PEP 508 name" in err
    assert not (root / ".github").exists()


def test_an_outdir_holding_a_github_expression_is_refused(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = project(
        tmp_path, "demo", '[tool.releasekit.build]\noutdir = "${{ github.event.issue.title }}"\n'
    )

    code, _, err = releasekit("init-ci", "github", "--wheels", "cibuildwheel", "--project", root)

    assert code == ExitCode.USAGE, err
    assert "which GitHub Actions would evaluate as an expression" in err
    assert not (root / ".github").exists()


def lint(workflow: Path) -> None:
    for argv in (
        [str(BIN / "actionlint"), "-format", "{{json .}}", str(workflow)],
        [str(BIN / "zizmor"), "--offline", "--persona=pedantic", "--format", "json", str(workflow)],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        assert (done.returncode, json.loads(done.stdout)) == (0, []), done.stdout


def test_an_outdir_a_shell_would_expand_reaches_the_run_line_through_env(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    table = f"[tool.releasekit.build]\noutdir = {json.dumps(HOSTILE_OUTDIR)}\n"
    root = project(tmp_path, "demo", table)

    code, _, err = releasekit("init-ci", "github", "--wheels", "cibuildwheel", "--project", root)

    assert code == 0, err
    workflow = root / ".github" / "workflows" / "release.yml"
    jobs: dict[str, Any] = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]
    build = jobs["sdist"]["steps"][-2]
    assert build["run"] == 'python -m build --sdist --outdir "$OUTDIR" .'
    assert build["env"] == {"OUTDIR": HOSTILE_OUTDIR + "/"}
    for job in jobs.values():
        for step in job["steps"]:
            assert "pwned" not in step.get("run", "")
    lint(workflow)


def test_a_gitlab_project_directory_is_one_word_the_shell_does_not_expand(
    tmp_path: Path,
) -> None:
    directory = "pkg-$HOME"  # a plain YAML scalar, which a shell would expand
    text = gitlab_ci(ReleaseConfig(), "demo", PipelineSpec(project_dir=directory))
    line = yaml.safe_load(text)[".releasekit"]["before_script"][0]
    (tmp_path / directory).mkdir()

    done = subprocess.run(
        ["bash", "-e", "-c", f"{line} && pwd"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / directory)
