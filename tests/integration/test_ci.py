"""`releasekit init-ci`: the generated GitHub and GitLab pipelines, read back with PyYAML."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from index_servers import PypiServer
from release_project import Releasekit
from releasekit import __version__ as releasekit_version
from releasekit import cli
from releasekit.ci import (
    CiFileExistsError,
    PipelineSpec,
    github_workflow,
    gitlab_tag_regex,
    yaml_scalar,
)
from releasekit.commands import build_parser
from releasekit.config import ReleaseConfig, load_config
from releasekit.credentials import resolve_credentials
from releasekit.errors import ExitCode, UsageError


def make_project(
    root: Path, *, name: str = "Example.Pkg", table: str = "", git: bool = True
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "1.0.0"\n'
        + (f"\n[tool.releasekit]\n{table}\n" if table else ""),
        encoding="utf-8",
    )
    if git:
        (root / ".gitignore").write_text("dist/\n", encoding="utf-8")
        subprocess.run(["git", "init", "--quiet", str(root)], check=True)
    return root


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in job["steps"] if "uses" in step]


def step_with(job: dict[str, Any], action: str) -> dict[str, Any]:
    step = next(s for s in job["steps"] if s.get("uses", "").startswith(action))
    with_: dict[str, Any] = step["with"]
    return with_


WORKFLOW = Path(".github/workflows/release.yml")


# --- GitHub Actions ----------------------------------------------------------------------


def test_github_workflow_builds_then_publishes_to_testpypi_then_pypi(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")

    code, out, err = releasekit("init-ci", "github", "--project", project)

    assert (code, err) == (0, "")
    assert f"wrote {project / WORKFLOW} (jobs: build, publish-test, publish)" in out
    text = (project / WORKFLOW).read_text(encoding="utf-8")
    workflow = load(project / WORKFLOW)
    # PyYAML reads the key `on` as the boolean True (YAML 1.1), as GitHub does not.
    assert workflow[True] == {"push": {"tags": ["v[0-9]*"]}}
    # Nothing by default; each job gets what it uses.
    assert workflow["permissions"] == {}
    # One release at a time, and one in progress is never cancelled.
    assert workflow["concurrency"] == {
        "group": "${{ github.workflow }}",
        "cancel-in-progress": False,
    }
    jobs = workflow["jobs"]
    assert list(jobs) == ["build", "publish-test", "publish"]

    build, test, prod = jobs["build"], jobs["publish-test"], jobs["publish"]
    assert "needs" not in build
    assert build["permissions"] == {"contents": "read"}
    assert "environment" not in build
    assert runs(build) == [
        # The attest extra: trusted publishing signs PEP 740 attestations.
        f'python -m pip install "releasekit[attest,uv]=={releasekit_version}"',
        "releasekit build",
        "releasekit check --repository test",
        "releasekit check --repository prod",
    ]
    assert step_with(build, "actions/upload-artifact") == {
        "name": "dist",
        "path": "dist/",
        "if-no-files-found": "error",
    }

    assert test["needs"] == "build"
    assert test["environment"] == {
        "name": "testpypi",
        "url": "https://test.pypi.org/project/example-pkg/",
    }
    assert test["permissions"] == {"contents": "read", "id-token": "write"}
    assert runs(test)[-2:] == [
        "releasekit upload-test --yes",
        "releasekit verify --repository test",
    ]

    assert prod["needs"] == "publish-test"
    assert prod["environment"] == {"name": "pypi", "url": "https://pypi.org/project/example-pkg/"}
    assert prod["permissions"] == {"contents": "read", "id-token": "write"}
    assert runs(prod)[-2:] == [
        "releasekit upload-prod --yes",
        "releasekit verify --repository prod --install",
    ]

    for job in (build, test, prod):
        assert job["runs-on"] == "ubuntu-latest"
        assert uses(job)[:2] == [
            "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",
            "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97",
        ]
        assert step_with(job, "actions/checkout")["fetch-depth"] == 0
        assert step_with(job, "actions/setup-python") == {"python-version": "3.12"}
    for job in (test, prod):
        assert step_with(job, "actions/download-artifact") == {"name": "dist", "path": "dist/"}
        # Artifacts first, then the upload: the order of the steps matters.
        names = [s.get("uses", s.get("run")) for s in job["steps"]]
        download = "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c"
        assert names.index(download) < len(names) - 2
    # Trusted publishing: no stored secret anywhere.
    assert "secrets." not in text
    assert "PYPI_TOKEN" not in text


def test_every_command_in_the_workflow_is_one_releasekit_accepts(tmp_path: Path) -> None:
    parser = build_parser()
    workflow = yaml.safe_load(github_workflow(ReleaseConfig(), "example", PipelineSpec()))
    commands = [run for job in workflow["jobs"].values() for run in runs(job)]
    # The release page's script reads `releasekit notes --json > FILE` among other lines.
    lines = [line.partition(" >")[0] for run in commands for line in run.splitlines()]
    releasekit_commands = [c for c in lines if c.startswith("releasekit ")]
    assert len(releasekit_commands) == 8
    for command in releasekit_commands:
        parser.parse_args(shlex.split(command)[1:])  # exits on an unknown command or flag


def test_the_publish_jobs_get_credentials_from_trusted_publishing(tmp_path: Path) -> None:
    config = ReleaseConfig()
    # What GitHub puts into a job with id-token: write (and no PYPI_TOKEN: none is passed).
    env = {
        "CI": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example.invalid/",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
    }
    for name in ("test", "prod"):
        credentials = resolve_credentials(
            config.repository(name),
            env=env,
            pypirc=tmp_path / "no-pypirc",
            keyring_lookup=lambda service, user: None,
        )
        assert credentials.trusted_publishing
        assert credentials.password is None


def test_branch_trigger_without_test_index(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p", table='release-branches = ["release/*", "main"]')

    code, out, _ = releasekit(
        "init-ci", "github", "--trigger", "branch", "--no-test-first", "--project", project
    )

    assert code == 0
    assert "only the first release branch (release/*) triggers a release" in out
    workflow = load(project / WORKFLOW)
    assert workflow[True] == {"push": {"branches": ["release/*"]}}
    assert list(workflow["jobs"]) == ["plan", "build", "publish"]
    # A push without a new version: plan says so, build (and so publish) is skipped, the
    # run is green.
    plan, build = workflow["jobs"]["plan"], workflow["jobs"]["build"]
    assert plan["outputs"] == {"release": "${{ steps.plan.outputs.release }}"}
    assert "releasekit plan --repository prod --json" in runs(plan)[-1]
    assert (build["needs"], build["if"]) == ("plan", "needs.plan.outputs.release == 'true'")
    assert workflow["jobs"]["publish"]["needs"] == "build"
    assert "releasekit check --repository test" not in runs(build)
    assert "releasekit check --repository prod" in runs(build)


def test_test_first_comes_from_the_configuration(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p", table="[tool.releasekit.release]\ntest-first = false")

    assert releasekit("init-ci", "github", "--project", project)[0] == 0
    assert list(load(project / WORKFLOW)["jobs"]) == ["build", "publish"]

    code, *_ = releasekit("init-ci", "github", "--test-first", "--force", "--project", project)
    assert code == 0
    assert list(load(project / WORKFLOW)["jobs"]) == ["build", "publish-test", "publish"]


def test_environments_python_and_tag_format_are_written_as_given(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p", table='tag-format = "{name}-v{version}"')

    code, *_ = releasekit(
        "init-ci",
        "github",
        "--environment",
        "release: prod",
        "--test-environment",
        "yes",
        "--python",
        "3.10",
        "--project",
        project,
    )

    assert code == 0
    workflow = load(project / WORKFLOW)
    assert workflow[True]["push"]["tags"] == ["Example.Pkg-v[0-9]*"]
    assert workflow["jobs"]["publish"]["environment"]["name"] == "release: prod"
    assert workflow["jobs"]["publish-test"]["environment"]["name"] == "yes"
    # "3.10" must stay a string: the number 3.10 would be Python 3.1.
    python = step_with(workflow["jobs"]["build"], "actions/setup-python")["python-version"]
    assert python == "3.10"


def test_an_index_other_than_pypi_gets_its_token_from_a_secret(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(
        tmp_path / "p",
        table="[tool.releasekit.repositories.prod]\n"
        'upload-url = "https://pkgs.example.com/legacy/"\n'
        'index-url = "https://pkgs.example.com/simple/"\n'
        'token-env = "ACME_INDEX_TOKEN"',
    )

    code, out, _ = releasekit("init-ci", "github", "--no-test-first", "--project", project)

    assert code == 0
    assert "trusted-publisher" not in out
    text = (project / WORKFLOW).read_text(encoding="utf-8")
    assert "trusted publishing" not in text
    publish = load(project / WORKFLOW)["jobs"]["publish"]
    assert publish["name"] == "Publish to prod"
    assert publish["env"] == {"ACME_INDEX_TOKEN": "${{ secrets.ACME_INDEX_TOKEN }}"}
    assert publish["permissions"] == {"contents": "read"}
    assert publish["environment"] == {"name": "pypi"}


def test_tag_pattern_matches_release_tags_only() -> None:
    from releasekit.ci import github_tag_pattern

    pattern = github_tag_pattern(ReleaseConfig(), "x")
    assert pattern == "v[0-9]*"
    assert fnmatch.fnmatchcase("v1.2.3", pattern)
    assert not fnmatch.fnmatchcase("vnext", pattern)


@pytest.mark.parametrize(
    ("tag_format", "matches", "does_not_match"),
    [
        ("v{version}", ["v1.2.3", "v10.0rc1"], ["1.2.3", "vx", "release-v1"]),
        (
            "{name}-{version}-final",
            ["Example.Pkg-1.0-final"],
            ["Example.Pkg-1.0", "ExampleXPkg-1-final"],
        ),
        ("{version}", ["1.2.3"], ["v1.2.3"]),
    ],
)
def test_gitlab_tag_rule_matches_release_tags_only(
    tag_format: str, matches: list[str], does_not_match: list[str]
) -> None:
    config = ReleaseConfig(tag_format=tag_format)
    regex = gitlab_tag_regex(config, "Example.Pkg")
    assert regex.startswith("/")
    assert regex.endswith("/")
    # The RE2 subset used here (escapes, classes, ^ $ .*) reads the same in Python.
    body = regex[1:-1]
    for tag in matches:
        assert re.search(body, tag), tag
    for tag in does_not_match:
        assert not re.search(body, tag), tag


# --- never overwrite, dry run --------------------------------------------------------------


def test_an_existing_workflow_is_kept_unless_force(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    path = project / WORKFLOW
    path.parent.mkdir(parents=True)
    path.write_text("name: mine\n", encoding="utf-8")

    code, out, err = releasekit("init-ci", "github", "--project", project)

    assert code == ExitCode.USAGE == CiFileExistsError.exit_code
    assert "already exists" in err
    assert "--force" in err
    assert path.read_text(encoding="utf-8") == "name: mine\n"

    code, out, _ = releasekit("init-ci", "github", "--force", "--project", project)
    assert code == 0
    assert f"replaced {path}" in out
    assert "jobs" in load(path)


def test_dry_run_over_an_existing_file_shows_what_force_would_write(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    path = project / WORKFLOW
    path.parent.mkdir(parents=True)
    path.write_text("name: mine\n", encoding="utf-8")

    code, out, _ = releasekit("init-ci", "github", "--dry-run", "--project", project)

    assert code == 0
    assert "releasekit upload-prod --yes" in out
    assert "exists and differs: writing it needs --force" in out
    assert path.read_text(encoding="utf-8") == "name: mine\n"


def test_running_init_ci_again_changes_nothing(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    assert releasekit("init-ci", "github", "--project", project)[0] == 0
    before = (project / WORKFLOW).stat().st_mtime_ns

    code, out, _ = releasekit("init-ci", "github", "--project", project)

    assert code == 0
    assert "already what init-ci writes; nothing changed" in out
    assert (project / WORKFLOW).stat().st_mtime_ns == before


def test_dry_run_prints_the_file_and_writes_nothing(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")

    code, out, _ = releasekit("init-ci", "github", "--dry-run", "--project", project)

    assert code == 0
    assert not (project / ".github").exists()
    assert "releasekit upload-prod --yes" in out
    assert f"dry run: {project / WORKFLOW} was not written" in out

    code, out, _ = releasekit("init-ci", "gitlab", "--dry-run", "--json", "--project", project)
    assert code == 0
    summary = json.loads(out)
    assert summary["dry_run"] is True
    assert summary["written"] is False
    assert yaml.safe_load(summary["content"])["stages"] == ["build", "deploy"]
    assert not (project / ".gitlab-ci.yml").exists()


def test_a_build_directory_git_does_not_ignore_is_reported(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    (project / ".gitignore").unlink()

    code, out, _ = releasekit("init-ci", "github", "--project", project)

    assert code == 0
    assert "git does not ignore dist/" in out


# --- GitLab CI -----------------------------------------------------------------------------


GITLAB_ENV = {"CI_API_V4_URL": "https://gitlab.example.com/api/v4", "CI_PROJECT_ID": "42"}


def expand(text: str, variables: dict[str, str]) -> str:
    """GitLab's (and the shell's) $VAR / ${VAR} expansion, for the tests."""
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: variables.get(m[1], m[0]), text)


def test_gitlab_pipeline_builds_then_publishes_to_the_project_registry(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")

    code, out, _ = releasekit("init-ci", "gitlab", "--project", project)

    assert code == 0
    assert f"wrote {project / '.gitlab-ci.yml'} (jobs: release-build, release-publish)" in out
    pipeline = load(project / ".gitlab-ci.yml")
    assert pipeline["stages"] == ["build", "deploy"]
    template = pipeline[".releasekit"]
    assert template["image"] == "python:3.12"
    assert template["rules"] == [{"if": "$CI_COMMIT_TAG =~ /^v[0-9]/"}]
    assert template["before_script"] == [
        f'python -m pip install "releasekit[uv]=={releasekit_version}"'
    ]
    assert template["variables"]["GIT_DEPTH"] == "0"
    # RELEASEKIT_* would be read as settings (and refused): the job's own names differ.
    assert not [v for v in pipeline["variables"] if v.startswith("RELEASEKIT_")]

    build, publish = pipeline["release-build"], pipeline["release-publish"]
    assert (build["stage"], build["extends"]) == ("build", ".releasekit")
    assert (publish["stage"], publish["extends"]) == ("deploy", ".releasekit")
    assert publish["needs"] == ["release-build"]
    assert build["artifacts"]["paths"] == ["dist/"]
    assert build["script"][0] == "releasekit build"
    assert build["script"][1].startswith("releasekit check --repository gitlab ")
    assert publish["script"][0].startswith("releasekit upload --repository gitlab ")
    assert publish["script"][1].startswith("releasekit verify --repository gitlab ")
    assert publish["script"][1].endswith(" --install")
    assert "CI_JOB_TOKEN" not in (project / ".gitlab-ci.yml").read_text(encoding="utf-8")


def test_gitlab_commands_reach_the_registry_with_the_job_token(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    assert releasekit("init-ci", "gitlab", "--project", project)[0] == 0
    pipeline = load(project / ".gitlab-ci.yml")
    variables = {**GITLAB_ENV}
    for name, value in pipeline["variables"].items():
        variables[name] = expand(value, variables)
    config = load_config(project, env=variables)  # the job's variables are no settings
    parser = build_parser()
    scripts = pipeline["release-build"]["script"] + pipeline["release-publish"]["script"]

    for command in scripts[1:]:
        args = parser.parse_args(shlex.split(expand(command, variables))[1:])
        repository = cli._repository(args, config)
        assert repository.name == "gitlab"
        assert (
            repository.upload_url == "https://gitlab.example.com/api/v4/projects/42/packages/pypi"
        )
        assert repository.index_url == (
            "https://gitlab.example.com/api/v4/projects/42/packages/pypi/simple"
        )
        credentials = resolve_credentials(
            repository,
            env={**variables, "CI_JOB_TOKEN": "job-token"},
            pypirc=tmp_path / "no-pypirc",
            keyring_lookup=lambda service, user: None,
        )
        assert (credentials.username, credentials.source) == ("gitlab-ci-token", "CI_JOB_TOKEN")


def test_gitlab_branch_trigger_checks_out_the_branch(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p", table='release-branches = ["main"]')

    code, *_ = releasekit("init-ci", "gitlab", "--trigger", "branch", "--project", project)

    assert code == 0
    template = load(project / ".gitlab-ci.yml")[".releasekit"]
    assert template["rules"] == [{"if": '$CI_COMMIT_BRANCH == "main"'}]
    # GitLab checks out a detached HEAD; check wants to be on the release branch.
    assert template["before_script"][0] == 'git checkout -B "$CI_COMMIT_BRANCH"'


def test_gitlab_branch_trigger_releases_only_a_new_version(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p", table='release-branches = ["main"]')

    code, out, _ = releasekit("init-ci", "gitlab", "--trigger", "branch", "--project", project)

    assert code == 0
    assert "(jobs: release-plan, release-build, release-publish)" in out
    pipeline = load(project / ".gitlab-ci.yml")
    plan, build, publish = (pipeline[f"release-{job}"] for job in ("plan", "build", "publish"))
    assert (plan["stage"], plan["extends"]) == ("build", ".releasekit")
    assert plan["script"][0].startswith("releasekit plan --repository gitlab ")
    assert plan["artifacts"] == {"reports": {"dotenv": "plan.env"}}
    assert build["needs"] == ["release-plan"]
    assert publish["needs"] == ["release-plan", "release-build"]
    for job in (build, publish):  # each ends at once, green, when there is nothing new
        assert job["script"][0].startswith('if [ "$RELEASE" != "true" ]; then echo ')
        assert job["script"][0].endswith("; exit 0; fi")
    assert releasekit("init-ci", "gitlab", "--force", "--project", project)[0] == 0
    assert "release-plan" not in load(project / ".gitlab-ci.yml")  # a tag is a release


def test_the_gitlab_plan_job_and_gate_against_a_real_index(
    tmp_path: Path, releasekit: Releasekit, pypiserver: PypiServer
) -> None:
    """The jobs' own shell lines, run by bash with the job's variables pointing at a local
    pypiserver: a version on the index stops the build job at its first line, exit 0."""
    import os
    import shutil
    import sys

    from index_servers import make_wheel, upload

    project = make_project(tmp_path / "p", name="gate-demo", table='release-branches = ["main"]')
    assert releasekit("init-ci", "gitlab", "--trigger", "branch", "--project", project)[0] == 0
    pipeline = load(project / ".gitlab-ci.yml")
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "RELEASE_UPLOAD_URL": pypiserver.upload_url,
        "RELEASE_INDEX_URL": pypiserver.simple_url,
    }

    def job(name: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        script = "set -e\n" + "\n".join(pipeline[name]["script"]) + "\n"
        return subprocess.run(
            ["bash", "-c", script],
            cwd=project,
            env={**env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert shutil.which("bash")
    planned = job("release-plan")
    assert planned.returncode == 0, planned.stderr
    assert (project / "plan.env").read_text() == "RELEASE=true\n"

    upload(pypiserver, make_wheel(tmp_path, "gate-demo", "1.0.0"))
    planned = job("release-plan")
    assert planned.returncode == 0, planned.stderr
    assert (project / "plan.env").read_text() == "RELEASE=false\n"
    for name in ("release-build", "release-publish"):
        gated = job(name, {"RELEASE": "false"})
        assert gated.returncode == 0, gated.stderr
        assert gated.stdout == "This version is on the index already: nothing to release.\n"
    assert not (project / "dist").exists()  # nothing was built


def test_gitlab_refuses_github_only_options(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")

    code, _, err = releasekit("init-ci", "gitlab", "--environment", "x", "--project", project)

    assert code == ExitCode.USAGE
    assert "--environment" in err
    assert "GitHub only" in err
    assert not (project / ".gitlab-ci.yml").exists()


def test_existing_gitlab_file_is_kept_unless_force(tmp_path: Path, releasekit: Releasekit) -> None:
    project = make_project(tmp_path / "p")
    (project / ".gitlab-ci.yml").write_text("test:\n  script: [pytest]\n", encoding="utf-8")

    code, _, err = releasekit("init-ci", "gitlab", "--project", project)

    assert code == ExitCode.USAGE
    assert "--force" in err
    assert (project / ".gitlab-ci.yml").read_text(encoding="utf-8") == "test:\n  script: [pytest]\n"
    assert releasekit("init-ci", "gitlab", "--force", "--project", project)[0] == 0
    assert "release-publish" in load(project / ".gitlab-ci.yml")


# --- a project in a subdirectory (one package of a monorepo) -------------------------------


def test_a_package_in_a_subdirectory_gets_its_own_workflow_at_the_top(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    top = tmp_path / "repo"
    top.mkdir()
    subprocess.run(["git", "init", "--quiet", str(top)], check=True)
    (top / ".gitignore").write_text("dist/\n", encoding="utf-8")
    package = make_project(top / "packages" / "widget", name="Widget_Tools", git=False)

    assert releasekit("init-ci", "github", "--project", package)[0] == 0
    assert releasekit("init-ci", "gitlab", "--project", package)[0] == 0

    workflow = load(top / ".github/workflows/release-widget-tools.yml")
    assert workflow["defaults"] == {"run": {"working-directory": "packages/widget"}}
    for job in ("publish-test", "publish"):
        step = step_with(workflow["jobs"][job], "actions/download-artifact")
        assert step["path"] == "packages/widget/dist/"
    assert step_with(workflow["jobs"]["build"], "actions/upload-artifact")["path"] == (
        "packages/widget/dist/"
    )
    pipeline = load(top / ".gitlab-ci.yml")
    assert pipeline[".releasekit"]["before_script"][0] == "cd packages/widget"
    assert pipeline["release-build"]["artifacts"]["paths"] == ["packages/widget/dist/"]


# --- quoting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "main", "3.10", "3.12", "yes", "No", "on", "null", "~", "1e3", "0o17", ".inf", "",
        "v[0-9]*", "release/*", "a: b", "a #b", "a#b", "'single'", '"double"', "-x", "- x",
        "*alias", "&anchor", "!tag", "%x", "@x", "`x", "x:", " lead", "trail ", "a  b",
        "$CI_COMMIT_TAG =~ /^v[0-9]/", "it's", "déjà vu", "[x]", "{x}",
        "? x", "| x", "> x", "=",
    ],
)  # fmt: skip
def test_yaml_scalar_reads_back_as_the_same_string(value: str) -> None:
    assert yaml.safe_load(f"key: {yaml_scalar(value)}\n") == {"key": value}
    assert yaml.safe_load(f"- {yaml_scalar(value)}\n") == [value]


def test_yaml_scalar_refuses_control_characters() -> None:
    with pytest.raises(UsageError, match="control character"):
        yaml_scalar("a\nb")


# --- supply chain: pins, wheels, GitLab to PyPI, include mode, warnings ---------------------


def test_the_organisation_profile_package_is_installed_pinned_beside_releasekit(
    tmp_path: Path, releasekit: Releasekit, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installed profile package: a module and its dist-info with the entry point.
    site = tmp_path / "site"
    (site / "acme_ci_profile-2.3.1.dist-info").mkdir(parents=True)
    (site / "acme_ci_profile.py").write_text('PROFILE = {"tag-format": "rel-{version}"}\n')
    (site / "acme_ci_profile-2.3.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-ci-profile\nVersion: 2.3.1\n"
    )
    (site / "acme_ci_profile-2.3.1.dist-info" / "entry_points.txt").write_text(
        "[releasekit.profiles]\nacme = acme_ci_profile:PROFILE\n"
    )
    monkeypatch.syspath_prepend(str(site))
    project = make_project(tmp_path / "p", table='extends = "acme"')

    assert releasekit("init-ci", "github", "--project", project)[0] == 0
    assert releasekit("init-ci", "gitlab", "--project", project)[0] == 0

    pins = '"releasekit[{}]==' + releasekit_version + '" "acme-ci-profile==2.3.1"'
    for job in load(project / WORKFLOW)["jobs"].values():
        assert f"python -m pip install {pins.format('attest,uv')}" in runs(job)
    assert load(project / ".gitlab-ci.yml")[".releasekit"]["before_script"] == [
        f"python -m pip install {pins.format('uv')}"  # the registry: nothing to attest
    ]
    # The profile's tag format reached the trigger: the configuration was loaded with it.
    assert load(project / WORKFLOW)[True] == {"push": {"tags": ["rel-[0-9]*"]}}


def test_cibuildwheel_builds_on_three_systems_and_one_job_uploads_everything(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")

    code, out, _ = releasekit("init-ci", "github", "--wheels", "cibuildwheel", "--project", project)

    assert code == 0
    assert "(jobs: wheels, sdist, publish-test, publish)" in out
    jobs = load(project / WORKFLOW)["jobs"]
    wheels, sdist, test, prod = jobs["wheels"], jobs["sdist"], jobs["publish-test"], jobs["publish"]
    assert wheels["runs-on"] == "${{ matrix.os }}"
    assert wheels["strategy"]["matrix"]["os"] == [
        "ubuntu-latest", "ubuntu-24.04-arm", "macos-latest", "windows-latest"
    ]  # fmt: skip
    assert uses(wheels)[1] == "pypa/cibuildwheel@1828c10ab37f080699c7b81cea34097c684a7074"
    assert step_with(wheels, "actions/upload-artifact")["name"] == "wheels-${{ matrix.os }}"
    # The directory reaches the shell through the environment, never the run line.
    assert runs(sdist)[-1] == 'python -m build --sdist --outdir "$OUTDIR" .'
    assert sdist["steps"][-2]["env"] == {"OUTDIR": "dist/"}
    assert test["needs"] == ["wheels", "sdist"]
    assert prod["needs"] == "publish-test"
    for job, repository in ((test, "test"), (prod, "prod")):
        # Every artifact of every job in one directory, checked, uploaded, verified together.
        assert step_with(job, "actions/download-artifact") == {
            "pattern": "*", "merge-multiple": True, "path": "dist/"
        }  # fmt: skip
        assert runs(job)[-3] == f"releasekit check --repository {repository}"
    assert "allow-other-files" not in (project / WORKFLOW).read_text(encoding="utf-8")


def test_gitlab_to_pypi_uses_trusted_publishing_from_the_jobs_id_tokens(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")

    code, *_ = releasekit("init-ci", "gitlab", "--target", "pypi", "--project", project)

    assert code == 0
    text = (project / ".gitlab-ci.yml").read_text(encoding="utf-8")
    pipeline = load(project / ".gitlab-ci.yml")
    publish = pipeline["release-publish"]
    assert publish["id_tokens"] == {
        "PYPI_ID_TOKEN": {"aud": "pypi"},
        "SIGSTORE_ID_TOKEN": {"aud": "sigstore"},
    }
    assert publish["script"] == [
        "releasekit upload --repository prod --yes",
        "releasekit verify --repository prod --install",
    ]
    assert "variables" not in pipeline  # no registry URLs
    assert "CI_JOB_TOKEN" not in text
    assert "PYPI_TOKEN" not in text.replace("PYPI_ID_TOKEN", "")
    # In that job (GitLab puts the token in PYPI_ID_TOKEN), releasekit finds trusted
    # publishing, so it signs attestations too.
    credentials = resolve_credentials(
        load_config(project).repository("prod"), env={"CI": "true", "PYPI_ID_TOKEN": "x.y.z"}
    )
    assert credentials.trusted_publishing

    code, *_ = releasekit(
        "init-ci", "gitlab", "--target", "testpypi", "--force", "--project", project
    )
    publish = load(project / ".gitlab-ci.yml")["release-publish"]
    assert publish["id_tokens"]["TESTPYPI_ID_TOKEN"] == {"aud": "testpypi"}
    assert publish["script"][0] == "releasekit upload --repository test --yes"


def test_include_adds_the_jobs_to_an_existing_gitlab_ci_file(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    own = "test:\n  script:\n    - pytest\n"
    (project / ".gitlab-ci.yml").write_text(own, encoding="utf-8")

    code, out, _ = releasekit("init-ci", "gitlab", "--include", "--project", project)

    assert code == 0
    assert f"added it to the include: of {project / '.gitlab-ci.yml'}" in out
    text = (project / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert text.startswith(own)
    assert load(project / ".gitlab-ci.yml") == {
        "test": {"script": ["pytest"]},
        "include": [{"local": "/.gitlab/releasekit.yml"}],
    }
    included = load(project / ".gitlab" / "releasekit.yml")
    assert "stages" not in included  # the project's stages stay the project's
    assert included["release-publish"]["stage"] == "deploy"

    # Again: the include is there already; nothing is added twice.
    code, *_ = releasekit("init-ci", "gitlab", "--include", "--force", "--project", project)
    assert code == 0
    assert (project / ".gitlab-ci.yml").read_text(encoding="utf-8") == text


def test_include_leaves_an_existing_include_list_to_the_user(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(tmp_path / "p")
    own = "include:\n  - local: /ci/test.yml\n"
    (project / ".gitlab-ci.yml").write_text(own, encoding="utf-8")

    code, out, _ = releasekit("init-ci", "gitlab", "--include", "--project", project)

    assert code == 0
    assert "has an include: already; add - local: /.gitlab/releasekit.yml to it by hand" in out
    assert (project / ".gitlab-ci.yml").read_text(encoding="utf-8") == own
    assert (project / ".gitlab" / "releasekit.yml").is_file()


def test_a_repository_on_this_machine_is_warned_about(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    project = make_project(
        tmp_path / "p",
        table="[tool.releasekit.repositories.prod]\n"
        'upload-url = "http://127.0.0.1:8080/"\n'
        'index-url = "http://localhost:8080/simple/"\n',
    )

    code, out, _ = releasekit("init-ci", "github", "--no-test-first", "--project", project)

    assert code == 0
    assert (
        "note: the repository 'prod' is on this machine (127.0.0.1): a CI job cannot reach it"
        in out
    )


@pytest.mark.parametrize(
    ("provider", "flags", "message"),
    [
        ("github", ["--target", "pypi"], "--target: GitLab only."),
        ("github", ["--include"], "--include: GitLab only."),
        ("gitlab", ["--wheels", "cibuildwheel"], "--wheels: GitHub only"),
    ],
)
def test_options_of_the_other_provider_are_refused(
    tmp_path: Path, releasekit: Releasekit, provider: str, flags: list[str], message: str
) -> None:
    project = make_project(tmp_path / "p")

    code, _, err = releasekit("init-ci", provider, *flags, "--project", project)

    assert code == ExitCode.USAGE
    assert message in err
    assert not (project / ".github").exists()


def monorepo(root: Path) -> Path:
    make_project(root, name="workspace-root")
    (root / "pyproject.toml").write_text(
        '[tool.releasekit]\npackages = ["packages/*"]\ntag-format = "{name}-v{version}"\n',
        encoding="utf-8",
    )
    for name in ("alpha", "beta"):
        make_project(root / "packages" / name, name=f"acme-{name}", git=False)
    return root


def test_a_monorepo_gets_one_workflow_whose_jobs_run_over_the_plan_matrix(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    root = monorepo(tmp_path / "repo")

    code, out, err = releasekit("init-ci", "github", "--project", root)

    assert code == 0, err
    assert f"wrote {root / WORKFLOW} (jobs: plan, build, publish-test, publish)" in out
    assert sorted(p.name for p in (root / WORKFLOW).parent.iterdir()) == ["release.yml"]
    workflow = load(root / WORKFLOW)
    assert workflow[True] == {"push": {"tags": ["acme-alpha-v[0-9]*", "acme-beta-v[0-9]*"]}}
    plan, build = workflow["jobs"]["plan"], workflow["jobs"]["build"]
    assert plan["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert "releasekit plan --repository prod --json" in runs(plan)[-1]
    for job in ("build", "publish-test", "publish"):
        matrix_job = workflow["jobs"][job]
        assert matrix_job["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
        assert matrix_job["defaults"]["run"]["working-directory"] == "${{ matrix.package }}"
    assert build["if"] == "needs.plan.outputs.release == 'true'"
    assert step_with(build, "actions/upload-artifact")["path"] == "${{ matrix.package }}/dist/"
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == ["plan", "publish-test"]
    assert publish["environment"]["url"] == "https://pypi.org/project/${{ matrix.name }}/"
    assert step_with(publish, "actions/download-artifact") == {
        "name": "dist-${{ matrix.name }}",
        "path": "${{ matrix.package }}/dist/",
    }


def test_the_branch_gate_releases_only_a_version_not_yet_on_the_index(
    tmp_path: Path, releasekit: Releasekit, new_index: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan job's script, run for real with bash against a pypiserver standing in for
    PyPI: release=true before the version is uploaded, release=false after (a push with
    no new version is a green run that publishes nothing)."""
    import os
    import sys

    from release_project import write_project

    prod = new_index("pypiserver", "prod")
    table = "".join(f'{k} = "{v}"\n' for k, v in prod.repository().items())
    table += "anonymous-upload = true\n"  # prod is production by its role
    root = write_project(
        tmp_path / "rk-demo", releasekit=f"\n[tool.releasekit.repositories.prod]\n{table}"
    )
    assert releasekit("init-ci", "github", "--trigger", "branch", "--project", root)[0] == 0
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "CI"], cwd=root, check=True)
    script = runs(load(root / WORKFLOW)["jobs"]["plan"])[-1]
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }

    def gate() -> str:
        (tmp_path / "output").write_text("")
        subprocess.run(["bash", "-e", "-c", script], cwd=root, env=env, check=True, timeout=120)
        return (tmp_path / "output").read_text()

    assert gate() == "release=true\n"
    monkeypatch.chdir(root)
    assert releasekit("publish", "--yes", "--project", root)[0] == 0
    assert gate() == "release=false\n"


# --- where the jobs install releasekit from ----------------------------------------------

INDEX = "https://pkgs.example.com/api/pypi/python/simple/"


@pytest.mark.parametrize("given", ["flag", "key"])
def test_the_jobs_install_releasekit_from_the_install_index(
    tmp_path: Path, releasekit: Releasekit, given: str
) -> None:
    table = f'install-index = "{INDEX}"' if given == "key" else ""
    project = make_project(tmp_path / "p", table=table)
    flag = ["--install-index", INDEX] if given == "flag" else []
    assert releasekit("init-ci", "github", "--project", project, *flag)[0] == 0
    assert releasekit("init-ci", "gitlab", "--project", project, *flag)[0] == 0

    installs = [
        run
        for job in load(project / WORKFLOW)["jobs"].values()
        for run in runs(job)
        if "pip install" in run
    ]
    assert installs
    for run in installs:
        assert shlex.split(run)[3:6] == ["install", "--index-url", INDEX]
    assert load(project / ".gitlab-ci.yml")[".releasekit"]["before_script"] == [
        f'python -m pip install --index-url {INDEX} "releasekit[uv]=={releasekit_version}"'
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://deploy:s3cret@pkgs.example.com/simple/",
        "https://pkgs.example.com/simple/?token=s3cret",
        "https://pkgs.example.com/${{ secrets.TOKEN }}/simple/",
    ],
)
def test_an_install_index_with_credentials_or_expressions_is_refused(
    tmp_path: Path, releasekit: Releasekit, url: str
) -> None:
    project = make_project(tmp_path / "p")
    code, out, err = releasekit("init-ci", "github", "--project", project, "--install-index", url)
    assert code == ExitCode.CONFIG
    assert "install-index" in err
    assert "s3cret" not in out + err
    assert not (project / WORKFLOW).exists()


def test_a_releasekit_installed_from_a_path_says_the_jobs_need_an_install_index(
    tmp_path: Path, releasekit: Releasekit
) -> None:
    from importlib.metadata import distribution

    if not distribution("releasekit").read_text("direct_url.json"):
        pytest.skip("this releasekit was installed from an index")
    project = make_project(tmp_path / "p")

    code, out, err = releasekit("init-ci", "github", "--project", project, "--dry-run")
    assert code == 0, err
    assert "not from an index" in out + err
    assert f"releasekit=={releasekit_version} needs an index that serves it" in out + err

    code, out, err = releasekit(
        "init-ci", "github", "--project", project, "--dry-run", "--install-index", INDEX
    )
    assert code == 0, err
    assert "not from an index" not in out + err
