"""`releasekit trusted-publisher`: is the workflow ready, and what to enter on PyPI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from git_projects import make_project
from release_project import Releasekit
from releasekit.ci import github_workflow
from releasekit.config import ReleaseConfig
from releasekit.errors import ExitCode, UsageError
from releasekit.trust.publisher import (
    WorkflowNotReadyError,
    parse_github_remote,
    publishing_jobs,
)
from releasekit.trust.workflow import read_workflow_text

WORKFLOW = Path(".github/workflows/release.yml")


def write_workflow(project: Path, text: str, path: Path = WORKFLOW) -> Path:
    (project / path).parent.mkdir(parents=True, exist_ok=True)
    (project / path).write_text(text, encoding="utf-8")
    return project / path


def edit_generated(project: Path, edit: Callable[[str], str]) -> None:
    text = github_workflow(ReleaseConfig(), "Example.Pkg")
    changed = edit(text)
    assert changed != text, "the edit changed nothing"
    write_workflow(project, changed)


# --- ready ---------------------------------------------------------------------------------


def test_a_generated_workflow_is_ready_and_the_values_are_printed(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    assert releasekit("init-ci", "github", "--project", project)[0] == 0

    code, out, err = releasekit("trusted-publisher", "--project", project)

    assert (code, err) == (0, "")
    assert "is ready for trusted publishing of example-pkg" in out
    pypi, testpypi = out.split("\n\nPyPI (job publish):\n")[1].split("\n\nTestPyPI")
    for label, value in (
        ("PyPI Project Name", "example-pkg"),
        ("Owner", "acme"),
        ("Repository name", "widgets"),
        ("Workflow name", "release.yml"),
    ):
        assert f"  {label}:".ljust(22) + value in pypi
        assert f"  {label}:".ljust(22) + value in testpypi
    assert "  Environment name:   pypi" in pypi
    assert "  Environment name:   testpypi" in testpypi
    assert "https://pypi.org/manage/project/example-pkg/settings/publishing/" in pypi
    assert "https://pypi.org/manage/account/publishing/" in pypi
    assert "https://test.pypi.org/manage/project/example-pkg/settings/publishing/" in testpypi
    assert "https://test.pypi.org/manage/account/publishing/" in testpypi
    assert "https://github.com/acme/widgets/settings/environments" in out


def test_json_lists_every_publisher(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p", remote="git@github.com:acme/widgets.git")
    assert releasekit("init-ci", "github", "--project", project)[0] == 0

    code, out, _ = releasekit("trusted-publisher", "--json", "--project", project)

    assert code == 0
    summary = json.loads(out)
    assert summary["ok"] is True
    assert summary["ready"] is True
    assert summary["project"] == "example-pkg"
    assert summary["publishers"] == [
        {
            "index": "PyPI",
            "project": "example-pkg",
            "owner": "acme",
            "repository": "widgets",
            "workflow": "release.yml",
            "environment": "pypi",
            "jobs": ["publish"],
            "existing_project_url": (
                "https://pypi.org/manage/project/example-pkg/settings/publishing/"
            ),
            "pending_publisher_url": "https://pypi.org/manage/account/publishing/",
        },
        {
            "index": "TestPyPI",
            "project": "example-pkg",
            "owner": "acme",
            "repository": "widgets",
            "workflow": "release.yml",
            "environment": "testpypi",
            "jobs": ["publish-test"],
            "existing_project_url": (
                "https://test.pypi.org/manage/project/example-pkg/settings/publishing/"
            ),
            "pending_publisher_url": "https://test.pypi.org/manage/account/publishing/",
        },
    ]


def test_without_a_test_job_only_pypi_is_listed(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    assert releasekit("init-ci", "github", "--no-test-first", "--project", project)[0] == 0

    code, out, _ = releasekit("trusted-publisher", "--json", "--project", project)

    assert code == 0
    assert [p["index"] for p in json.loads(out)["publishers"]] == ["PyPI"]


def test_github_repository_flag_and_workflow_flag(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p", remote=None)
    write_workflow(
        project,
        github_workflow(ReleaseConfig(), "Example.Pkg"),
        Path(".github/workflows/publish-pypi.yaml"),
    )

    code, out, _ = releasekit(
        "trusted-publisher",
        "--github-repository",
        "octo-org/widget.py",
        "--workflow",
        project / ".github/workflows/publish-pypi.yaml",
        "--json",
        "--project",
        project,
    )

    assert code == 0
    publisher = json.loads(out)["publishers"][0]
    assert (publisher["owner"], publisher["repository"]) == ("octo-org", "widget.py")
    assert publisher["workflow"] == "publish-pypi.yaml"


def test_workflow_level_id_token_is_enough(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    write_workflow(
        project,
        """\
on:
  push:
    tags: ["v*"]
permissions:
  contents: read
  id-token: write
jobs:
  release:
    runs-on: ubuntu-latest
    environment: release
    steps:
      - uses: actions/checkout@v4
      - run: |
          python -m pip install "releasekit[uv]"
          releasekit publish --yes
""",
    )

    code, out, _ = releasekit("trusted-publisher", "--json", "--project", project)

    assert code == 0
    [publisher] = json.loads(out)["publishers"]
    assert (publisher["index"], publisher["environment"]) == ("PyPI", "release")
    assert publisher["jobs"] == ["release"]


def test_a_stored_token_next_to_trusted_publishing_is_pointed_out(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    edit_generated(
        project,
        lambda text: text.replace(
            "      - run: releasekit upload-prod --yes\n",
            "      - run: releasekit upload-prod --yes\n"
            "        env:\n"
            "          PYPI_TOKEN: ${{ secrets.PYPI_TOKEN }}\n",
        ),
    )

    code, out, _ = releasekit("trusted-publisher", "--project", project)

    assert code == 0
    assert "job 'publish' also passes PYPI_TOKEN" in out


# --- not set up: exit code 9 ---------------------------------------------------------------


def test_no_workflow(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")

    code, out, err = releasekit("trusted-publisher", "--project", project)

    assert code == ExitCode.CHECK == WorkflowNotReadyError.exit_code
    assert out == ""
    assert f"{project / WORKFLOW} is not ready for trusted publishing: the file does not" in err
    assert "releasekit init-ci github" in err

    code, out, _ = releasekit("trusted-publisher", "--json", "--project", project)
    summary = json.loads(out)
    assert (summary["ok"], summary["ready"], summary["exit_code"]) == (False, False, 9)
    assert summary["problems"] == ["the file does not exist"]
    assert summary["workflow_path"] == str(project / WORKFLOW)


def test_a_publishing_job_without_id_token(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    # The last job (publish, to PyPI) loses its id-token line.
    id_token = (
        "      id-token: write  # trusted publishing and Sigstore attestations: no stored token\n"
    )
    edit_generated(project, lambda text: "".join(text.rpartition(id_token)[::2]))

    code, _, err = releasekit("trusted-publisher", "--project", project)

    assert code == ExitCode.CHECK
    assert "job 'publish' (PyPI) lacks `permissions: id-token: write`" in err
    assert "publish-test" not in err  # that job is fine


def test_job_permissions_replace_the_workflows(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    write_workflow(
        project,
        """\
on: push
permissions:
  id-token: write
jobs:
  publish:
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      contents: read
    steps:
      - run: releasekit upload-prod --yes
""",
    )

    code, _, err = releasekit("trusted-publisher", "--project", project)

    assert code == ExitCode.CHECK
    assert "its own permissions replace the workflow's" in err


def test_a_publishing_job_without_environment(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    edit_generated(
        project,
        lambda text: text.replace(
            "    environment:\n      name: pypi\n      url: https://pypi.org/project/example-pkg/\n",
            "",
        ),
    )

    code, out, err = releasekit("trusted-publisher", "--json", "--project", project)

    assert code == ExitCode.CHECK
    assert "job 'publish' (PyPI) runs in no GitHub environment" in err
    assert json.loads(out)["problems"] == [
        "job 'publish' (PyPI) runs in no GitHub environment: add `environment: pypi` (or "
        "testpypi) to the job, and enter the same name on PyPI"
    ]


def test_every_problem_is_listed_at_once(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    write_workflow(
        project,
        """\
on: push
jobs:
  test-upload:
    runs-on: ubuntu-latest
    steps:
      - run: releasekit upload-test --yes
  upload:
    runs-on: ubuntu-latest
    environment:
      name: ${{ inputs.where }}
    steps:
      - run: releasekit upload-prod --yes
""",
    )

    code, out, _ = releasekit("trusted-publisher", "--json", "--project", project)

    assert code == ExitCode.CHECK
    problems = json.loads(out)["problems"]
    assert len(problems) == 4
    assert [p.split(" lacks")[0].split(" runs")[0].split(" takes")[0] for p in problems] == [
        "job 'test-upload' (TestPyPI)",
        "job 'test-upload' (TestPyPI)",
        "job 'upload' (PyPI)",
        "job 'upload' (PyPI)",
    ]


def test_a_workflow_that_uploads_nothing(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    write_workflow(project, "on: push\njobs:\n  test:\n    steps:\n      - run: pytest\n")

    code, _, err = releasekit("trusted-publisher", "--project", project)

    assert code == ExitCode.CHECK
    assert "no job uploads to PyPI or TestPyPI" in err


def test_an_unreadable_workflow_is_named_with_its_line(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    write_workflow(project, "jobs:\n  a: [b,\n     c\n")

    code, _, err = releasekit("trusted-publisher", "--project", project)

    assert code == ExitCode.CHECK
    assert "releasekit cannot read it (line 4: while parsing a flow sequence expected ','" in err
    assert "Traceback" not in err


def test_a_workflow_that_is_not_utf8_is_unreadable(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    (write_workflow(project, "")).write_bytes(b"jobs:\n  a: \xff\n")

    code, _, err = releasekit("trusted-publisher", "--project", project)

    assert code == ExitCode.CHECK
    assert "releasekit cannot read it (it is not UTF-8 text (byte offset 11))" in err


# --- the git remote --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/widgets.git",
        "https://github.com/acme/widgets",
        "https://github.com/acme/widgets/",
        "http://github.com/acme/widgets.git",
        "https://x-access-token:secret@github.com/acme/widgets.git",
        "git@github.com:acme/widgets.git",
        "git@github.com:acme/widgets",
        "github.com:acme/widgets.git",
        "ssh://git@github.com/acme/widgets.git",
        "ssh://git@ssh.github.com:443/acme/widgets.git",
        "git://github.com/acme/widgets.git",
        "  https://GitHub.com/acme/widgets.git\n",
    ],
)
def test_remote_urls(url: str) -> None:
    assert parse_github_remote(url) == ("acme", "widgets")


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/acme/widgets.git",
        "git@github-work:acme/widgets.git",
        "https://github.com/acme",
        "https://github.com/acme/widgets/tree/main",
        "/srv/git/widgets.git",
        "https://token:hunter2@example.com/acme/widgets.git",
    ],
)
def test_remote_urls_that_are_not_github(url: str) -> None:
    with pytest.raises(UsageError, match="--github-repository OWNER/NAME") as caught:
        parse_github_remote(url)
    assert "hunter2" not in str(caught.value)


def test_no_remote_says_how_to_give_the_repository(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p", remote=None)
    assert releasekit("init-ci", "github", "--project", project)[0] == 0

    code, _, err = releasekit("trusted-publisher", "--project", project)

    assert code == ExitCode.VCS
    assert "--github-repository OWNER/NAME" in err


def test_a_bad_repository_flag(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    assert releasekit("init-ci", "github", "--project", project)[0] == 0

    code, _, err = releasekit(
        "trusted-publisher", "--github-repository", "widgets", "--project", project
    )

    assert code == ExitCode.USAGE
    assert "is not OWNER/NAME" in err


def test_a_package_in_a_subdirectory_has_its_own_workflow(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    top = make_project(tmp_path / "repo", name="root-project")
    package = top / "packages" / "widget"
    package.mkdir(parents=True)
    (package / "pyproject.toml").write_text(
        '[project]\nname = "Widget_Tools"\nversion = "0.1.0"\n', encoding="utf-8"
    )
    assert releasekit("init-ci", "github", "--project", package)[0] == 0

    code, out, _ = releasekit("trusted-publisher", "--json", "--project", package)

    assert code == 0
    publisher = json.loads(out)["publishers"][0]
    assert (publisher["project"], publisher["workflow"]) == (
        "widget-tools",
        "release-widget-tools.yml",
    )


# --- hand-written workflows ----------------------------------------------------------------

HAND_WRITTEN = """\
name: "Publish"
"on":
  release:
    types: [published]
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
    - uses: actions/checkout@v4   # a comment with "quotes" and 'quotes'
    - run: python -m build
  pypi:
    needs: [build]
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    steps:
    - uses: pypa/gh-action-pypi-publish@release/v1
  testpypi:
    needs: build
    environment:
      name: test
    permissions: write-all
    steps:
    - uses: pypa/gh-action-pypi-publish@release/v1
      with:
        repository-url: https://test.pypi.org/legacy/
  twine:
    environment: twine-env
    permissions:
      id-token: write
    steps:
      - name: Upload
        run: >
          python -m twine upload
          --repository testpypi dist/*
  nox:
    environment: nox-env
    permissions: { id-token: write, contents: read }
    steps:
      - run: nox -s release -- minor --yes --no-test-first
  internal:
    steps:
      - run: twine upload --repository-url https://pkgs.example.com/legacy/ dist/*
"""


def test_common_hand_written_forms(tmp_path: Path) -> None:
    workflow = read_workflow_text(HAND_WRITTEN)
    jobs, notes = publishing_jobs(workflow, ReleaseConfig())

    found = {(j.job, j.host, j.environment, j.id_token) for j in jobs}
    assert found == {
        ("pypi", "pypi.org", "pypi", True),
        ("testpypi", "test.pypi.org", "test", True),
        ("twine", "test.pypi.org", "twine-env", True),
        ("nox", "pypi.org", "nox-env", True),
    }
    assert notes == [
        "job 'internal' uploads to pkgs.example.com (twine upload --repository-url "
        "https://pkgs.example.com/legacy/ dist/*): not PyPI, so trusted publishing does not apply"
    ]


# --- reading with PyYAML: what GitHub accepts, releasekit reads ---------------------------

ANCHORED = """\
on:
  push:
    tags: ["v*"]
jobs:
  pypi:
    runs-on: &runner ubuntu-latest
    environment: pypi
    permissions: &trusted
      contents: read
      id-token: write
    steps: &steps
      - uses: actions/checkout@v4
      - run: releasekit upload-prod --yes
  testpypi:
    runs-on: *runner
    environment: testpypi
    permissions: *trusted
    steps:
      - run: releasekit upload-test --yes
"""


def test_anchors_and_aliases_are_followed_as_github_does(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    write_workflow(project, ANCHORED)

    code, out, err = releasekit("trusted-publisher", "--json", "--project", project)

    assert code == 0, err
    found = {(p["index"], p["environment"]) for p in json.loads(out)["publishers"]}
    assert found == {("PyPI", "pypi"), ("TestPyPI", "testpypi")}
    assert json.loads(out)["notes"] == []


def test_a_workflow_whose_aliases_make_a_billion_strings_is_read_at_once(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    """Aliases share one object: each is walked once, not a billion times."""
    laughs = "".join(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    text = ANCHORED.replace("jobs:\n", f"env:\n  l0: &l0 lol\n{laughs}jobs:\n").replace(
        "    environment: pypi\n", "    environment: pypi\n    env: {X: *l9}\n"
    )
    project = make_project(tmp_path / "p")
    write_workflow(project, text)

    code, _, err = releasekit("trusted-publisher", "--project", project)

    assert code == 0, err
